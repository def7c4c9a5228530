package suppress

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenStore(path)
	tcheck(t, err, "OpenStore")
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suppress.journal")
	s := openTestStore(t, path)
	tcompare(t, "Note of a new journal", s.Note(), "")
	tcompare(t, "list name", s.List().Name(), StoreList)

	n, err := s.Add(mustEntry(t, "Bob@Example.com"), mustEntry(t, "@blocked.example"), mustEntry(t, "bob@example.com"))
	tcheck(t, err, "Add")
	tcompare(t, "added", n, 2)
	n, err = s.Add(mustEntry(t, "bob@example.com")) // already there: not journaled again
	tcheck(t, err, "Add again")
	tcompare(t, "added again", n, 0)
	e, err := HashedEntry(KindSHA256, "carol@example.com")
	tcheck(t, err, "HashedEntry")
	_, err = s.Add(e)
	tcheck(t, err, "Add hashed")
	n, err = s.Remove(mustEntry(t, "@blocked.example"), mustEntry(t, "@other.example"))
	tcheck(t, err, "Remove")
	tcompare(t, "removed", n, 1)
	if _, err := s.Add(Entry{KindAddress, "no at"}); err == nil {
		t.Error("Store.Add accepted a bad entry")
	}
	if _, err := s.List().Add(mustEntry(t, "x@example.com")); !errors.Is(err, ErrJournaled) {
		t.Errorf("List.Add on a store's list: err = %v, want ErrJournaled", err)
	}
	tcheck(t, s.Close(), "Close")
	if _, err := s.Add(mustEntry(t, "late@example.com")); err == nil {
		t.Error("Add after Close did not fail")
	}

	data, err := os.ReadFile(path)
	tcheck(t, err, "read journal")
	want := journalHeader + "+address bob@example.com\n+domain blocked.example\n+sha256 " + e.Value + "\n-domain blocked.example\n"
	tcompare(t, "journal", string(data), want)

	s2 := openTestStore(t, path)
	tcompare(t, "Note", s2.Note(), "")
	tcompare(t, "Len after reopen", s2.List().Len(), 2)
	for addr, want := range map[string]bool{"bob@example.com": true, "carol@example.com": true, "x@blocked.example": false} {
		_, ok := s2.List().Check(addr)
		tcompare(t, addr+" after reopen", ok, want)
	}
}

// TestStoreCrashTruncation cuts the journal at every byte of its last
// record, as a crash during the write could, and reopens it.
func TestStoreCrashTruncation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "j")
	s, err := OpenStore(path)
	tcheck(t, err, "OpenStore")
	_, err = s.Add(mustEntry(t, "first@example.com"))
	tcheck(t, err, "Add")
	whole, err := os.ReadFile(path)
	tcheck(t, err, "read")
	_, err = s.Add(mustEntry(t, "second@example.com"))
	tcheck(t, err, "Add")
	tcheck(t, s.Close(), "Close")
	full, err := os.ReadFile(path)
	tcheck(t, err, "read")

	for cut := len(whole) + 1; cut < len(full); cut++ {
		tcheck(t, os.WriteFile(path, full[:cut], 0o600), "write cut journal")
		s, err := OpenStore(path)
		if err != nil {
			t.Fatalf("cut at %d: OpenStore: %v", cut, err)
		}
		if !strings.Contains(s.Note(), "incomplete last line") {
			t.Errorf("cut at %d: Note = %q", cut, s.Note())
		}
		tcompare(t, "Len", s.List().Len(), 1)
		// The torn bytes are gone, so the next record starts a line.
		_, err = s.Add(mustEntry(t, "third@example.com"))
		tcheck(t, err, "Add after recovery")
		tcheck(t, s.Close(), "Close")
		got, err := os.ReadFile(path)
		tcheck(t, err, "read")
		tcompare(t, "journal after recovery", string(got), string(whole)+"+address third@example.com\n")
	}
}

func TestStoreCorruptRecord(t *testing.T) {
	for name, body := range map[string]string{
		"no op":    "address a@example.com\n",
		"no value": "+address\n",
		"bad kind": "+mailbox a@example.com\n",
		"bad":      "+address a@@example.com\n",
		"too long": "+address " + strings.Repeat("a", maxLine) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j")
			tcheck(t, os.WriteFile(path, []byte(journalHeader+"+address ok@example.com\n"+body), 0o600), "write")
			_, err := OpenStore(path)
			if err == nil || !strings.Contains(err.Error(), path+":3:") {
				t.Errorf("OpenStore = %v, want an error at line 3", err)
			}
		})
	}
}

func TestStoreCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	s := openTestStore(t, path)
	keep := mustEntry(t, "keep@example.com")
	_, err := s.Add(keep)
	tcheck(t, err, "Add")
	// Churn one address until the journal passes compactMin records.
	churn := mustEntry(t, "churn@example.com")
	for i := 0; i < compactMin; i += 2 {
		_, err := s.Add(churn)
		tcheck(t, err, "Add churn")
		_, err = s.Remove(churn)
		tcheck(t, err, "Remove churn")
	}
	data, err := os.ReadFile(path)
	tcheck(t, err, "read")
	if n := bytes.Count(data, []byte("\n")); n > 10 {
		t.Errorf("journal has %d lines after churn; it did not compact", n)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	if msg, bad := s.Unhealthy(); bad {
		t.Errorf("Unhealthy: %s", msg)
	}
	_, err = s.Add(mustEntry(t, "after@example.com"))
	tcheck(t, err, "Add after compaction")
	tcheck(t, s.Compact(), "Compact")

	s.Close()
	s2 := openTestStore(t, path)
	tcompare(t, "Len", s2.List().Len(), 2)
	tcompare(t, "keep", s2.List().Has(keep), true)
	tcompare(t, "churn", s2.List().Has(churn), false)
	data, err = os.ReadFile(path)
	tcheck(t, err, "read")
	tcompare(t, "compacted journal", string(data), journalHeader+"+address after@example.com\n+address keep@example.com\n")
}

// TestStoreCompactAtOpen: a journal written long ago with more removals
// than entries compacts when opened.
func TestStoreCompactAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	var b strings.Builder
	b.WriteString(journalHeader)
	for i := range compactMin {
		a := "u" + strconv.Itoa(i) + "@example.com"
		b.WriteString("+address " + a + "\n-address " + a + "\n")
	}
	b.WriteString("+address last@example.com\n")
	tcheck(t, os.WriteFile(path, []byte(b.String()), 0o600), "write")
	s := openTestStore(t, path)
	tcompare(t, "Len", s.List().Len(), 1)
	data, err := os.ReadFile(path)
	tcheck(t, err, "read")
	tcompare(t, "journal", string(data), journalHeader+"+address last@example.com\n")
}

// TestStoreWriteFailure: a failed write leaves the list unchanged; when
// the journal cannot be cut back the store refuses changes.
func TestStoreWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	s := openTestStore(t, path)
	s.f.Close() // every write and truncate now fails
	if _, err := s.Add(mustEntry(t, "a@example.com")); err == nil {
		t.Fatal("Add on a closed journal did not fail")
	}
	tcompare(t, "Len", s.List().Len(), 0)
	msg, bad := s.Unhealthy()
	if !bad || !strings.Contains(msg, "refusing changes") {
		t.Errorf("Unhealthy = %q, %v", msg, bad)
	}
	if _, err := s.Remove(mustEntry(t, "a@example.com")); err == nil {
		t.Error("a broken store accepted a change")
	}
}

func TestStoreImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	s := openTestStore(t, path)
	res, err := s.Import(strings.NewReader("a@example.com\nbad\n@b.example\n"), FormatList)
	tcheck(t, err, "Import")
	tcompare(t, "Added", res.Added, 2)
	tcompare(t, "Bad", res.Bad, 1)
	s.Close()
	tcompare(t, "Len after reopen", openTestStore(t, path).List().Len(), 2)
}

func TestStoreMissingDirectory(t *testing.T) {
	if _, err := OpenStore(filepath.Join(t.TempDir(), "no", "such", "j")); err == nil {
		t.Error("OpenStore created directories or succeeded without them")
	}
}

// TestStoreConcurrent adds from several goroutines while others check;
// run it with -race. Every acknowledged add is in the reopened journal.
func TestStoreConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	s := openTestStore(t, path)
	done := make(chan struct{})
	var checks sync.WaitGroup
	checks.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				s.List().Check("w1-3@example.com")
			}
		}
	})
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range 25 {
				e := Entry{KindAddress, "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i) + "@example.com"}
				if _, err := s.Add(e); err != nil {
					t.Error(err)
				}
			}
		})
	}
	writers.Wait()
	close(done)
	checks.Wait()
	s.Close()
	tcompare(t, "Len after reopen", openTestStore(t, path).List().Len(), 100)
}
