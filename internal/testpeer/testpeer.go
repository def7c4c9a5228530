// Package testpeer finds and starts the real programs Volley's tests talk
// to (Postfix's smtp-sink and smtp-source, swaks, haproxy, unbound,
// Debian's Python): a missing one skips the test, except under
// VOLLEY_REQUIRE_PEERS (CI), where it fails it.
package testpeer

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Need returns the first of names found (a bare name is looked up on PATH,
// a path is taken as it is), or skips the test naming the Debian package
// pkg that provides it; under VOLLEY_REQUIRE_PEERS it fails instead.
func Need(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
		t.Fatalf("%s not installed (apt-get install %s)", names[0], pkg)
	}
	t.Skipf("%s not installed (apt-get install %s); skipping the real-peer test", names[0], pkg)
	return ""
}

// Sink runs Postfix's smtp-sink on a free 127.0.0.1 port until the test
// ends and returns its address once it accepts connections.
func Sink(t testing.TB) string {
	t.Helper()
	bin := Need(t, "postfix", "smtp-sink", "/usr/sbin/smtp-sink")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	args := []string{"-c", addr, "256"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "nobody"}, args...) // smtp-sink refuses to run as root
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatal("smtp-sink did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Buffer collects a child's output for failure messages; safe for the
// child's writers and the test at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitRefused dials addr until the kernel refuses the connection (its
// listener has closed), failing the test if that takes over limit or a
// dial fails any other way.
func WaitRefused(t testing.TB, addr string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			// One listener closed with this connection in its accept
			// queue; another (SO_REUSEPORT) may still be open: dial again.
		case err != nil && !errors.Is(err, syscall.ECONNREFUSED):
			t.Fatalf("dial %s: %v, want connection refused", addr, err)
		case err != nil:
			return
		default:
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections after %v", addr, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
