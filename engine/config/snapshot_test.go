package config

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestSnapshotReload checks that a good reload swaps the config, a bad one keeps the old
// one, and readers racing with reloads always see a whole config.
func TestSnapshotReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "volley.conf")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("<domain *>\nmax-smtp-out 7\n</domain>\n")
	first, probs := Load(path)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	snap := NewSnapshot(first)

	write("<domain *>\nmax-smtp-out seven\n</domain>\n")
	if c, probs := snap.Reload(path); len(probs) != 1 || c != first || snap.Current() != first {
		t.Fatalf("bad reload: problems %v, config swapped %v", probs, snap.Current() != first)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if n := snap.Current().Effective("example.com", "").MaxSMTPOut; n != 7 && n != 9 {
					t.Errorf("reader saw max-smtp-out %d", n)
					return
				}
			}
		}()
	}
	write("<domain *>\nmax-smtp-out 9\n</domain>\n")
	for range 20 {
		if _, probs := snap.Reload(path); len(probs) > 0 {
			t.Fatal(probs)
		}
	}
	close(stop)
	wg.Wait()
	if got := snap.Current().Effective("example.com", "").MaxSMTPOut; got != 9 {
		t.Fatalf("after reload max-smtp-out %d, want 9", got)
	}
	if snap.Current() == first {
		t.Fatal("good reload did not swap the config")
	}
}
