package suppress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// StoreList is the name of a Store's list.
const StoreList = "runtime"

// journalHeader starts every journal; later versions change the number.
const journalHeader = "# volley suppression journal v1\n"

// compactMin is the fewest records a journal compacts at, so that a small
// list with some churn is not rewritten every few changes.
const compactMin = 1024

var errClosed = errors.New("suppress: store closed")

// Store is the list changed at run time (the API's `suppress add` and
// `remove`, hard bounces, complaints), kept durable in an append-only
// journal of "+KIND VALUE" and "-KIND VALUE" lines.
//
// Every change is written and fsynced before Add or Remove returns, and
// applied to the list only then, so nothing is acknowledged before it is
// durable. OpenStore replays the journal; when it holds more than twice as many
// records as the list has entries (and at least compactMin), it is
// rewritten with one record per entry: a temporary file, fsync, rename,
// directory fsync, so a crash leaves the old journal or the new one.
//
// A crash can leave the last line incomplete; OpenStore drops it, truncates the
// file to the last whole line and says so in Note. A batch torn by a crash
// may leave its first lines, which OpenStore then applies: the caller was not
// told of them, and re-adding them is harmless.
//
// The methods are safe from any goroutine. Add and Remove block on fsync;
// call them from a helper goroutine, never from a shard's loop.
type Store struct {
	list *List
	path string
	note string

	mu      sync.Mutex // guards the fields below and orders changes to list
	f       *os.File   // the journal, opened for appending
	size    int64      // bytes of whole records in f
	records int        // +/- lines in f
	broken  error      // set when f may end in a partial record; refuses changes
	lastErr error      // the last compaction failure, cleared by a success
}

// OpenStore opens the journal at path, creating it (and nothing above it)
// when missing, and loads its list.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, list: NewList(StoreList)}
	s.list.journaled = true
	present, err := s.replay()
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(present))
	for e := range present {
		entries = append(entries, e)
	}
	if _, err := s.list.changeUnjournaled(entries, true); err != nil {
		return nil, err
	}
	if s.f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
		return nil, fmt.Errorf("suppress: open journal: %w", err)
	}
	s.maybeCompact()
	return s, nil
}

// replay reads the journal into the set of present entries, creating the
// file when missing and cutting an incomplete last line.
func (s *Store) replay() (map[Entry]struct{}, error) {
	fh, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[Entry]struct{}{}, s.create()
	}
	if err != nil {
		return nil, fmt.Errorf("suppress: open journal: %w", err)
	}
	defer fh.Close()
	present := map[Entry]struct{}{}
	br := bufio.NewReaderSize(fh, maxLine)
	for lineNo := 1; ; lineNo++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, io.EOF) {
			if len(b) > 0 {
				s.note = fmt.Sprintf("suppress: journal %s:%d: dropped an incomplete last line of %d bytes (a write cut by a crash)", s.path, lineNo, len(b))
				return present, s.truncate()
			}
			return present, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("suppress: journal %s:%d: line too long", s.path, lineNo)
		}
		if err != nil {
			return nil, fmt.Errorf("suppress: read journal: %w", err)
		}
		s.size += int64(len(b))
		add, e, ok, err := parseRecord(bytes.TrimRight(b, "\r\n"))
		if err != nil {
			return nil, fmt.Errorf("suppress: journal %s:%d: %w", s.path, lineNo, err)
		}
		if !ok {
			continue
		}
		s.records++
		if add {
			present[e] = struct{}{}
		} else {
			delete(present, e)
		}
	}
}

// parseRecord reads one journal line; ok is false for comments and blank
// lines.
func parseRecord(b []byte) (add bool, e Entry, ok bool, err error) {
	line := string(b)
	if line == "" || line[0] == '#' {
		return false, Entry{}, false, nil
	}
	op, rest := line[0], line[1:]
	kind, value, found := strings.Cut(rest, " ")
	if op != '+' && op != '-' || !found {
		return false, Entry{}, false, errors.New("want +KIND VALUE or -KIND VALUE, got " + quote(line))
	}
	k, err := ParseKind(kind)
	if err != nil {
		return false, Entry{}, false, err
	}
	e, err = NewEntry(k, value)
	if err != nil {
		return false, Entry{}, false, err
	}
	return op == '+', e, true, nil
}

// appendRecord appends e's journal line to b.
func appendRecord(b []byte, add bool, e Entry) []byte {
	op := byte('-')
	if add {
		op = '+'
	}
	b = append(b, op)
	b = append(b, e.Kind.String()...)
	b = append(b, ' ')
	b = append(b, e.Value...)
	return append(b, '\n')
}

// create writes a new journal holding only its header.
func (s *Store) create() error {
	err := writeFileSync(s.path, func(w *bufio.Writer) error {
		_, err := w.WriteString(journalHeader)
		return err
	})
	if err != nil {
		return err
	}
	s.size = int64(len(journalHeader))
	return syncDir(s.path)
}

// truncate cuts the journal to its whole records (s.size) and syncs it.
func (s *Store) truncate() error {
	fh, err := os.OpenFile(s.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("suppress: cut journal: %w", err)
	}
	defer fh.Close()
	if err := fh.Truncate(s.size); err != nil {
		return fmt.Errorf("suppress: cut journal: %w", err)
	}
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("suppress: cut journal: %w", err)
	}
	return nil
}

