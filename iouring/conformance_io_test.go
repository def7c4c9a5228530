package iouring

// Conformance cases (see conformance_test.go).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// 7. Large sends: 64 MiB each way with partial writes.
func testLargeSends(t *testing.T, eng Engine) {
	const size = 64 << 20
	tr := startReactor(t, eng, Options{})
	tr.keepData = false
	payload := pattern(size, 64)
	sum := sha256.Sum256(payload)
	t.Run("toPeer", func(t *testing.T) {
		tr := tr.with(t)
		var pendingAtSent int = -1
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{
				open: func(c Conn, err error) Action {
					for off := 0; off < size; off += 1 << 20 {
						if err := tr.send(c, payload[off:off+1<<20]); err != nil {
							tr.violate("Send: %v", err)
						}
					}
					if p := tr.r.Pending(c); p <= 0 || p > size {
						tr.violate("Pending after queueing 64 MiB = %d", p)
					}
					return Continue
				},
				sent: func(c Conn) Action {
					pendingAtSent = tr.r.Pending(c)
					return Close
				},
			}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		// Slow at first: the socket buffers fill and writes go partial.
		time.Sleep(200 * time.Millisecond)
		h := sha256.New()
		small := make([]byte, 4096)
		n := 0
		for i := 0; i < 32; i++ {
			k, err := cl.Read(small)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(small[:k])
			n += k
			time.Sleep(2 * time.Millisecond)
		}
		if tr.count(a.c, evSent) != 0 {
			t.Errorf("OnSent while most of the 64 MiB is unread")
		}
		m, err := io.Copy(h, cl)
		if err != nil {
			t.Fatalf("read after %d bytes: %v", int64(n)+m, err)
		}
		if int64(n)+m != size || !bytes.Equal(h.Sum(nil), sum[:]) {
			t.Fatalf("client read %d bytes, checksum match %v", int64(n)+m, bytes.Equal(h.Sum(nil), sum[:]))
		}
		tr.waitEvent(a.c, evClose, 1)
		if k := tr.count(a.c, evSent); k != 1 {
			t.Errorf("OnSent %d times, want once", k)
		}
		if p := call(tr, func() int { return pendingAtSent }); p != 0 {
			t.Errorf("Pending at OnSent = %d", p)
		}
		if s := tr.r.Stats(); s.BytesWritten < size {
			t.Errorf("Stats.BytesWritten = %d", s.BytesWritten)
		}
	})
	t.Run("fromPeer", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			var h hash.Hash = sha256.New()
			n := 0
			return hooks{
				data: func(c Conn, p []byte) Action { h.Write(p); n += len(p); return Continue },
				eof: func(c Conn) Action {
					tr.send(c, []byte(fmt.Sprintf("%d %x", n, h.Sum(nil))))
					return Drain
				},
			}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		go func() {
			for off := 0; off < size; off += 256 << 10 {
				if _, err := cl.Write(payload[off : off+256<<10]); err != nil {
					return
				}
			}
			cl.CloseWrite()
		}()
		got := string(readAll(t, cl))
		if want := fmt.Sprintf("%d %s", size, hex.EncodeToString(sum[:])); got != want {
			t.Errorf("reactor received %q, want %q", got, want)
		}
		tr.waitEvent(a.c, evClose, 1)
		if s := tr.r.Stats(); s.BytesRead < size {
			t.Errorf("Stats.BytesRead = %d", s.BytesRead)
		}
	})
}

