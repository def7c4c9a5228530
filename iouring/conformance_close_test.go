package iouring

// Conformance cases (see conformance_test.go).

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testpeer"
)

// 3. Half-close in both directions.
func testHalfClose(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	t.Run("peer", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			var req []byte
			return hooks{
				data: func(c Conn, p []byte) Action { req = append(req, p...); return Continue },
				eof: func(c Conn) Action {
					if err := tr.send(c, []byte("got: "+string(req))); err != nil {
						tr.violate("Send after EOF: %v", err)
					}
					return Drain
				},
			}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		io.WriteString(cl, "request body")
		if err := cl.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if got := string(readAll(t, cl)); got != "got: request body" {
			t.Errorf("reply %q", got)
		}
		tr.waitEvent(a.c, evClose, 1)
		evs := tr.events(a.c)
		kinds := foldData(evs)
		if kinds != "open data eof close" {
			t.Errorf("events %s, want open data eof close", kinds)
		}
		if ev, _ := tr.last(a.c, evClose); ev.err != nil {
			t.Errorf("OnClose err %v", ev.err)
		}
	})
	t.Run("reactor", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{
				open: func(c Conn, err error) Action {
					if err := tr.send(c, []byte("banner\n")); err != nil {
						tr.violate("Send: %v", err)
					}
					if err := tr.shutdown(c); err != nil {
						tr.violate("Shutdown: %v", err)
					}
					return Continue
				},
			}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		b := make([]byte, 100)
		n, err := io.ReadFull(cl, b[:7])
		if err != nil || string(b[:n]) != "banner\n" {
			t.Fatalf("read %q, %v", b[:n], err)
		}
		if n, err := cl.Read(b); err != io.EOF {
			t.Fatalf("after banner: read %d, %v; want io.EOF", n, err)
		}
		// The reactor's side is still open for reading.
		if _, err := io.WriteString(cl, "after shutdown"); err != nil {
			t.Fatal(err)
		}
		tr.waitFor("data after Shutdown", func() bool { return string(tr.data(a.c)) == "after shutdown" })
		if n := tr.count(a.c, evClose); n != 0 {
			t.Fatalf("closed after Shutdown")
		}
		cl.CloseWrite()
		tr.waitEvent(a.c, evEOF, 1)
		ev := tr.waitEvent(a.c, evClose, 1)
		if ev.err != nil {
			t.Errorf("OnClose err %v", ev.err)
		}
		if got := foldData(tr.events(a.c)); got != "open sent data eof close" {
			t.Errorf("events %s, want open sent data eof close", got)
		}
	})
	t.Run("reactorBacklog", func(t *testing.T) {
		testShutdownBacklog(t, tr.with(t))
	})
}

// testShutdownBacklog: Shutdown with megabytes queued half-closes only after
// the last byte is written.
func testShutdownBacklog(t *testing.T, tr *testReactor) {
	big := pattern(8<<20, 33)
	ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
		return hooks{open: func(c Conn, err error) Action {
			tr.send(c, big)
			if err := tr.shutdown(c); err != nil {
				tr.violate("Shutdown: %v", err)
			}
			if err := tr.send(c, []byte("tail")); err != nil {
				tr.violate("Send after Shutdown (output still queued): %v", err)
			}
			return Continue
		}}
	})
	cl := dial(t, ap)
	a := tr.nextAccepted(acc)
	time.Sleep(100 * time.Millisecond)
	got := readAll(t, cl)
	if !bytes.Equal(got, append(big, "tail"...)) {
		t.Errorf("peer got %d bytes before EOF, want %d", len(got), len(big)+4)
	}
	if tr.count(a.c, evClose) != 0 {
		t.Errorf("Shutdown closed the connection")
	}
	if tr.count(a.c, evSent) != 1 {
		t.Errorf("OnSent %d times, want 1: %s", tr.count(a.c, evSent), short(tr.events(a.c)))
	}
	cl.CloseWrite()
	tr.waitEvent(a.c, evClose, 1)
}

// foldData renders the kinds of evs, folding runs of data into one.
func foldData(evs []event) string {
	var ks []string
	for i, e := range evs {
		if e.kind == evData && i > 0 && evs[i-1].kind == evData {
			continue
		}
		ks = append(ks, e.kind.String())
	}
	return strings.Join(ks, " ")
}