// List returns the store's list, for Checks and for a Set's global lists.
// Its Add and Remove return ErrJournaled: change it through the Store.
func (s *Store) List() *List { return s.list }

// Note returns what OpenStore recovered from, or "" when the journal was whole.
func (s *Store) Note() string { return s.note }

// Add adds entries durably and returns how many were not yet on the list.
// If any entry is invalid nothing is added.
func (s *Store) Add(entries ...Entry) (int, error) {
	return s.change(entries, true)
}

// Remove removes entries durably and returns how many were on the list.
// If any entry is invalid nothing is removed.
func (s *Store) Remove(entries ...Entry) (int, error) {
	return s.change(entries, false)
}

// Import adds the entries read from r as List.Import does, durably, one
// journal write and fsync per batch of entries.
func (s *Store) Import(r io.Reader, f Format) (ImportResult, error) {
	return scanEntries(r, f, "", func(entries []Entry) (int, error) {
		return s.Add(entries...)
	})
}

func (s *Store) change(entries []Entry, add bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return 0, s.broken
	}
	// Journal only the entries whose presence changes, so repeated
	// bounces of one address do not grow the journal.
	var effective []Entry
	var seen map[Entry]bool
	var rec []byte
	for _, e := range entries {
		e, err := NewEntry(e.Kind, e.Value)
		if err != nil {
			return 0, err
		}
		if s.list.Has(e) == add || seen[e] {
			continue
		}
		if seen == nil {
			seen = map[Entry]bool{}
		}
		seen[e] = true
		effective = append(effective, e)
		rec = appendRecord(rec, add, e)
	}
	if len(effective) == 0 {
		return 0, nil
	}
	if err := s.write(rec); err != nil {
		return 0, err
	}
	s.records += len(effective)
	n, err := s.list.changeUnjournaled(effective, add)
	if err != nil {
		return n, err
	}
	s.maybeCompact()
	return n, nil
}

// write appends rec to the journal and syncs it. On failure it cuts the
// journal back to its last whole record, so the next write does not
// continue a partial line, or marks the store broken if it cannot.
func (s *Store) write(rec []byte) error {
	_, err := s.f.Write(rec)
	if err == nil {
		err = s.f.Sync()
	}
	if err == nil {
		s.size += int64(len(rec))
		return nil
	}
	err = fmt.Errorf("suppress: write journal: %w", err)
	if terr := s.f.Truncate(s.size); terr != nil {
		s.broken = fmt.Errorf("suppress: journal may end in a partial record, refusing changes until reopened: %w", terr)
	} else if serr := s.f.Sync(); serr != nil {
		s.broken = fmt.Errorf("suppress: journal may end in a partial record, refusing changes until reopened: %w", serr)
	}
	return err
}

// maybeCompact compacts when the journal has more than twice as many
// records as live entries. A failure is kept for Unhealthy; the changes
// that led here are durable regardless.
func (s *Store) maybeCompact() {
	if s.records >= compactMin && s.records > 2*s.list.Len() {
		s.lastErr = s.compactLocked()
	}
}

// Compact rewrites the journal with one record per entry.
func (s *Store) Compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		return s.broken
	}
	s.lastErr = s.compactLocked()
	return s.lastErr
}

func (s *Store) compactLocked() error {
	var size int64
	n := 0
	tmp := s.path + ".tmp"
	err := writeFileSync(tmp, func(w *bufio.Writer) error {
		w.WriteString(journalHeader)
		var rec []byte
		for e := range s.list.All() {
			rec = appendRecord(rec[:0], true, e)
			w.Write(rec)
			size += int64(len(rec))
			n++
		}
		size += int64(len(journalHeader))
		return nil
	})
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("suppress: compact journal: %w", err)
	}
	// From here the path is the new journal: appends must go to it even
	// if the directory sync fails.
	dirErr := syncDir(s.path)
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		s.broken = fmt.Errorf("suppress: reopen compacted journal: %w", err)
		return s.broken
	}
	s.f.Close()
	s.f, s.size, s.records = f, size, n
	return dirErr
}

// Unhealthy reports a store that refuses changes, or whose last
// compaction failed. It does no I/O.
func (s *Store) Unhealthy() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.broken != nil && !errors.Is(s.broken, errClosed):
		return s.broken.Error(), true
	case s.lastErr != nil:
		return "suppress: compaction failed: " + s.lastErr.Error(), true
	}
	return "", false
}

// Close closes the journal; later changes fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(s.broken, errClosed) {
		return nil
	}
	s.broken = errClosed
	return s.f.Close()
}

// writeFileSync creates path with what fill writes, fsynced. The mode
// keeps the addresses, personal data, from other users.
func writeFileSync(path string, fill func(*bufio.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("suppress: create %s: %w", filepath.Base(path), err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("suppress: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// syncDir fsyncs the directory holding path, making a create or rename
// in it durable.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("suppress: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("suppress: sync directory: %w", err)
	}
	return nil
}