// 8. Source binding and IPv6.
func testSourceBinding(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	type addrs struct{ r, l netip.AddrPort }
	connectTo := func(t *testing.T, gl *goListener, local netip.Addr) {
		t.Helper()
		tr := tr.with(t)
		gotc := make(chan addrs, 1)
		c := call(tr, func() Conn {
			c, err := tr.connect(gl.ap, local, 5*time.Second, tr.handler(hooks{
				open: func(c Conn, err error) Action {
					if err == nil {
						r, l, err := tr.r.Addrs(c)
						if err != nil {
							tr.violate("Addrs in OnOpen: %v", err)
						}
						gotc <- addrs{r, l}
						tr.send(c, []byte("ping"))
					}
					return Continue
				},
			}))
			if err != nil {
				tr.violate("Connect from %v: %v", local, err)
			}
			return c
		})
		if ev := tr.waitEvent(c, evOpen, 1); ev.err != nil {
			t.Fatalf("Connect %v -> %v: %v", local, gl.ap, ev.err)
		}
		var seen netip.AddrPort
		select {
		case seen = <-gl.remotes:
		case <-time.After(waitLimit):
			t.Fatal("listener accepted nothing")
		}
		got := <-gotc
		if got.r != gl.ap {
			t.Errorf("Addrs remote %v, want %v", got.r, gl.ap)
		}
		if got.l != seen {
			t.Errorf("Addrs local %v, listener saw %v", got.l, seen)
		}
		if local.IsValid() && seen.Addr() != local {
			t.Errorf("listener saw %v, want source %v", seen, local)
		}
		tr.waitFor("pong", func() bool { return string(tr.data(c)) == "pong" })
		tr.waitEvent(c, evClose, 1)
	}
	pong := func(c net.Conn) {
		b := make([]byte, 4)
		if _, err := io.ReadFull(c, b); err == nil && string(b) == "ping" {
			c.Write([]byte("pong"))
		}
	}
	t.Run("ipv4", func(t *testing.T) {
		gl := listenGo(t, "tcp4", "127.0.0.1:0", pong)
		for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
			connectTo(t, gl, netip.MustParseAddr(src))
		}
		connectTo(t, gl, netip.Addr{})
	})
	t.Run("ipv6", func(t *testing.T) {
		tr := tr.with(t)
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("::1 unavailable: %v", err)
		}
		ln.Close()
		gl := listenGo(t, "tcp6", "[::1]:0", pong)
		connectTo(t, gl, netip.Addr{})
		connectTo(t, gl, netip.IPv6Loopback())
		// And a reactor listener on ::1 with a Go client.
		ap, acc := tr.listen("[::1]:0", tr.echoHooks)
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		if !a.remote.Addr().Is6() || a.remote.Addr() != netip.IPv6Loopback() {
			t.Errorf("accepted remote %v", a.remote)
		}
		io.WriteString(cl, "v6")
		b := make([]byte, 2)
		if _, err := io.ReadFull(cl, b); err != nil || string(b) != "v6" {
			t.Errorf("v6 echo %q, %v", b, err)
		}
	})
}

