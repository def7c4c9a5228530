package pickup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/volleymta/volley/spool"
)

// rig is a pickup directory, its bad-mail directory, a staging directory on
// the same file system and a real spool.
type rig struct {
	dir, bad, stage string
	sp              *spool.Spool
}

func newRig(t *testing.T) *rig {
	t.Helper()
	root := t.TempDir()
	r := &rig{dir: filepath.Join(root, "new"), bad: filepath.Join(root, "bad"), stage: filepath.Join(root, "stage")}
	for _, d := range []string{r.dir, r.stage} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.sp = openSpool(t, filepath.Join(root, "spool"))
	return r
}

func openSpool(t *testing.T, dir string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		t.Fatalf("spool.Open: %v", err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// drop writes a file to the staging directory and renames it into dir.
func (r *rig) drop(t testing.TB, name, content string) {
	tmp := filepath.Join(r.stage, name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, name)); err != nil {
		t.Error(err)
	}
}

// start runs a Pickup over r with test timings; stop waits for Run.
func (r *rig) start(t *testing.T, sp Appender, tweak func(*Options), setup ...func(*Pickup)) (p *Pickup, stop func()) {
	t.Helper()
	opts := Options{Dir: r.dir, BadDir: r.bad, Spool: sp, Settle: 100 * time.Millisecond,
		RetryInterval: 50 * time.Millisecond, Rescan: time.Second, Logf: t.Logf}
	if tweak != nil {
		tweak(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range setup {
		f(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dirNames(t *testing.T, dir string) []string {
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

// spooled returns every spooled message keyed by job, with its body.
func spooled(t *testing.T, sp *spool.Spool) map[string]*spoolMsg {
	t.Helper()
	out := map[string]*spoolMsg{}
	err := sp.Scan(func(m *spool.Message) error {
		body, err := sp.Body(m.ID)
		if err != nil {
			return err
		}
		if _, dup := out[m.Job]; dup {
			return fmt.Errorf("job %q spooled twice", m.Job)
		}
		out[m.Job] = &spoolMsg{m, string(body)}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

type spoolMsg struct {
	m    *spool.Message
	body string
}

// numbered returns pickup file i, its recipients and its wire-form body.
func numbered(i int) (file string, rcpts []string, body string) {
	rcpts = []string{fmt.Sprintf("r%d-a@example.net", i), fmt.Sprintf("r%d-b@example.org", i), fmt.Sprintf("r%d-c@example.com", i)}
	body = fmt.Sprintf("From: s@example.com\r\nSubject: message %d\r\n\r\n%s\r\n", i, strings.Repeat(fmt.Sprintf("line of %d ", i), 1+i%50))
	file = fmt.Sprintf("x-sender: <s@example.com>\r\nx-job: job-%d\r\nx-envid: env-%d\r\n", i, i)
	for _, r := range rcpts {
		file += "x-receiver: <" + r + ">\r\n"
	}
	return file + body, rcpts, body
}

func checkNumbered(t *testing.T, got map[string]*spoolMsg, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%d messages spooled, want %d", len(got), n)
	}
	for i := range n {
		_, rcpts, body := numbered(i)
		sm := got[fmt.Sprintf("job-%d", i)]
		if sm == nil {
			t.Fatalf("message %d lost", i)
		}
		m := sm.m
		if m.From != "s@example.com" || m.EnvID != fmt.Sprintf("env-%d", i) || m.Origin != "pickup" || m.Size != int64(len(body)) {
			t.Fatalf("message %d: %+v", i, m)
		}
		if len(m.Recipients) != len(rcpts) {
			t.Fatalf("message %d: %d recipients, want %d", i, len(m.Recipients), len(rcpts))
		}
		for k, r := range m.Recipients {
			if r.Addr != rcpts[k] || int(r.Index) != k {
				t.Fatalf("message %d recipient %d: %+v, want %s", i, k, r, rcpts[k])
			}
		}
		if sm.body != body {
			t.Fatalf("message %d body\n got %q\nwant %q", i, sm.body, body)
		}
	}
}

func TestPickupTenThousand(t *testing.T) {
	const n = 10000
	r := newRig(t)
	p, stop := r.start(t, r.sp, nil)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				file, _, _ := numbered(i)
				r.drop(t, fmt.Sprintf("msg-%05d.eml", i), file)
			}
		}()
	}
	wg.Wait()
	waitFor(t, 50*time.Second, "10000 files picked up", func() bool { return p.Counters().Picked.Load() == n })
	t.Logf("10000 files dropped and spooled in %v (%d spool syncs)", time.Since(start), r.sp.Stats().Syncs)
	stop()
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("%d files left in the pickup directory", len(names))
	}
	if bad := p.Counters().Bad.Load(); bad != 0 {
		t.Errorf("%d bad files", bad)
	}
	checkNumbered(t, spooled(t, r.sp), n)
}

func TestPickupFilesPresentAtStart(t *testing.T) {
	const n = 50
	r := newRig(t)
	for i := range n {
		file, _, _ := numbered(i)
		r.drop(t, fmt.Sprintf("m%d", i), file)
	}
	// A dot file is the feeder's temporary name and is left alone.
	if err := os.WriteFile(filepath.Join(r.dir, ".partial"), []byte("x-sender"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, stop := r.start(t, r.sp, nil)
	waitFor(t, 10*time.Second, "files picked up", func() bool { return p.Counters().Picked.Load() == n })
	stop()
	checkNumbered(t, spooled(t, r.sp), n)
	if names := dirNames(t, r.dir); len(names) != 1 || names[0] != ".partial" {
		t.Errorf("pickup directory holds %v, want only .partial", names)
	}
}

func TestPickupBadFiles(t *testing.T) {
	r := newRig(t)
	p, stop := r.start(t, r.sp, func(o *Options) { o.MaxRecipients = 2 })
	want := map[string]string{}
	for i, tc := range parseCases {
		if tc.err == "" || tc.removeDot {
			continue
		}
		if tc.maxRcpt != 0 && tc.maxRcpt != 2 {
			continue
		}
		name := fmt.Sprintf("bad-%02d", i)
		want[name] = tc.err
		r.drop(t, name, tc.in)
	}
	waitFor(t, 10*time.Second, "bad files moved", func() bool { return p.Counters().Bad.Load() == uint64(len(want)) })
	stop()
	for name, reason := range want {
		got, err := os.ReadFile(filepath.Join(r.bad, name+".err"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != reason+"\n" {
			t.Errorf("%s.err = %q, want %q", name, got, reason+"\n")
		}
		if _, err := os.Stat(filepath.Join(r.bad, name)); err != nil {
			t.Errorf("%s not in the bad directory: %v", name, err)
		}
	}
	if names := dirNames(t, r.dir); len(names) != 0 {
		t.Errorf("pickup directory still holds %v", names)
	}
	if got := spooled(t, r.sp); len(got) != 0 {
		t.Errorf("%d bad files spooled", len(got))
	}
}

func TestPickupLineEndingsAndRemoveDot(t *testing.T) {
	r := newRig(t)
	p, stop := r.start(t, r.sp, func(o *Options) { o.RemoveDot = true })
	const env = "x-sender: a@example.com\r\nx-receiver: b@example.net\r\n"
	r.drop(t, "crlf", env+"x-job: crlf\r\n"+"Subject: x\r\n\r\n..dot\r\nend\r\n")
	r.drop(t, "lf", strings.ReplaceAll(env+"x-job: lf\r\n"+"Subject: x\r\n\r\n..dot\r\nend\r\n", "\r\n", "\n"))
	waitFor(t, 10*time.Second, "2 files", func() bool { return p.Counters().Picked.Load() == 2 })
	stop()
	got := spooled(t, r.sp)
	for _, job := range []string{"crlf", "lf"} {
		if sm := got[job]; sm == nil || sm.body != "Subject: x\r\n\r\n.dot\r\nend\r\n" {
			t.Errorf("%s: spooled %+v", job, sm)
		}
	}
}

// TestPickupWriterInPlace writes a file directly in the pickup directory in
// two steps; it must not be read between them.
func TestPickupWriterInPlace(t *testing.T) {
	for _, lease := range []bool{true, false} {
		t.Run(fmt.Sprintf("lease=%v", lease), func(t *testing.T) {
			r := newRig(t)
			p, stop := r.start(t, r.sp, nil, func(p *Pickup) { p.useLease = lease })
			file, _, _ := numbered(0)
			f, err := os.Create(filepath.Join(r.dir, "inplace"))
			if err != nil {
				t.Fatal(err)
			}
			half := len(file) - 20 // envelope and part of the body: it would parse
			if _, err := f.WriteString(file[:half]); err != nil {
				t.Fatal(err)
			}
			if lease {
				time.Sleep(300 * time.Millisecond) // well past Settle
			} else {
				time.Sleep(30 * time.Millisecond) // within Settle
			}
			if _, err := f.WriteString(file[half:]); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the file", func() bool { return p.Counters().Picked.Load() == 1 })
			stop()
			if p.Counters().Deferred.Load() == 0 {
				t.Error("the file was never deferred")
			}
			checkNumbered(t, spooled(t, r.sp), 1)
		})
	}
}

// TestPickupSpoolFailure drops files while the spool refuses them: they stay
// in the pickup directory, out of the bad directory, and a Pickup over a
// working spool takes them later.
func TestPickupSpoolFailure(t *testing.T) {
	t.Run("disk full", func(t *testing.T) {
		var full atomic.Bool
		fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
			if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
				return syscall.ENOSPC
			}
			return nil
		}))
		sp, err := spool.Open("spool", spool.Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sp.Close() })
		full.Store(true)
		testSpoolFailure(t, sp)
	})
	t.Run("closed", func(t *testing.T) {
		sp := openSpool(t, filepath.Join(t.TempDir(), "closed"))
		sp.Close()
		testSpoolFailure(t, sp)
	})
}

func testSpoolFailure(t *testing.T, broken *spool.Spool) {
	const n = 20
	r := newRig(t)
	p, stop := r.start(t, broken, nil)
	for i := range n {
		file, _, _ := numbered(i)
		r.drop(t, fmt.Sprintf("m%d", i), file)
	}
	waitFor(t, 10*time.Second, "retries", func() bool { return p.Counters().Retried.Load() >= 2*n })
	stop()
	if got := len(dirNames(t, r.dir)); got != n {
		t.Fatalf("%d files in the pickup directory, want %d", got, n)
	}
	if names, _ := os.ReadDir(r.bad); len(names) != 0 {
		t.Fatalf("bad directory holds %d files", len(names))
	}
	if c := p.Counters(); c.Picked.Load() != 0 || c.Bad.Load() != 0 {
		t.Fatalf("picked %d, bad %d", c.Picked.Load(), c.Bad.Load())
	}

	p2, stop2 := r.start(t, r.sp, nil)
	waitFor(t, 10*time.Second, "files picked up", func() bool { return p2.Counters().Picked.Load() == n })
	stop2()
	checkNumbered(t, spooled(t, r.sp), n)
}

func TestNewOptions(t *testing.T) {
	r := newRig(t)
	for _, o := range []Options{
		{BadDir: r.bad, Spool: r.sp},
		{Dir: r.dir, Spool: r.sp},
		{Dir: r.dir, BadDir: r.bad},
		{Dir: filepath.Join(r.dir, "missing"), BadDir: r.bad, Spool: r.sp},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
