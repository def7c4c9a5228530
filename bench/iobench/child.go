//go:build linux

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/volleymta/volley/internal/emul"
	"github.com/volleymta/volley/iouring"
)

// Each server runs in a child process, a re-exec of this binary with the
// hidden -serve flag, so that its CPU time and memory are its own and the
// three servers never share a heap, a garbage collector or a scheduler.

// server kinds, in run order.
const (
	kindUring = "uring"
	kindEpoll = "epoll"
	kindGonet = "gonet"
)

var allKinds = []string{kindUring, kindEpoll, kindGonet}

// kindTitle is a kind's name in the report.
func kindTitle(kind string) string {
	if kind == kindUring {
		return "io_uring"
	}
	return kind
}

// errUnavailable says the child could not start its engine on this kernel;
// the report shows n/a rather than failing.
var errUnavailable = errors.New("engine unavailable")

// serveFlag starts the command line of a server child.
const serveFlag = "-serve="

// isServeInvocation tells main (and TestMain) that this process is a child.
func isServeInvocation(args []string) bool {
	return len(args) > 0 && strings.HasPrefix(args[0], serveFlag)
}

// serveMain is the child: it starts the server, prints "LISTEN addr" for the
// parent, and serves until its stdin closes (the parent is gone or done) or
// the parent-death signal kills it. It returns the exit status.
func serveMain(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	kind := fs.String("serve", "", "server kind: uring, epoll or gonet")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	shards := fs.Int("shards", runtime.NumCPU(), "reactor shards (one per core)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := raiseNofile(); err != nil {
		fmt.Fprintln(os.Stderr, "iobench server: raise RLIMIT_NOFILE:", err)
	}
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil {
		fmt.Printf("ERROR %v\n", err)
		return 2
	}
	var bound netip.AddrPort
	switch *kind {
	case kindUring:
		bound, err = serveReactor(iouring.EngineIOUring, ap, *shards)
	case kindEpoll:
		bound, err = serveReactor(iouring.EngineEpoll, ap, *shards)
	case kindGonet:
		bound, err = serveGonet(ap)
	default:
		err = fmt.Errorf("unknown server kind %q", *kind)
	}
	if err != nil {
		if errors.Is(err, iouring.ErrUnavailable) {
			fmt.Printf("UNAVAILABLE %v\n", err)
			return 3
		}
		fmt.Printf("ERROR %v\n", err)
		return 1
	}
	fmt.Printf("LISTEN %s\n", bound)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// server is the parent's handle on a running child.
type server struct {
	kind  string
	addr  netip.AddrPort
	pid   int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{} // closed when the child has been reaped
}

// startServer starts a child serving kind and waits (at most timeout) for
// its listening address.
func startServer(kind string, shards int, timeout time.Duration) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// Through the emulator VOLLEY_QEMU names, if any: without binfmt_misc an
	// emulated process cannot exec its own binary.
	cmd := emul.Command(exe, serveFlag+kind, "-addr=127.0.0.1:0", fmt.Sprintf("-shards=%d", shards))
	cmd.Stderr = os.Stderr
	// Pdeathsig kills the child if the parent dies without cleaning up; the
	// stdin pipe is the second line of defence (EOF ends the child).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// An os.Pipe rather than StdoutPipe: Wait closes a StdoutPipe as soon as
	// the child exits, which could lose the line of a child that prints
	// UNAVAILABLE and exits at once.
	stdout, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		stdout.Close()
		return nil, err
	}
	s := &server{kind: kind, pid: cmd.Process.Pid, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout) // a child's later output never blocks it
		stdout.Close()
	}()
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(timeout):
		s.stop()
		return nil, fmt.Errorf("%s server: no address within %v", kindTitle(kind), timeout)
	}
	verb, rest, _ := strings.Cut(line, " ")
	switch verb {
	case "LISTEN":
		if s.addr, err = netip.ParseAddrPort(rest); err == nil {
			return s, nil
		}
	case "UNAVAILABLE":
		err = fmt.Errorf("%w: %s", errUnavailable, rest)
	case "ERROR":
		err = errors.New(rest)
	default:
		err = fmt.Errorf("unexpected output %q", line)
	}
	s.stop()
	return nil, fmt.Errorf("%s server: %w", kindTitle(kind), err)
}

// stop kills the child and reaps it, giving up after a few seconds.
func (s *server) stop() {
	_ = s.stdin.Close()
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		fmt.Fprintf(os.Stderr, "iobench: %s server (pid %d) not reaped after 5s\n", kindTitle(s.kind), s.pid)
	}
}