// 9. Stale handles.
func testStaleHandles(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	inClose := make(chan [3]error, 4)
	ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
		h := tr.echoHooks(0)
		h.close = func(c Conn, err error) {
			inClose <- [3]error{tr.send(c, []byte("x")), tr.close(c), tr.setTimeout(c, time.Second)}
		}
		return h
	})
	cl := dial(t, ap)
	old := tr.nextAccepted(acc).c
	cl.Close()
	tr.waitEvent(old, evClose, 1)
	for i, err := range <-inClose {
		if !errors.Is(err, ErrStale) {
			t.Errorf("inside OnClose, call %d on its handle: %v, want ErrStale", i, err)
		}
	}
	staleOps := func(c Conn) []error {
		return call(tr, func() []error {
			_, _, aerr := tr.r.Addrs(c)
			return []error{
				tr.send(c, []byte("x")), tr.close(c), tr.setTimeout(c, time.Millisecond),
				tr.shutdown(c), tr.pause(c), tr.resume(c), aerr,
			}
		})
	}
	names := []string{"Send", "Close", "SetTimeout", "Shutdown", "PauseRecv", "ResumeRecv", "Addrs"}
	check := func(c Conn, what string) {
		for i, err := range staleOps(c) {
			if !errors.Is(err, ErrStale) {
				t.Errorf("%s on %s handle %#x: %v, want ErrStale", names[i], what, uint64(c), err)
			}
		}
	}
	check(old, "closed")
	check(0, "zero")
	check(makeConn(1<<20, 1), "out-of-range")
	if p := call(tr, func() int { return tr.r.Pending(old) }); p != 0 {
		t.Errorf("Pending(stale) = %d", p)
	}
	// New connections until one reuses the old slot.
	var cur Conn
	var curCl *net.TCPConn
	for i := 0; i < 8 && cur == 0; i++ {
		c2 := dial(t, ap)
		n := tr.nextAccepted(acc).c
		tr.waitEvent(n, evOpen, 1)
		if n.slot() == old.slot() {
			cur, curCl = n, c2
		}
	}
	if cur == 0 {
		t.Logf("%s: no new connection reused slot %d; checking staleness without reuse", eng, old.slot())
		return
	}
	if cur == old {
		t.Fatalf("new connection got the old handle %#x", uint64(old))
	}
	check(old, "reused-slot")
	time.Sleep(50 * time.Millisecond)
	// The new connection is untouched: no timeout, no close, data intact.
	if evs := tr.events(cur); foldData(evs) != "open" {
		t.Errorf("new connection events %s after stale calls on the old handle", short(evs))
	}
	io.WriteString(curCl, "still here")
	b := make([]byte, 10)
	if _, err := io.ReadFull(curCl, b); err != nil || string(b) != "still here" {
		t.Errorf("new connection echo %q, %v (stale Send leaked?)", b, err)
	}
	curCl.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := curCl.Read(b); n != 0 || !errors.Is(err, syscall.EAGAIN) && !isTimeout(err) {
		t.Errorf("new connection got extra bytes %q / %v", b[:n], err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// 10. PauseRecv / ResumeRecv.
func testPauseResume(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	t.Run("midstream", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			paused := false
			return hooks{data: func(c Conn, p []byte) Action {
				if !paused {
					paused = true
					if err := tr.pause(c); err != nil {
						tr.violate("PauseRecv: %v", err)
					}
					tr.pause(c) // idempotent
				}
				return Continue
			}}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		io.WriteString(cl, "first")
		tr.waitFor("first", func() bool { return string(tr.data(a.c)) == "first" })
		rest := pattern(256<<10, 10)
		werr := make(chan error, 1)
		go func() {
			for off := 0; off < len(rest); off += 1000 {
				end := min(off+1000, len(rest))
				if _, err := cl.Write(rest[off:end]); err != nil {
					werr <- err
					return
				}
			}
			werr <- cl.CloseWrite()
		}()
		time.Sleep(300 * time.Millisecond)
		if evs := tr.events(a.c); foldData(evs) != "open data" || len(tr.data(a.c)) != 5 {
			t.Fatalf("events while paused: %s", short(evs))
		}
		if err := call(tr, func() error { return tr.resume(a.c) }); err != nil {
			t.Fatalf("ResumeRecv: %v", err)
		}
		tr.waitEvent(a.c, evEOF, 1)
		if err := <-werr; err != nil {
			t.Fatalf("client write: %v", err)
		}
		got := tr.data(a.c)
		if !bytes.Equal(got, append([]byte("first"), rest...)) {
			t.Errorf("after resume got %d bytes, want %d in order", len(got), 5+len(rest))
		}
		if k := foldData(tr.events(a.c)); !strings.HasPrefix(k, "open data eof") {
			t.Errorf("events %s", k)
		}
	})
	t.Run("fromOpen", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{open: func(c Conn, err error) Action { tr.pause(c); return Continue }}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		io.WriteString(cl, "one,")
		time.Sleep(100 * time.Millisecond)
		io.WriteString(cl, "two")
		time.Sleep(200 * time.Millisecond)
		if n := tr.count(a.c, evData); n != 0 {
			t.Fatalf("OnData while paused from OnOpen")
		}
		call(tr, func() error { return tr.resume(a.c) })
		tr.waitFor("data after resume", func() bool { return string(tr.data(a.c)) == "one,two" })
		// Pause again, resume again: still in order.
		call(tr, func() error { return tr.pause(a.c) })
		io.WriteString(cl, ",three")
		time.Sleep(100 * time.Millisecond)
		if got := string(tr.data(a.c)); got != "one,two" {
			t.Fatalf("data while paused again: %q", got)
		}
		call(tr, func() error { return tr.resume(a.c) })
		tr.waitFor("data after second resume", func() bool { return string(tr.data(a.c)) == "one,two,three" })
	})
}

