package spool

import (
	"context"
	"errors"
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

	"github.com/volleymta/volley/internal/emul"
)

// Fault injection: a crashable MemFS wrapped by errorfs, with an injector
// that, once switched on, fails one class of operations with an errno. At
// the first injected error it takes a crash clone of the MemFS (what a
// crash at the moment of the failure would leave: only synced data), so the
// tests can check both the live spool and a spool recovered from the crash.

var (
	faultWrites = []errorfs.OpKind{errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFilePreallocate,
		errorfs.OpCreate, errorfs.OpReuseForWrite, errorfs.OpLink, errorfs.OpMkdirAll}
	faultSyncs = []errorfs.OpKind{errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo}
)

type faultInjector struct {
	mem   *vfs.MemFS
	kinds map[errorfs.OpKind]bool
	errno syscall.Errno
	on    atomic.Bool
	fired atomic.Int64
	clone atomic.Pointer[vfs.MemFS] // crash clone at the first injected error
}

func newFaultFS(errno syscall.Errno, kinds []errorfs.OpKind) (*faultInjector, vfs.FS) {
	inj := &faultInjector{mem: vfs.NewCrashableMem(), kinds: make(map[errorfs.OpKind]bool), errno: errno}
	for _, k := range kinds {
		inj.kinds[k] = true
	}
	return inj, errorfs.Wrap(inj.mem, inj)
}

func (f *faultInjector) String() string { return fmt.Sprintf("fault(%v)", f.errno) }

// MaybeError implements errorfs.Injector.
func (f *faultInjector) MaybeError(op errorfs.Op) error {
	if !f.on.Load() || !f.kinds[op.Kind] {
		return nil
	}
	if f.fired.Add(1) == 1 {
		f.clone.Store(f.mem.CrashClone(vfs.CrashCloneCfg{}))
	}
	return &os.PathError{Op: fmt.Sprintf("injected(op %d)", op.Kind), Path: op.Path, Err: f.errno}
}

// appendSeqs appends messages lo..hi-1 one by one, all of which must succeed.
func appendSeqs(t *testing.T, s *Spool, lo, hi uint64) map[ID]uint64 {
	t.Helper()
	acked := make(map[ID]uint64)
	for seq := lo; seq < hi; seq++ {
		m, body := crashMessage(seq)
		id, err := s.Append(context.Background(), m, body)
		if err != nil {
			t.Fatalf("Append seq %d before the fault: %v", seq, err)
		}
		acked[id] = seq
	}
	return acked
}

// closeWithin closes s, reporting (not failing on) an error or a hang: after
// a storage failure Pebble may refuse to close cleanly.
func closeWithin(t *testing.T, s *Spool, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		t.Logf("Close after the fault: %v", err)
	case <-time.After(d):
		t.Logf("Close after the fault hangs (abandoned after %v)", d)
	}
}

// verifyRecovered opens the spool on fs and checks it: every message whole,
// every acked one present; a failed one may be present (whole) or absent.
// It returns how many failed messages are present.
func verifyRecovered(t *testing.T, label string, fs vfs.FS, acked, failed map[ID]uint64) int {
	t.Helper()
	s, err := Open("spool", Options{FS: fs})
	if err != nil {
		t.Fatalf("%s: reopen: %v", label, err)
	}
	defer s.Close()
	seen := make(map[ID]bool)
	err = s.Scan(func(m *Message) error {
		seq, err := crashSeq(m)
		if err != nil {
			return err
		}
		want, ok := acked[m.ID]
		if !ok {
			want, ok = failed[m.ID]
		}
		if !ok || want != seq {
			return fmt.Errorf("message %s (seq %d) was never appended under this id", m.ID, seq)
		}
		body, err := s.Body(m.ID)
		if err != nil {
			return fmt.Errorf("message %s (seq %d): Body: %w", m.ID, seq, err)
		}
		seen[m.ID] = true
		return checkMessage(m, body, seq)
	})
	if err != nil {
		t.Fatalf("%s: Scan: %v", label, err)
	}
	for id, seq := range acked {
		if !seen[id] {
			t.Fatalf("%s: acknowledged message %s (seq %d) is missing", label, id, seq)
		}
		if _, err := s.Get(id); err != nil {
			t.Fatalf("%s: Get acknowledged %s: %v", label, id, err)
		}
	}
	present := 0
	for id := range failed {
		if seen[id] {
			present++
		}
	}
	t.Logf("%s: %d acknowledged messages intact; %d of %d failed appends present (whole)", label, len(acked), present, len(failed))
	return present
}

