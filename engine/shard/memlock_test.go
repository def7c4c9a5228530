package shard

import (
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/volleymta/volley/internal/emul"
	"github.com/volleymta/volley/iouring"
)

// TestAutoFallsBackWhenRingsDoNotFit: under io-engine auto, when the probe's
// ring fits but the shards' rings do not (RLIMIT_MEMLOCK, which io_uring
// charges without CAP_IPC_LOCK), the group starts on epoll and says why.
// The check runs in a child that lowers its memlock limit and drops root,
// since root is never limited.
func TestAutoFallsBackWhenRingsDoNotFit(t *testing.T) {
	if os.Getenv("VOLLEY_MEMLOCK_CHILD") == "1" {
		memlockChild(t)
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to drop to another user with a small RLIMIT_MEMLOCK")
	}
	if err := iouring.ProbeIOUring(); err != nil {
		t.Skipf("no io_uring here: %v", err)
	}
	cmd := emul.Command(os.Args[0], "-test.run=^TestAutoFallsBackWhenRingsDoNotFit$", "-test.v")
	cmd.Env = append(os.Environ(), "VOLLEY_MEMLOCK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func memlockChild(t *testing.T) {
	// 1 MiB: the probe's ring fits, eight shards' rings (~420 KiB each) do not.
	lim := syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}
	if err := syscall.Setrlimit(8 /* RLIMIT_MEMLOCK */, &lim); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setgid(65534); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setuid(65534); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logs []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, format)
	}
	g, err := Start(Options{Count: 8, IO: iouring.Options{Engine: iouring.EngineAuto, Logf: logf}})
	if err != nil {
		t.Fatalf("Start under auto: %v (logs %q)", err, logs)
	}
	defer func() { g.Stop(); _ = g.Wait() }()
	if g.Engine() != iouring.EngineEpoll {
		t.Fatalf("engine %v, want epoll after the rings did not fit", g.Engine())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 2 || !strings.Contains(logs[1], "epoll after all") {
		t.Fatalf("logs %q, want the probe's line then the fallback's", logs)
	}
	if _, err := Start(Options{Count: 8, IO: iouring.Options{Engine: iouring.EngineIOUring}}); err == nil ||
		!strings.Contains(err.Error(), "RLIMIT_MEMLOCK") {
		t.Fatalf("io-engine io_uring: %v, want an error naming RLIMIT_MEMLOCK", err)
	}
}