// 4. Peer reset: OnClose exactly once, with ECONNRESET (or after OnEOF).
func testPeerReset(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	ap, acc := tr.listen("127.0.0.1:0", nil)
	for _, withData := range []bool{true, false} {
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		tr.waitEvent(a.c, evOpen, 1)
		if withData {
			io.WriteString(cl, "hello")
			tr.waitFor("data", func() bool { return len(tr.data(a.c)) == 5 })
		}
		cl.SetLinger(0)
		cl.Close()
		ev := tr.waitEvent(a.c, evClose, 1)
		eof := tr.count(a.c, evEOF) > 0
		if !(errors.Is(ev.err, syscall.ECONNRESET) || (ev.err == nil && eof)) {
			t.Errorf("data=%v: OnClose err %v (OnEOF seen %v), want ECONNRESET or OnEOF then nil", withData, ev.err, eof)
		}
		time.Sleep(50 * time.Millisecond)
		if n := tr.count(a.c, evClose); n != 1 {
			t.Errorf("OnClose %d times", n)
		}
		t.Logf("data=%v: %s", withData, short(tr.events(a.c)))
	}
	// A reset while the reactor has output queued.
	ap2, acc2 := tr.listen("127.0.0.1:0", func(Conn) hooks {
		return hooks{open: func(c Conn, err error) Action {
			tr.send(c, pattern(8<<20, 3))
			return Continue
		}}
	})
	cl := dial(t, ap2)
	a := tr.nextAccepted(acc2)
	io.ReadFull(cl, make([]byte, 1000))
	cl.SetLinger(0)
	cl.Close()
	ev := tr.waitEvent(a.c, evClose, 1)
	if ev.err == nil && tr.count(a.c, evEOF) == 0 {
		t.Errorf("reset with queued output: OnClose err nil without OnEOF")
	}
	if tr.count(a.c, evSent) != 0 {
		t.Errorf("OnSent after the peer reset with 8 MiB queued")
	}
}

// 5. Connect refused: OnOpen(ECONNREFUSED), nothing after it.
func testConnectRefused(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	for _, timeout := range []time.Duration{0, 5 * time.Second} {
		type res struct {
			c   Conn
			err error
		}
		rs := call(tr, func() res {
			c, err := tr.connect(closed, netip.Addr{}, timeout, tr.handler(hooks{}))
			return res{c, err}
		})
		if rs.err != nil {
			t.Fatalf("Connect returned %v; the outcome belongs in OnOpen", rs.err)
		}
		ev := tr.waitEvent(rs.c, evOpen, 1)
		if !errors.Is(ev.err, syscall.ECONNREFUSED) {
			t.Errorf("timeout %v: OnOpen err %v, want ECONNREFUSED", timeout, ev.err)
		}
		if err := call(tr, func() error { return tr.send(rs.c, []byte("x")) }); !errors.Is(err, ErrStale) {
			t.Errorf("Send on a refused handle: %v, want ErrStale", err)
		}
		time.Sleep(100 * time.Millisecond)
		if evs := tr.events(rs.c); len(evs) != 1 {
			t.Errorf("events %s, want only the failed open", short(evs))
		}
	}
	if s := tr.r.Stats(); s.ConnectFailed != 2 || s.Connected != 0 || s.Closed != 0 {
		t.Errorf("Stats ConnectFailed=%d Connected=%d Closed=%d, want 2 0 0", s.ConnectFailed, s.Connected, s.Closed)
	}
}

// blackhole returns a loopback address whose connects hang: a listener with
// backlog 0 whose accept queue is full drops SYNs.
func blackhole(t *testing.T) (netip.AddrPort, bool) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	ap := netip.AddrPortFrom(netip.AddrFrom4(sa.(*syscall.SockaddrInet4).Addr), uint16(sa.(*syscall.SockaddrInet4).Port))
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp4", ap.String(), 300*time.Millisecond)
		if err != nil {
			return ap, true // the queue is full: this dial hung
		}
		t.Cleanup(func() { c.Close() })
	}
	return ap, false
}

