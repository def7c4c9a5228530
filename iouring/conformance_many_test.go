package iouring

// Conformance cases (see conformance_test.go).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
)

// raiseNofile raises RLIMIT_NOFILE (soft and hard to 65536 when allowed,
// else the soft limit to the hard one) and returns the soft limit; it skips
// the test when that is below need.
func raiseNofile(t *testing.T, need uint64) uint64 {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatalf("getrlimit: %v", err)
	}
	want := syscall.Rlimit{Cur: 65536, Max: 65536}
	if old.Max > want.Max {
		want = syscall.Rlimit{Cur: old.Max, Max: old.Max}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		// Not privileged (no CAP_SYS_RESOURCE): go as far as the hard limit.
		want = syscall.Rlimit{Cur: old.Max, Max: old.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			t.Skipf("setrlimit: %v", err)
		}
	}
	if want.Cur < need {
		t.Skipf("RLIMIT_NOFILE hard limit %d < %d and cannot be raised", want.Cur, need)
	}
	return want.Cur
}

// 2. Many: 10,000 Go clients connected at once to a reactor echo server.
// The clients need as many descriptors as the server: when RLIMIT_NOFILE
// cannot hold both in this process they run in a child process (this test
// binary re-executed with TestManyClientsHelper).
func testMany(t *testing.T, eng Engine) {
	const total = 10_000
	limit := raiseNofile(t, total+1000)
	inProcess := limit >= 2*total+1000
	start := time.Now()
	tr := startReactor(t, eng, Options{})
	tr.keepData = false
	var open, maxOpen, closes int // loop-owned
	var maxOpenSeen atomic.Int64
	ap, _ := tr.listen("127.0.0.1:0", func(Conn) hooks {
		h := tr.echoHooks(0)
		h.open = func(c Conn, err error) Action {
			open++
			if open > maxOpen {
				maxOpen = open
				maxOpenSeen.Store(int64(maxOpen))
			}
			return Continue
		}
		h.close = func(c Conn, err error) {
			open--
			closes++
			if err != nil {
				tr.violate("many: OnClose err %v", err)
			}
		}
		return h
	})
	allOpen := func() {
		tr.waitFor("10000 connections open at the server at once", func() bool { return maxOpenSeen.Load() >= total })
	}
	var dialed time.Duration
	if inProcess {
		err := manyClients(ap.String(), total, func() error {
			dialed = time.Since(start)
			allOpen()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		t.Logf("RLIMIT_NOFILE %d: clients run in a child process", limit)
		dialed = manyClientsChild(t, ap.String(), total, allOpen)
	}
	tr.waitFor("all 10000 closed at the server", func() bool { return tr.r.Stats().Closed >= total })
	if o := call(tr, func() int { return open }); o != 0 {
		t.Errorf("%d connections still open", o)
	}
	s := tr.r.Stats()
	if s.Accepted != total || s.Closed != total {
		t.Errorf("Stats Accepted=%d Closed=%d, want %d", s.Accepted, s.Closed, total)
	}
	if c := call(tr, func() int { return closes }); c != total {
		t.Errorf("OnClose ran %d times, want %d", c, total)
	}
	t.Logf("%s: %d connections: open in %v, all done in %v (max open at once %d)", eng, total, dialed.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), maxOpenSeen.Load())
}

// manyClients opens total connections to addr from a few goroutines (the
// race detector limits live goroutines), calls allOpen with every one of
// them open, then has each send a line and read its echo, then closes all.
func manyClients(addr string, total int, allOpen func() error) error {
	const workers = 20
	per := total / workers
	conns := make([][]*net.TCPConn, workers)
	defer func() {
		for _, cs := range conns {
			for _, c := range cs {
				c.Close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// Spread the clients over source addresses so repeated runs
			// never run short of ephemeral ports (TIME_WAIT).
			d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(10+w))}}
			for i := 0; i < per; i++ {
				c, err := d.Dial("tcp4", addr)
				if err != nil {
					errs <- fmt.Errorf("dial %d/%d: %w", w, i, err)
					return
				}
				conns[w] = append(conns[w], c.(*net.TCPConn))
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	if err := allOpen(); err != nil {
		return err
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			buf := make([]byte, 64)
			deadline := time.Now().Add(waitLimit)
			for i, c := range conns[w] {
				c.SetDeadline(deadline)
				if _, err := fmt.Fprintf(c, "hello from %d/%d\n", w, i); err != nil {
					errs <- fmt.Errorf("write %d/%d: %w", w, i, err)
					return
				}
			}
			for i, c := range conns[w] {
				want := fmt.Sprintf("hello from %d/%d\n", w, i)
				if _, err := io.ReadFull(c, buf[:len(want)]); err != nil || string(buf[:len(want)]) != want {
					errs <- fmt.Errorf("echo %d/%d: got %q, %v; want %q", w, i, buf[:len(want)], err, want)
					return
				}
			}
			for _, c := range conns[w] {
				c.Close()
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

const envManyAddr = "VOLLEY_TEST_MANY_CLIENTS_ADDR"

// manyClientsChild runs manyClients in a child process and returns when it
// is done; allOpen runs once the child has every connection open.
func manyClientsChild(t *testing.T, addr string, total int, allOpen func()) time.Duration {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*waitLimit)
	defer cancel()
	cmd := emul.CommandContext(ctx, os.Args[0], "-test.run=^TestManyClientsHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envManyAddr+"="+addr, fmt.Sprintf("VOLLEY_TEST_MANY_CLIENTS_N=%d", total))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.ENOEXEC) {
			// Under qemu-user without binfmt_misc the test binary cannot
			// exec itself; VOLLEY_QEMU names the emulator to run it with.
			t.Skipf("cannot re-run the test binary for the client side (emulated without %s?): %v", emul.Env, err)
		}
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	var dialed time.Duration
	var output []string
	sc := bufio.NewScanner(out)
	result := ""
	for sc.Scan() {
		line := sc.Text()
		output = append(output, line)
		switch {
		case line == "MANY: dialed":
			dialed = time.Since(start)
			allOpen()
			io.WriteString(in, "go\n")
		case strings.HasPrefix(line, "MANY: "):
			result = strings.TrimPrefix(line, "MANY: ")
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil || result != "ok" {
		t.Fatalf("client process: %v, result %q\nstdout:\n%s\nstderr:\n%s", err, result, strings.Join(output, "\n"), stderr.String())
	}
	return dialed
}

// TestManyClientsHelper is the client side of ManyConnections when it runs
// in a child process; run directly it does nothing.
func TestManyClientsHelper(t *testing.T) {
	addr := os.Getenv(envManyAddr)
	if addr == "" {
		t.Skip("helper process for TestConformance/*/ManyConnections")
	}
	var total int
	fmt.Sscan(os.Getenv("VOLLEY_TEST_MANY_CLIENTS_N"), &total)
	err := manyClients(addr, total, func() error {
		fmt.Println("MANY: dialed")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil || line != "go\n" {
			return fmt.Errorf("no go-ahead from the parent: %q, %v", line, err)
		}
		return nil
	})
	if err != nil {
		fmt.Println("MANY: " + strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Println("MANY: ok")
}