// 11. Post from many goroutines; Post after Stop.
func testPost(t *testing.T, eng Engine) {
	const (
		posters = 8
		each    = 10_000
	)
	t.Run("many", func(t *testing.T) {
		tr := startReactor(t, eng, Options{InboxSize: 64}) // small: exercise the full-inbox wait
		var seen [posters][each]uint8                      // loop-owned
		count := 0                                         // loop-owned
		wrong := 0                                         // loop-owned
		loop := tr.loopGID.Load()
		var wg sync.WaitGroup
		for p := 0; p < posters; p++ {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if err := tr.r.Post(func() {
						seen[p][i]++
						count++
						if i%64 == 0 && goid() != loop {
							wrong++
						}
					}); err != nil {
						t.Errorf("Post: %v", err)
						return
					}
				}
			}(p)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Fatal("posters blocked")
		}
		tr.waitFor("all posts ran", func() bool { return call(tr, func() int { return count }) == posters*each })
		bad := call(tr, func() string {
			for p := range seen {
				for i, v := range seen[p] {
					if v != 1 {
						return fmt.Sprintf("post %d/%d ran %d times", p, i, v)
					}
				}
			}
			if wrong != 0 {
				return fmt.Sprintf("%d sampled posts ran off the loop goroutine", wrong)
			}
			return ""
		})
		if bad != "" {
			t.Error(bad)
		}
	})
	t.Run("afterStop", func(t *testing.T) {
		tr := startReactor(t, eng, Options{})
		tr.r.Stop()
		select {
		case <-tr.r.Done():
		case <-time.After(waitLimit):
			t.Fatal("not stopped")
		}
		ran := false
		if err := tr.r.Post(func() { ran = true }); !errors.Is(err, ErrReactorStopped) {
			t.Errorf("Post after stop: %v, want ErrReactorStopped", err)
		}
		time.Sleep(10 * time.Millisecond)
		if ran {
			t.Errorf("function posted after stop ran")
		}
	})
	t.Run("racingStop", func(t *testing.T) {
		// Every Post that returned nil must run, even when it raced with
		// Stop ("posted functions that raced with Stop still run").
		// A tiny inbox keeps posters spinning on a full ring, where a Post
		// that saw the reactor running can push after the final drain.
		for round := 0; round < 50; round++ {
			tr := startReactor(t, eng, Options{InboxSize: 2})
			var accepted, ran atomic.Int64
			var wg sync.WaitGroup
			for p := 0; p < 4; p++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for tr.r.Post(func() { ran.Add(1) }) == nil {
						accepted.Add(1)
					}
				}()
			}
			time.Sleep(time.Millisecond)
			tr.r.Stop()
			select {
			case <-tr.r.Done():
			case <-time.After(waitLimit):
				t.Fatal("not stopped")
			}
			wg.Wait()
			if a, r := accepted.Load(), ran.Load(); a != r {
				t.Fatalf("round %d: %d Posts returned nil but %d functions ran", round, a, r)
			}
		}
	})
}

// 15. Tiny rings and buffers: with an 8-entry submission queue and two
// 512-byte receive buffers (io_uring: SQ-full flushes, empty buffer ring)
// many concurrent echo streams still arrive intact.
func testSmallRings(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{Entries: 8, Buffers: 2, BufferSize: 512})
	tr.keepData = false
	ap, _ := tr.listen("127.0.0.1:0", tr.echoHooks)
	const clients, size = 32, 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		cl := dial(t, ap)
		wg.Add(2)
		data := pattern(size, uint64(100+i))
		go func() {
			defer wg.Done()
			for off := 0; off < size; off += 8 << 10 {
				if _, err := cl.Write(data[off : off+8<<10]); err != nil {
					errs <- err
					return
				}
			}
			cl.CloseWrite()
		}()
		go func() {
			defer wg.Done()
			got, err := io.ReadAll(cl)
			if err != nil || !bytes.Equal(got, data) {
				errs <- fmt.Errorf("client %d: echo of %d bytes differs (got %d, %v)", i, size, len(got), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tr.waitFor("all closed", func() bool { return tr.r.Stats().Closed >= clients })
	s := tr.r.Stats()
	t.Logf("%s: SQFull=%d NoBuffers=%d Submits=%d Events=%d", eng, s.SQFull, s.NoBuffers, s.Submits, s.Events)
}
