package acct

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

func TestNextDue(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		from string
		iv   time.Duration
		want string
	}{
		{"2026-12-06 15:30", 24 * time.Hour, "2026-12-07 00:00"},
		{"2026-12-06 00:00", 24 * time.Hour, "2026-12-07 00:00"},
		{"2026-12-06 15:30", time.Hour, "2026-12-06 16:00"},
		{"2026-12-06 16:00", time.Hour, "2026-12-06 17:00"},
		{"2026-12-06 15:30", 15 * time.Minute, "2026-12-06 15:45"},
		{"2026-12-06 22:00", 7 * time.Hour, "2026-12-07 00:00"}, // realigns at midnight
		{"2026-12-06 15:30", 48 * time.Hour, "2026-12-08 00:00"},
		{"2026-12-06 15:30", 36 * time.Hour, "2026-12-07 12:00"},
	} {
		if got := nextDue(at(tc.from), tc.iv); !got.Equal(at(tc.want)) {
			t.Errorf("nextDue(%s, %v) = %s, want %s", tc.from, tc.iv, got.Format("2006-01-02 15:04"), tc.want)
		}
	}
}

func TestRotatedStamp(t *testing.T) {
	for name, ok := range map[string]bool{
		"acct-2026-12-06-1530.csv":      true,
		"acct-2026-12-06-1530-0001.csv": true,
		"acct-2026-12-06-1530-01.csv":   false,
		"acct-2026-12-06-1530.csv.gz":   false,
		"acct-2026-12-06-15300.csv":     false,
		"acct-2026-13-06-1530.csv":      false,
		"acct.csv":                      false,
		"other-2026-12-06-1530.csv":     false,
		"acct-2026-12-06-1530-x001.csv": false,
		"acct--2026-12-06-1530.csv":     false,
	} {
		if _, got := rotatedStamp(name, "acct", ".csv", time.UTC); got != ok {
			t.Errorf("rotatedStamp(%q) = %v, want %v", name, got, ok)
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func rcpts(recs []Record) []string {
	var l []string
	for _, r := range recs {
		l = append(l, r.Rcpt)
	}
	return l
}

var start = time.Date(2026, 12, 6, 15, 30, 0, 0, time.UTC)

func logRcpt(w *Writer, rcpt string) {
	w.Log(&Record{Type: Delivered, TimeLogged: start, Rcpt: rcpt})
}

// TestRotateInterval: with move-to, files move every move-interval, on aligned times,
// stamped with their start; an empty file is re-stamped, not moved.
func TestRotateInterval(t *testing.T) {
	dir := t.TempDir()
	path, archive := filepath.Join(dir, "acct.csv"), filepath.Join(dir, "archive")
	clk := newClock(start)
	w := mustOpen(t, &config.AcctFile{Path: path, MoveTo: archive, MoveInterval: time.Hour, ISOTimes: true,
		DeleteAfter: time.Hour}, Options{Now: clk.Now})
	step := func(at string, rcpt string) {
		t.Helper()
		tm, _ := time.Parse("15:04:05", at)
		clk.Set(start.Add(tm.Sub(time.Date(0, 1, 1, 15, 30, 0, 0, time.UTC))))
		if rcpt != "" {
			logRcpt(w, rcpt)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	step("15:30:00", "a")
	step("15:59:59", "b")
	step("16:00:00", "c") // due: a, b move; c starts the 16:00 file
	step("17:00:05", "")  // due while idle: c moves
	step("18:00:00", "")  // due, file empty: re-stamped only
	step("18:10:00", "d")
	step("19:00:00", "")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"acct-2026-12-06-1530.csv": {"a", "b"},
		"acct-2026-12-06-1600.csv": {"c"},
		"acct-2026-12-06-1800.csv": {"d"},
	}
	got := listDir(t, archive)
	if !slices.Equal(got, []string{"acct-2026-12-06-1530.csv", "acct-2026-12-06-1600.csv", "acct-2026-12-06-1800.csv"}) {
		t.Fatalf("archive holds %v", got)
	}
	for name, rs := range want {
		if g := rcpts(readFile(t, filepath.Join(archive, name))); !slices.Equal(g, rs) {
			t.Errorf("%s holds %v, want %v", name, g, rs)
		}
	}
	if g := readFile(t, path); len(g) != 0 {
		t.Errorf("live file holds %v", rcpts(g))
	}
	if n := w.Counters.Rotated.Load(); n != 3 {
		t.Errorf("Rotated = %d", n)
	}
}

// TestRotateMidnightWithoutMoveTo: without move-to, move-interval is ignored and the file
// rotates daily at midnight, beside the path.
func TestRotateMidnightWithoutMoveTo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	clk := newClock(start)
	w := mustOpen(t, &config.AcctFile{Path: path, MoveInterval: time.Hour, ISOTimes: true}, Options{Now: clk.Now})
	logRcpt(w, "a")
	clk.Set(start.Add(2 * time.Hour))
	logRcpt(w, "b")
	w.Flush()
	if got := listDir(t, dir); !slices.Equal(got, []string{"acct.csv"}) {
		t.Fatalf("rotated before midnight: %v", got)
	}
	clk.Set(time.Date(2026, 12, 7, 0, 0, 1, 0, time.UTC))
	logRcpt(w, "c")
	w.Close()
	if got := listDir(t, dir); !slices.Equal(got, []string{"acct-2026-12-06-1530.csv", "acct.csv"}) {
		t.Fatalf("dir holds %v", got)
	}
	if g := rcpts(readFile(t, filepath.Join(dir, "acct-2026-12-06-1530.csv"))); !slices.Equal(g, []string{"a", "b"}) {
		t.Errorf("rotated file holds %v", g)
	}
	if g := rcpts(readFile(t, path)); !slices.Equal(g, []string{"c"}) {
		t.Errorf("live file holds %v", g)
	}
}

// TestRotateSize: no file passes max-size unless it holds a single record; names that
// collide within a minute take -NNNN; nothing is lost.
func TestRotateSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	const limit = 1000
	w := mustOpen(t, &config.AcctFile{Path: path, MaxSize: limit, ISOTimes: true, Records: []string{"d"},
		RecordFields: map[string][]string{"d": {"timeLogged", "rcpt", "dsnDiag"}}}, Options{Now: newClock(start).Now})
	var want []string
	for i := range 200 {
		r := fmt.Sprintf("user%03d@example.com", i)
		want = append(want, r)
		w.Log(&Record{Type: Delivered, TimeLogged: start, Rcpt: r, DSNDiag: "smtp;250 2.0.0 queued, \"ok\""})
		if i == 50 {
			// One record larger than the limit gets a file of its own.
			w.Log(&Record{Type: Delivered, TimeLogged: start, Rcpt: "big@example.com", DSNDiag: strings.Repeat("x", 2*limit)})
			want = append(want, "big@example.com")
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Oldest first: the first name, then -0001, -0002 ..., then the live file.
	names := listDir(t, dir)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(order(a), order(b)) })
	var got []string
	bigFiles := 0
	for i, name := range names {
		p := filepath.Join(dir, name)
		st, _ := os.Stat(p)
		recs := readFile(t, p)
		if st.Size() > limit {
			if len(recs) != 1 || recs[0].Rcpt != "big@example.com" {
				t.Errorf("%s: %d bytes, %d records", name, st.Size(), len(recs))
			}
			bigFiles++
		}
		if name != "acct.csv" {
			wantName := "acct-2026-12-06-1530.csv"
			if i > 0 {
				wantName = fmt.Sprintf("acct-2026-12-06-1530-%04d.csv", i)
			}
			if name != wantName {
				t.Errorf("file %d is %s, want %s", i, name, wantName)
			}
		}
		got = append(got, rcpts(recs)...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("records across files differ from those logged (%d vs %d)", len(got), len(want))
	}
	if bigFiles != 1 || len(names) < 15 || w.Counters.Rotated.Load() != uint64(len(names)-1) {
		t.Errorf("%d files, %d over the limit, %d rotations", len(names), bigFiles, w.Counters.Rotated.Load())
	}
}

func order(name string) string {
	switch {
	case name == "acct.csv":
		return "~"
	case len(name) == len("acct-2026-12-06-1530.csv"):
		return "0000"
	}
	return name[len("acct-2026-12-06-1530-"):]
}

// TestRotateConcurrent: Rotate while several goroutines log loses and duplicates nothing.
func TestRotateConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{})
	const producers, each, rotations = 8, 2000, 30
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				w.Log(&Record{Type: Delivered, Rcpt: fmt.Sprintf("p%d-%d@x", p, i)})
			}
		}()
	}
	for range rotations {
		if err := w.Rotate(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if d := w.Counters.Dropped.Load(); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	seen := map[string]bool{}
	files := listDir(t, dir)
	for _, name := range files {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if !strings.HasPrefix(string(data), "type,") {
			t.Errorf("%s has no header", name)
		}
		for _, r := range readFile(t, filepath.Join(dir, name)) {
			if seen[r.Rcpt] {
				t.Errorf("%s written twice", r.Rcpt)
			}
			seen[r.Rcpt] = true
		}
	}
	if len(seen) != producers*each {
		t.Errorf("%d records in %d files, want %d", len(seen), len(files), producers*each)
	}
	if len(files) != rotations+1 {
		t.Errorf("%d files after %d rotations", len(files), rotations)
	}
}

// TestDeleteAfter removes only rotated files of this acct-file older than delete-after,
// and nothing when move-to is set.
func TestDeleteAfter(t *testing.T) {
	files := map[string]bool{ // name -> deleted
		"acct-2026-11-20-0000.csv":      true,
		"acct-2026-11-20-0000-0001.csv": true,
		"acct-2026-11-28-1529.csv":      true,
		"acct-2026-11-28-1531.csv":      false, // younger than 8d by a minute
		"acct-2026-12-05-0000.csv":      false,
		"acct-2026-11-20-0000.csv.gz":   false,
		"other-2026-11-20-0000.csv":     false,
		"acct-2026-11-20-00000.csv":     false,
		"acct-2026-11-20.csv":           false,
		"notes.txt":                     false,
	}
	setup := func(dir string) {
		for name := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Mkdir(filepath.Join(dir, "acct-2026-11-01-0000.csv"), 0o755); err != nil { // a directory
			t.Fatal(err)
		}
	}
	cfg := config.AcctFile{ISOTimes: true, DeleteAfter: 8 * 24 * time.Hour}

	dir := t.TempDir()
	setup(dir)
	cfg.Path = filepath.Join(dir, "acct.csv")
	w := mustOpen(t, &cfg, Options{Now: newClock(start).Now})
	w.Close()
	for name, del := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != del {
			t.Errorf("%s: deleted %v, want %v", name, gone, del)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "acct-2026-11-01-0000.csv")); err != nil {
		t.Error("a directory matching the pattern was removed")
	}
	if n := w.Counters.Deleted.Load(); n != 3 {
		t.Errorf("Deleted = %d", n)
	}

	// With move-to, delete-after does not apply: not beside the path, not in move-to.
	dir = t.TempDir()
	archive := filepath.Join(dir, "archive")
	os.Mkdir(archive, 0o755)
	setup(dir)
	setup(archive)
	cfg.Path, cfg.MoveTo = filepath.Join(dir, "acct.csv"), archive
	w = mustOpen(t, &cfg, Options{Now: newClock(start).Now})
	w.Close()
	if n := w.Counters.Deleted.Load(); n != 0 || len(listDir(t, dir)) != len(files)+3 || len(listDir(t, archive)) != len(files)+1 {
		t.Errorf("with move-to: deleted %d; dir %v", n, listDir(t, dir))
	}
}

