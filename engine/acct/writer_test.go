package acct

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

func mustOpen(t *testing.T, cfg *config.AcctFile, opts Options) *Writer {
	t.Helper()
	w, err := Open(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func readFile(t *testing.T, path string) []Record {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestWriterRoundTrip writes d, b, t and r records through a file and reads them back.
func TestWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acct.csv")
	cfg := allTypesCfg(path)
	cfg.Records = []string{"d", "b", "t", "r"}
	w := mustOpen(t, cfg, Options{})
	var want []Record
	for _, ty := range []Type{Delivered, Bounced, Transient, Received} {
		r := sample(ty)
		w.Log(&r)
		want = append(want, r)
	}
	q := sample(TransientQueue) // not in records: ignored, not dropped
	w.Log(&q)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, readFile(t, path), want)
	if n, d := w.Counters.Written.Load(), w.Counters.Dropped.Load(); n != 4 || d != 0 {
		t.Errorf("written %d, dropped %d", n, d)
	}
	data, _ := os.ReadFile(path)
	if h, _, _ := strings.Cut(string(data), "\n"); !strings.HasPrefix(h, "type,timeLogged,timeQueued,timeFirstAttempt,") || strings.Count(string(data), "type,") != 1 {
		t.Errorf("header: %s", h)
	}
}

// TestWriterFills: the writer sets a zero timeLogged to its clock and derives
// totalSecondsQueued.
func TestWriterFills(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acct.csv")
	clk := newClock(tLogged)
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{Now: clk.Now})
	w.Log(&Record{Type: Delivered, Rcpt: "a@x", TimeQueued: tQueued})
	w.Close()
	got := readFile(t, path)
	if len(got) != 1 || !got[0].TimeLogged.Equal(tLogged) || got[0].TotalSecondsQueued != 65 {
		t.Errorf("got %+v", got)
	}
}

// TestCloseFlushes: everything logged before Close is in the file after it, and Log
// after Close drops.
func TestCloseFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acct.csv")
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{})
	for i := range 5000 {
		w.Log(&Record{Type: Delivered, TimeLogged: tLogged, Rcpt: fmt.Sprintf("u%d@example.com", i)})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(readFile(t, path)); n != 5000 {
		t.Errorf("%d records in the file, want 5000", n)
	}
	w.Log(&Record{Type: Delivered})
	if d := w.Counters.Dropped.Load(); d != 1 {
		t.Errorf("dropped %d after Close, want 1", d)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Rotate(); err != ErrClosed {
		t.Errorf("Rotate after Close: %v", err)
	}
	if err := w.Flush(); err != ErrClosed {
		t.Errorf("Flush after Close: %v", err)
	}
}

// TestQueueFullDrops stalls the writer goroutine (its clock blocks, as a stuck disk
// would block it) and checks that Log neither blocks nor queues past QueueSize, that
// drops are counted and reported, and that what was queued is written once the writer
// runs again.
func TestQueueFullDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acct.csv")
	var stalled atomic.Bool
	blocked, release := make(chan struct{}, 1), make(chan struct{})
	now := func() time.Time {
		if stalled.Load() {
			select {
			case blocked <- struct{}{}:
			default:
			}
			<-release
		}
		return tLogged
	}
	var mu sync.Mutex
	var logs []string
	logf := func(f string, a ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, a...))
		mu.Unlock()
	}
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true},
		Options{Now: now, Logf: logf, QueueSize: 100, CheckEvery: 5 * time.Millisecond})
	stalled.Store(true)
	w.poke()
	<-blocked // the writer is stuck before taking anything
	done := make(chan struct{})
	go func() {
		for range 150 {
			w.Log(&Record{Type: Delivered, Rcpt: "more@x"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Log blocked")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(logs)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stalled.Store(false)
	close(release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	written, dropped := w.Counters.Written.Load(), w.Counters.Dropped.Load()
	if written != 100 || dropped != 50 {
		t.Errorf("written %d, dropped %d; want 100 and 50", written, dropped)
	}
	if n := uint64(len(readFile(t, path))); n != written {
		t.Errorf("%d records in the file, counters say %d", n, written)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) == 0 || !strings.Contains(logs[0], "queue full") {
		t.Errorf("drop report: %q", logs)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  config.AcctFile
		want string
	}{
		{"pipe", config.AcctFile{Path: "|/usr/bin/collector"}, "pipes are not supported"},
		{"empty path", config.AcctFile{}, "want a file path"},
		{"bad field", config.AcctFile{Path: filepath.Join(dir, "a.csv"),
			RecordFields: map[string][]string{"d": {"nope"}}}, "unknown field"},
		{"a directory", config.AcctFile{Path: dir}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Open(&tc.cfg, Options{})
			if err == nil {
				w.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