// faultOne appends 20 messages, switches the fault on, checks that the next
// appends fail with want (and Unhealthy says so), then checks the spool
// recovered from a crash at the failure, from a crash after it, and reopened
// on the same MemFS after Close, with the fault removed.
func faultOne(t *testing.T, errno syscall.Errno, kinds []errorfs.OpKind, want error) {
	inj, fs := newFaultFS(errno, kinds)
	s, err := Open("spool", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	acked := appendSeqs(t, s, 1, 21)
	inj.on.Store(true)
	failed := make(map[ID]uint64)
	for seq := uint64(21); seq < 24; seq++ {
		m, body := crashMessage(seq)
		id, err := s.Append(context.Background(), m, body)
		failed[m.ID] = seq
		if err == nil {
			t.Fatalf("Append seq %d during the fault returned nil (id %s)", seq, id)
		}
		if !errors.Is(err, want) || !errors.Is(err, errno) {
			t.Fatalf("Append during the fault: %v; errors.Is(%v) = %v, errors.Is(%v) = %v",
				err, want, errors.Is(err, want), errno, errors.Is(err, errno))
		}
		if seq == 21 {
			t.Logf("Append during the fault: %v", err)
		}
	}
	for id, seq := range failed {
		if m, err := s.Get(id); err == nil {
			t.Logf("failed append seq %d is visible in the live spool (%d recipients): Pebble applied it to the memtable", seq, len(m.Recipients))
		}
	}
	if msg, bad := s.Unhealthy(); !bad {
		t.Fatal("Unhealthy() reports nothing after a storage failure")
	} else {
		t.Logf("Unhealthy: %s", msg)
	}
	if inj.clone.Load() == nil {
		t.Fatal("the fault never fired")
	}
	after := inj.mem.CrashClone(vfs.CrashCloneCfg{})
	inj.on.Store(false)
	closeWithin(t, s, 5*time.Second)
	verifyRecovered(t, "crash at the failure", inj.clone.Load(), acked, failed)
	verifyRecovered(t, "crash after the failure", after, acked, failed)
	verifyRecovered(t, "reopen after Close", fs, acked, failed)
}

func TestFaultENOSPC(t *testing.T) {
	faultOne(t, syscall.ENOSPC, faultWrites, ErrFull)
}

func TestFaultEIOSync(t *testing.T) {
	faultOne(t, syscall.EIO, faultSyncs, ErrIO)
}

// faultAppender is one of TestFaultConcurrent's appenders: it appends until
// its first error, recording what was acknowledged (and whether before the
// fault was switched on) and what failed.
type faultResults struct {
	mu           sync.Mutex
	acked        map[ID]uint64
	ackedBefore  map[ID]uint64 // acknowledged before the fault was switched on
	failed       map[ID]uint64
	errs         map[string]int
	ackedDuring  int
	phase        atomic.Int32 // 1 once the fault is on
	ackedTotalCh chan struct{}
}

func (r *faultResults) appender(s *Spool, seqs *atomic.Uint64, want error) {
	for {
		seq := seqs.Add(1)
		m, body := crashMessage(seq)
		id, err := s.Append(context.Background(), m, body)
		phase := r.phase.Load()
		r.mu.Lock()
		if err != nil {
			r.failed[m.ID] = seq
			key := "other: " + err.Error()
			if errors.Is(err, want) {
				key = want.Error()
			}
			r.errs[key]++
			r.mu.Unlock()
			return
		}
		r.acked[id] = seq
		if phase == 0 {
			r.ackedBefore[id] = seq
		} else {
			r.ackedDuring++
		}
		if len(r.acked) == 64 {
			close(r.ackedTotalCh)
		}
		r.mu.Unlock()
	}
}

// faultConcurrent runs 16 appenders, switches the fault on once 64 messages
// are in, and checks that every appender then gets an error, and that no
// message acknowledged with nil is lost in a crash.
func faultConcurrent(t *testing.T, errno syscall.Errno, kinds []errorfs.OpKind, want error) {
	inj, fs := newFaultFS(errno, kinds)
	s, err := Open("spool", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	r := &faultResults{acked: map[ID]uint64{}, ackedBefore: map[ID]uint64{}, failed: map[ID]uint64{},
		errs: map[string]int{}, ackedTotalCh: make(chan struct{})}
	var seqs atomic.Uint64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() { defer wg.Done(); r.appender(s, &seqs, want) }()
	}
	<-r.ackedTotalCh
	r.phase.Store(1)
	inj.on.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("appenders still running 30s after the fault")
	}
	after := inj.mem.CrashClone(vfs.CrashCloneCfg{})
	t.Logf("%d acknowledged (%d while the fault was on), %d failed: %v", len(r.acked), r.ackedDuring, len(r.failed), r.errs)
	if r.errs[want.Error()] != len(r.failed) {
		t.Errorf("errors other than %v: %v", want, r.errs)
	}
	inj.on.Store(false)
	closeWithin(t, s, 5*time.Second)
	failedOrLate := make(map[ID]uint64)
	for id, seq := range r.failed {
		failedOrLate[id] = seq
	}
	for id, seq := range r.acked {
		if _, ok := r.ackedBefore[id]; !ok {
			failedOrLate[id] = seq // acknowledged as the fault began: maybe synced after the first clone
		}
	}
	verifyRecovered(t, "crash at the failure", inj.clone.Load(), r.ackedBefore, failedOrLate)
	verifyRecovered(t, "crash after the failure", after, r.acked, r.failed)
	verifyRecovered(t, "reopen after Close", fs, r.acked, r.failed)
}