// 12. Stop with open connections: each gets OnClose(ErrReactorStopped) once.
func testStopWithOpenConns(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	ap, acc := tr.listen("127.0.0.1:0", tr.echoHooks)
	var server []Conn
	var clients []*net.TCPConn
	for i := 0; i < 5; i++ {
		clients = append(clients, dial(t, ap))
		server = append(server, tr.nextAccepted(acc).c)
	}
	gl := listenGo(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })
	var outgoing []Conn
	for i := 0; i < 2; i++ {
		c := call(tr, func() Conn { c, _ := tr.connect(gl.ap, netip.Addr{}, 0, tr.handler(hooks{})); return c })
		if ev := tr.waitEvent(c, evOpen, 1); ev.err != nil {
			t.Fatal(ev.err)
		}
		outgoing = append(outgoing, c)
	}
	// One with output queued that the peer does not read.
	call(tr, func() error { return tr.send(outgoing[0], pattern(4<<20, 1)) })
	for _, c := range server {
		tr.waitEvent(c, evOpen, 1)
	}
	var pending Conn
	if bh, ok := blackhole(t); ok {
		pending = call(tr, func() Conn { c, _ := tr.connect(bh, netip.Addr{}, 0, tr.handler(hooks{})); return c })
	}
	tr.r.Stop()
	select {
	case <-tr.r.Done():
	case <-time.After(waitLimit):
		t.Fatal("Stop: not done")
	}
	for _, c := range append(server, outgoing...) {
		evs := tr.events(c)
		n := 0
		for _, e := range evs {
			if e.kind == evClose {
				n++
				if !errors.Is(e.err, ErrReactorStopped) {
					t.Errorf("conn %#x: OnClose err %v, want ErrReactorStopped", uint64(c), e.err)
				}
			}
		}
		if n != 1 {
			t.Errorf("conn %#x: %d OnClose, want 1: %s", uint64(c), n, short(evs))
		}
	}
	if pending != 0 {
		evs := tr.events(pending)
		if len(evs) != 1 || evs[0].kind != evOpen || !errors.Is(evs[0].err, ErrReactorStopped) {
			t.Errorf("pending Connect at Stop: events %s, want open[ErrReactorStopped]", short(evs))
		}
	}
	for i, cl := range clients {
		cl.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := cl.Read(make([]byte, 10)); err != io.EOF && !isReset(err) {
			t.Errorf("client %d after Stop: %d, %v; want EOF", i, n, err)
		}
	}
	if c, err := net.DialTimeout("tcp4", ap.String(), time.Second); err == nil {
		c.Close()
		t.Errorf("listener still accepting after Stop")
	}
	if err := tr.r.Post(func() {}); !errors.Is(err, ErrReactorStopped) {
		t.Errorf("Post after Stop: %v", err)
	}
}

// 13. A panicking handler closes its connection; the loop serves on.
func testHandlerPanic(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
		h := tr.echoHooks(0)
		echo := h.data
		h.data = func(c Conn, p []byte) Action {
			if bytes.Contains(p, []byte("boom")) {
				panic("handler exploded")
			}
			return echo(c, p)
		}
		return h
	})
	good := dial(t, ap)
	g := tr.nextAccepted(acc)
	bad := dial(t, ap)
	b := tr.nextAccepted(acc)
	io.WriteString(bad, "boom")
	ev := tr.waitEvent(b.c, evClose, 1)
	t.Logf("panicked connection closed with %v", ev.err)
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := bad.Read(make([]byte, 10)); err != io.EOF && !isReset(err) {
		t.Errorf("panicked connection's peer read %d, %v; want EOF", n, err)
	}
	io.WriteString(good, "still serving")
	buf := make([]byte, 13)
	if _, err := io.ReadFull(good, buf); err != nil || string(buf) != "still serving" {
		t.Errorf("other connection after the panic: %q, %v", buf, err)
	}
	third := dial(t, ap)
	tr.nextAccepted(acc)
	io.WriteString(third, "new")
	if _, err := io.ReadFull(third, buf[:3]); err != nil || string(buf[:3]) != "new" {
		t.Errorf("new connection after the panic: %q, %v", buf[:3], err)
	}
	tr.waitFor("Stats.Panics", func() bool { return tr.r.Stats().Panics >= 1 })
	if p := tr.r.Stats().Panics; p != 1 {
		t.Errorf("Stats.Panics = %d, want 1", p)
	}
	if tr.count(g.c, evClose) != 0 {
		t.Errorf("the other connection was closed")
	}
	tr.mu.Lock()
	logs := strings.Join(tr.logs, "\n")
	tr.mu.Unlock()
	if !strings.Contains(logs, "handler exploded") {
		t.Errorf("panic not logged through Options.Logf: %q", logs)
	}
}

