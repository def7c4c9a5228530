package iouring

// The conformance suite: one set of cases, run against every engine
// (harness_test.go picks them; VOLLEY_IO_ENGINE and VOLLEY_REQUIRE_IO_URING
// steer it). All traffic stays on 127.0.0.0/8 and ::1.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
)

type conformanceCase struct {
	name string
	run  func(t *testing.T, eng Engine)
}

var conformanceCases = []conformanceCase{
	{"Echo", testEcho},
	{"ManyConnections", testMany},
	{"HalfClose", testHalfClose},
	{"PeerReset", testPeerReset},
	{"ConnectRefused", testConnectRefused},
	{"Timeouts", testTimeouts},
	{"LargeSends", testLargeSends},
	{"SourceBinding", testSourceBinding},
	{"StaleHandles", testStaleHandles},
	{"PauseResume", testPauseResume},
	{"Post", testPost},
	{"StopWithOpenConns", testStopWithOpenConns},
	{"HandlerPanic", testHandlerPanic},
	{"Drain", testDrain},
	{"SmallRings", testSmallRings},
	{"AcceptRefused", testAcceptRefused},
	{"StopListening", testStopListening},
}

func TestConformance(t *testing.T) {
	for _, eng := range engines(t) {
		t.Run(eng.String(), func(t *testing.T) {
			probeEngine(t, eng)
			start := time.Now()
			for _, c := range conformanceCases {
				t.Run(c.name, func(t *testing.T) { c.run(t, eng) })
			}
			t.Logf("%s: suite took %v", eng, time.Since(start).Round(time.Millisecond))
		})
	}
}

// probeEngine skips (or fails) the engine's subtree when New refuses it, and
// checks a reactor with nothing to do starts and stops promptly.
func probeEngine(t *testing.T, eng Engine) {
	t.Helper()
	r, err := New(Options{Engine: eng})
	if err != nil {
		unavailable(t, eng, err)
	}
	if r.Engine() != eng {
		t.Fatalf("New(%s).Engine() = %s", eng, r.Engine())
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Run() }()
	r.Stop()
	r.Stop() // idempotent
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after Stop: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("idle reactor did not stop within %v", waitLimit)
	}
	select {
	case <-r.Done():
	case <-time.After(waitLimit):
		t.Fatalf("Done not closed after Run returned")
	}
}

// TestNewAuto checks EngineAuto picks one of the engines and says why in one
// log line, and that an unknown engine is refused.
func TestNewAuto(t *testing.T) {
	var lines []string
	r, err := New(Options{Logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatalf("New(auto): %v", err)
	}
	if e := r.Engine(); e != EngineEpoll && e != EngineIOUring {
		t.Errorf("auto chose %v", e)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], r.Engine().String()) {
		t.Errorf("auto logged %q, want one line naming %s", lines, r.Engine())
	}
	if ProbeIOUring() == nil && r.Engine() != EngineIOUring {
		t.Errorf("io_uring probe passes but auto chose %s", r.Engine())
	}
	// qemu-user has no io_uring (setup answers ENOSYS): the arm64 CI run
	// checks the fallback and its log line there.
	if emul.Active() && (r.Engine() != EngineEpoll || len(lines) != 1 || !strings.Contains(lines[0], "io_uring")) {
		t.Errorf("under emulation auto chose %s and logged %q, want epoll and why io_uring cannot run", r.Engine(), lines)
	}
	go func() { r.Run() }()
	r.Stop()
	select {
	case <-r.Done():
	case <-time.After(waitLimit):
		t.Fatal("auto reactor did not stop")
	}
	if _, err := New(Options{Engine: Engine(200)}); err == nil {
		t.Errorf("New(Engine(200)) succeeded")
	}
}

// 1. Echo: reactor server with Go clients, reactor client with a Go server.
func testEcho(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	t.Run("server", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", tr.echoHooks)
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		if a.remote != cl.LocalAddr().(*net.TCPAddr).AddrPort() || a.local != ap {
			t.Errorf("AcceptFunc addrs remote %v local %v; client is %v, listener %v", a.remote, a.local, cl.LocalAddr(), ap)
		}
		rb := bufio.NewReader(cl)
		for i := 0; i < 200; i++ {
			line := fmt.Sprintf("line %d %s\n", i, strings.Repeat("x", i*37%1500))
			if _, err := io.WriteString(cl, line); err != nil {
				t.Fatalf("write: %v", err)
			}
			got, err := rb.ReadString('\n')
			if err != nil || got != line {
				t.Fatalf("echo %d: got %q, %v; want %q", i, got, err, line)
			}
		}
		// Pipelined: many lines in one write, read back in order.
		var all bytes.Buffer
		for i := 0; i < 1000; i++ {
			fmt.Fprintf(&all, "pipelined %d\n", i)
		}
		if _, err := cl.Write(all.Bytes()); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, all.Len())
		if _, err := io.ReadFull(rb, got); err != nil || !bytes.Equal(got, all.Bytes()) {
			t.Fatalf("pipelined echo differs (err %v)", err)
		}
		cl.CloseWrite()
		if rest, err := io.ReadAll(rb); err != nil || len(rest) != 0 {
			t.Fatalf("after CloseWrite: read %q, %v; want EOF", rest, err)
		}
		ev := tr.waitEvent(a.c, evClose, 1)
		if ev.err != nil {
			t.Errorf("OnClose after peer EOF + Drain: err %v, want nil", ev.err)
		}
		if err := call(tr, func() error { _, _, err := tr.r.Addrs(a.c); return err }); !errors.Is(err, ErrStale) {
			t.Errorf("Addrs after OnClose: %v, want ErrStale", err)
		}
	})
	t.Run("client", func(t *testing.T) {
		tr := tr.with(t)
		gl := listenGo(t, "tcp4", "127.0.0.1:0", goEcho)
		want := pattern(300_000, 7)
		var got []byte
		done := make(chan struct{})
		var c Conn
		h := tr.handler(hooks{
			open: func(c Conn, err error) Action {
				if err != nil {
					close(done)
					return Close
				}
				if err := tr.send(c, want[:1000]); err != nil {
					tr.violate("Send: %v", err)
				}
				if err := tr.send(c, want[1000:]); err != nil {
					tr.violate("Send: %v", err)
				}
				return Continue
			},
			data: func(c Conn, p []byte) Action {
				got = append(got, p...)
				if len(got) >= len(want) {
					close(done)
					return Close
				}
				return Continue
			},
		})
		type res struct {
			c   Conn
			err error
		}
		rs := call(tr, func() res { c, err := tr.connect(gl.ap, netip.Addr{}, 0, h); return res{c, err} })
		if rs.err != nil || rs.c == 0 {
			t.Fatalf("Connect: %v, %v", rs.c, rs.err)
		}
		c = rs.c
		open := tr.waitEvent(c, evOpen, 1)
		if open.err != nil {
			t.Fatalf("OnOpen: %v", open.err)
		}
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatalf("echo from Go server incomplete")
		}
		if cl := tr.waitEvent(c, evClose, 1); cl.err != nil {
			t.Errorf("OnClose after Close: %v, want nil", cl.err)
		}
		// got is written on the loop before done is closed.
		if !bytes.Equal(got, want) {
			t.Errorf("reactor client got %d bytes, want %d identical", len(got), len(want))
		}
		if s := tr.r.Stats(); s.Connected < 1 {
			t.Errorf("Stats.Connected = %d", s.Connected)
		}
	})
}