const (
	faultChildEnv  = "SPOOL_FAULT_CHILD"  // ENOSPC or EIO: run TestFaultConcurrentChild
	faultStrictEnv = "SPOOL_FAULT_STRICT" // 1: fail, not skip, on Pebble's fatal error
)

// TestFaultConcurrentChild runs faultConcurrent in a child process: Pebble
// may kill the process on a WAL failure (see runFaultChild).
func TestFaultConcurrentChild(t *testing.T) {
	switch os.Getenv(faultChildEnv) {
	case "ENOSPC":
		faultConcurrent(t, syscall.ENOSPC, faultWrites, ErrFull)
	case "EIO":
		faultConcurrent(t, syscall.EIO, faultSyncs, ErrIO)
	default:
		t.Skip("only run as a child of TestFaultConcurrent*")
	}
}

// runFaultChild runs TestFaultConcurrentChild in a child process. A WAL
// failure that reaches Pebble's rotateWAL (the memtable filled while the WAL
// writer had failed) is fatal there: rotateWAL panics with the error after
// unlocking DB.mu (db.go:2822 closing the old WAL, db.go:2835 creating the
// new one), and commitWrite's deferred d.mu.Unlock then throws "fatal error:
// sync: unlock of unlocked mutex", which no recover can catch. The spool
// cannot prevent that, so the test reports it and skips, unless
// SPOOL_FAULT_STRICT=1.
func runFaultChild(t *testing.T, kind string) {
	cmd := emul.Command(os.Args[0], "-test.run=^TestFaultConcurrentChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), faultChildEnv+"="+kind)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "fault_test.go") || strings.HasPrefix(line, "--- ") {
			t.Log("child:", strings.TrimSpace(line))
		}
	}
	if err == nil {
		return
	}
	fatal := strings.Contains(string(out), "fatal error: sync: unlock of unlocked mutex") &&
		strings.Contains(string(out), "rotateWAL")
	if !fatal {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	var where string
	if i := strings.Index(string(out), "pebble/v2.(*DB).rotateWAL"); i >= 0 {
		if f := strings.Fields(string(out)[i:]); len(f) > 1 {
			where = filepath.Base(f[1]) // db.go:LINE of the panic
		}
	}
	msg := "Pebble killed the process on a " + kind + " WAL failure during WAL rotation (" + where +
		"): fatal error: sync: unlock of unlocked mutex; the spool survives ENOSPC/EIO only when no WAL rotation follows the failure"
	if os.Getenv(faultStrictEnv) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func TestFaultConcurrentENOSPC(t *testing.T) { runFaultChild(t, "ENOSPC") }

func TestFaultConcurrentEIOSync(t *testing.T) { runFaultChild(t, "EIO") }