// 14. Drain: reply then close after the whole reply is written.
func testDrain(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	reply := pattern(3<<20, 14)
	ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
		return hooks{data: func(c Conn, p []byte) Action {
			if err := tr.send(c, reply); err != nil {
				tr.violate("Send: %v", err)
			}
			return Drain
		}}
	})
	for _, slow := range []bool{false, true} {
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		io.WriteString(cl, "QUIT\r\n")
		if slow {
			time.Sleep(200 * time.Millisecond)
		}
		got := readAll(t, cl)
		if !bytes.Equal(got, reply) {
			t.Errorf("slow=%v: peer got %d bytes, want the %d-byte reply then EOF", slow, len(got), len(reply))
		}
		ev := tr.waitEvent(a.c, evClose, 1)
		if ev.err != nil {
			t.Errorf("OnClose after Drain: %v", ev.err)
		}
		if k := foldData(tr.events(a.c)); k != "open data close" {
			t.Errorf("events %s, want open data close (no OnSent when draining)", k)
		}
	}
	// Close drops queued output; OnClose(nil) follows once.
	ap3, acc3 := tr.listen("127.0.0.1:0", func(Conn) hooks {
		return hooks{open: func(c Conn, err error) Action { tr.send(c, pattern(16<<20, 5)); return Continue }}
	})
	cl3 := dial(t, ap3)
	a3 := tr.nextAccepted(acc3)
	tr.waitEvent(a3.c, evOpen, 1)
	if err := call(tr, func() error { return tr.close(a3.c) }); err != nil {
		t.Errorf("Close: %v", err)
	}
	if ev := tr.waitEvent(a3.c, evClose, 1); ev.err != nil {
		t.Errorf("OnClose after Close: %v", ev.err)
	}
	if n, _ := io.Copy(io.Discard, cl3); n >= 16<<20 {
		t.Errorf("peer got all %d bytes after Close dropped them", n)
	}
	if k := foldData(tr.events(a3.c)); k != "open close" {
		t.Errorf("events %s, want open close", k)
	}
	// Drain with nothing queued closes at once.
	ap2, acc2 := tr.listen("127.0.0.1:0", func(Conn) hooks {
		return hooks{open: func(c Conn, err error) Action { return Drain }}
	})
	cl := dial(t, ap2)
	a := tr.nextAccepted(acc2)
	if b := readAll(t, cl); len(b) != 0 {
		t.Errorf("got %q", b)
	}
	tr.waitEvent(a.c, evClose, 1)
}

// 16. An AcceptFunc returning nil refuses the connection (closed at once, no
// events); one that panics does the same and counts a panic.
func testAcceptRefused(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	n := 0 // loop-owned
	ap, err := func() (netip.AddrPort, error) {
		type res struct {
			ap  netip.AddrPort
			err error
		}
		rs := call(tr, func() res {
			ap, err := tr.r.Listen(netip.MustParseAddrPort("127.0.0.1:0"), func(r Reactor, c Conn, remote, local netip.AddrPort) ConnHandler {
				n++
				switch n {
				case 1:
					return nil
				case 2:
					panic("accept exploded")
				}
				return tr.handler(tr.echoHooks(c))
			})
			return res{ap, err}
		})
		return rs.ap, rs.err
	}()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		cl := dial(t, ap)
		cl.SetReadDeadline(time.Now().Add(5 * time.Second))
		if k, err := cl.Read(make([]byte, 8)); err != io.EOF && !isReset(err) {
			t.Errorf("refused connection %d: read %d, %v; want EOF", i, k, err)
		}
	}
	cl := dial(t, ap)
	io.WriteString(cl, "ok")
	b := make([]byte, 2)
	if _, err := io.ReadFull(cl, b); err != nil || string(b) != "ok" {
		t.Errorf("third connection: %q, %v", b, err)
	}
	tr.mu.Lock()
	nconns := len(tr.perConn)
	tr.mu.Unlock()
	if nconns != 1 {
		t.Errorf("%d connections got events, want only the accepted one", nconns)
	}
	tr.waitFor("Stats", func() bool { s := tr.r.Stats(); return s.Accepted == 3 && s.Closed >= 2 && s.Panics == 1 })
}

// 17. StopListening: new clients are refused, accepted ones go on.
func testStopListening(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	ap, acc := tr.listen("127.0.0.1:0", tr.echoHooks)
	cl := dial(t, ap)
	a := tr.nextAccepted(acc)
	tr.do(func() { defer tr.in("StopListening")(); tr.r.StopListening() })
	testpeer.WaitRefused(t, ap.String(), 5*time.Second)
	io.WriteString(cl, "still here")
	b := make([]byte, 10)
	cl.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(cl, b); err != nil || string(b) != "still here" {
		t.Fatalf("accepted connection after StopListening: %q, %v", b, err)
	}
	cl.Close()
	tr.waitEvent(a.c, evClose, 1)
}