// TestDeleteAfterOnRotation: old files go when a rotation happens days later.
func TestDeleteAfterOnRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	clk := newClock(start)
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true, DeleteAfter: 2 * 24 * time.Hour}, Options{Now: clk.Now})
	for day := range 5 {
		clk.Set(time.Date(2026, 12, 6+day, 0, 0, 1, 0, time.UTC))
		w.Flush() // the monitor's wake-up after midnight
		clk.Set(start.AddDate(0, 0, day))
		logRcpt(w, fmt.Sprint(day))
		w.Flush()
	}
	w.Close()
	// At the last rotation (12-10 00:00:01) the files started before 12-08 00:00:01 go.
	got := listDir(t, dir)
	want := []string{"acct-2026-12-09-0000.csv", "acct.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("dir holds %v, want %v", got, want)
	}
	if n := w.Counters.Deleted.Load(); n != 3 {
		t.Errorf("Deleted = %d", n)
	}
}

// TestLeftoverMoved: a non-empty file an earlier run left at the path is moved aside at
// Open, stamped with its modification time; an empty one is reused.
func TestLeftoverMoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	os.WriteFile(path, []byte("type,rcpt\nd,old@x\n"), 0o640)
	mtime := time.Date(2026, 12, 6, 3, 4, 0, 0, time.UTC)
	os.Chtimes(path, mtime, mtime)
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{Now: newClock(start).Now})
	w.Close()
	if g := rcpts(readFile(t, filepath.Join(dir, "acct-2026-12-06-0304.csv"))); !slices.Equal(g, []string{"old@x"}) {
		t.Errorf("leftover holds %v", g)
	}
	data, _ := os.ReadFile(path)
	if string(data) != defaultHeader {
		t.Errorf("new file: %q", data)
	}

	os.WriteFile(path, nil, 0o640)
	w = mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{Now: newClock(start).Now})
	w.Close()
	if n := len(listDir(t, dir)); n != 2 {
		t.Errorf("an empty leftover was moved: %v", listDir(t, dir))
	}
}

// TestRotateAfterLogrotate: when something else moved the file away, Rotate starts a new
// one at the path and moves nothing.
func TestRotateAfterLogrotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	w := mustOpen(t, &config.AcctFile{Path: path, ISOTimes: true}, Options{Now: newClock(start).Now})
	logRcpt(w, "a")
	w.Flush()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	logRcpt(w, "b") // still goes to the moved file, as with any logrotate without copytruncate
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	logRcpt(w, "c")
	w.Close()
	if got := listDir(t, dir); !slices.Equal(got, []string{"acct.csv", "acct.csv.1"}) {
		t.Fatalf("dir holds %v", got)
	}
	if g := rcpts(readFile(t, path+".1")); !slices.Equal(g, []string{"a", "b"}) {
		t.Errorf("moved file holds %v", g)
	}
	if g := rcpts(readFile(t, path)); !slices.Equal(g, []string{"c"}) {
		t.Errorf("new file holds %v", g)
	}
	if n := w.Counters.Rotated.Load(); n != 0 {
		t.Errorf("Rotated = %d", n)
	}
}

// TestWriteFailureRecovers: records that cannot be written count as Failed, the failure
// is logged, and writing resumes once the file opens again.
func TestWriteFailureRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acct.csv")
	clk := newClock(start)
	var mu sync.Mutex
	var logs []string
	var mode atomicString
	good := func(p string) (*os.File, error) { return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640) }
	openFn := func(p string) (*os.File, error) {
		switch mode.Load() {
		case "read-only": // opens, but every write fails
			f, err := good(p)
			if err == nil {
				f.WriteString("type,rcpt\n")
				f.Close()
			}
			return os.Open(p)
		case "refuse":
			return nil, os.ErrPermission
		}
		return good(p)
	}
	w, err := open(&config.AcctFile{Path: path, ISOTimes: true, Records: []string{"d"},
		RecordFields: map[string][]string{"d": {"rcpt"}}},
		Options{Now: clk.Now, Logf: func(f string, a ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(f, a...))
			mu.Unlock()
		}}, openFn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	logRcpt(w, "a")
	w.Flush()

	mode.Store("read-only")
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	logRcpt(w, "lost1") // the write fails; the file is closed
	w.Flush()
	mode.Store("refuse")
	logRcpt(w, "lost2") // reopening fails: counted, retried a CheckEvery later
	w.Flush()
	logRcpt(w, "lost3") // before the retry time: not even tried
	w.Flush()

	mode.Store("")
	clk.Set(start.Add(2 * time.Second))
	logRcpt(w, "b")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if f, n := w.Counters.Failed.Load(), w.Counters.Written.Load(); f != 3 || n != 2 {
		t.Errorf("failed %d, written %d; want 3 and 2", f, n)
	}
	if g := rcpts(readFile(t, path)); !slices.Equal(g, []string{"b"}) {
		t.Errorf("file holds %v", g)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 1 || !strings.Contains(logs[0], "bad file descriptor") {
		t.Errorf("logs: %q (want one line: failures within CheckEvery are not repeated)", logs)
	}
}

// TestRotateMoveFails: when the file cannot be moved, Rotate says so and writing goes on
// in the same file.
func TestRotateMoveFails(t *testing.T) {
	dir := t.TempDir()
	path, archive := filepath.Join(dir, "acct.csv"), filepath.Join(dir, "archive")
	w := mustOpen(t, &config.AcctFile{Path: path, MoveTo: archive, ISOTimes: true}, Options{Now: newClock(start).Now})
	logRcpt(w, "a")
	os.Remove(archive)
	os.WriteFile(archive, nil, 0o644) // move-to is now a file: rename fails, even for root
	if err := w.Rotate(); err == nil || !strings.Contains(err.Error(), "rotate") {
		t.Errorf("Rotate: %v", err)
	}
	logRcpt(w, "b")
	w.Close()
	if g := rcpts(readFile(t, path)); !slices.Equal(g, []string{"a", "b"}) {
		t.Errorf("file holds %v", g)
	}
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) Load() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.s
}

func (a *atomicString) Store(s string) {
	a.mu.Lock()
	a.s = s
	a.mu.Unlock()
}
