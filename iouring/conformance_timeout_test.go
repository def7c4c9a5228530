package iouring

// Conformance cases (see conformance_test.go).

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// 6. Timeouts: idle timeout, its restart by data, connect timeout, AfterFunc.
func testTimeouts(t *testing.T, eng Engine) {
	tr := startReactor(t, eng, Options{})
	t.Run("idle", func(t *testing.T) {
		tr := tr.with(t)
		const d = 100 * time.Millisecond
		var opened time.Time
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{open: func(c Conn, err error) Action {
				opened = time.Now()
				if err := tr.setTimeout(c, d); err != nil {
					tr.violate("SetTimeout: %v", err)
				}
				return Continue
			}}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		ev := tr.waitEvent(a.c, evTimeout, 1)
		after := ev.at.Sub(call(tr, func() time.Time { return opened }))
		if after < d-5*time.Millisecond || after > d+900*time.Millisecond {
			t.Errorf("OnTimeout %v after SetTimeout(%v)", after, d)
		}
		// Close (Base's answer) closes it: the client sees EOF.
		if b, err := io.ReadAll(cl); err != nil || len(b) != 0 {
			t.Errorf("client after timeout: %q, %v; want EOF", b, err)
		}
		if n := tr.count(a.c, evTimeout); n != 1 {
			t.Errorf("OnTimeout %d times", n)
		}
		if ev := tr.waitEvent(a.c, evClose, 1); ev.err != nil {
			t.Errorf("OnClose err %v", ev.err)
		}
	})
	t.Run("restart", func(t *testing.T) {
		tr := tr.with(t)
		const d = 200 * time.Millisecond
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{open: func(c Conn, err error) Action {
				tr.setTimeout(c, d)
				return Continue
			}}
		})
		cl := dial(t, ap)
		a := tr.nextAccepted(acc)
		var clientGap time.Duration // the longest pause between the client's writes
		prevWrite := time.Now()
		for i := 0; i < 10; i++ {
			time.Sleep(d / 5)
			io.WriteString(cl, "tick")
			if g := time.Since(prevWrite); g > clientGap {
				clientGap = g
			}
			prevWrite = time.Now()
		}
		to := tr.waitEvent(a.c, evTimeout, 1)
		evs := tr.events(a.c)
		var lastData time.Time
		var maxGap time.Duration
		ndata := 0
		prev := evs[0].at
		for _, e := range evs {
			if e.kind == evData && e.at.Before(to.at) {
				ndata++
				if g := e.at.Sub(prev); g > maxGap {
					maxGap = g
				}
				prev, lastData = e.at, e.at
			}
		}
		if lastData.IsZero() {
			t.Fatalf("no data before the timeout: %s", short(evs))
		}
		if gap := to.at.Sub(lastData); gap < d-5*time.Millisecond {
			t.Errorf("OnTimeout %v after the last data, want >= %v", gap, d)
		}
		// When neither side paused for long (a loaded machine can), the
		// writes kept the connection alive to the end.
		if clientGap < d/2 && maxGap < d/2 && ndata > 0 && len(tr.data(a.c)) != 40 {
			t.Errorf("OnTimeout before all data arrived (write gaps <= %v, arrival gaps <= %v): %s", clientGap, maxGap, short(evs))
		}
		tr.waitEvent(a.c, evClose, 1)
	})
	t.Run("off", func(t *testing.T) {
		tr := tr.with(t)
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{open: func(c Conn, err error) Action {
				tr.setTimeout(c, 50*time.Millisecond)
				tr.setTimeout(c, 0)
				return Continue
			}}
		})
		dial(t, ap)
		a := tr.nextAccepted(acc)
		time.Sleep(300 * time.Millisecond)
		if n := tr.count(a.c, evTimeout); n != 0 {
			t.Errorf("OnTimeout after SetTimeout(0)")
		}
		// Turning it on again later works.
		call(tr, func() error {
			return tr.setTimeout(a.c, 50*time.Millisecond)
		})
		tr.waitEvent(a.c, evTimeout, 1)
	})
	t.Run("shortened", func(t *testing.T) {
		tr := tr.with(t)
		// Moving the deadline earlier must take effect: SetTimeout(5s) then
		// SetTimeout(100ms) times out after about 100ms.
		ap, acc := tr.listen("127.0.0.1:0", func(Conn) hooks {
			return hooks{open: func(c Conn, err error) Action {
				tr.setTimeout(c, 5*time.Second)
				tr.setTimeout(c, 100*time.Millisecond)
				return Continue
			}}
		})
		dial(t, ap)
		a := tr.nextAccepted(acc)
		open := tr.waitEvent(a.c, evOpen, 1)
		tr.waitForD("OnTimeout within 1s of SetTimeout(100ms)", 1500*time.Millisecond, func() bool { return tr.count(a.c, evTimeout) > 0 })
		ev := tr.waitEvent(a.c, evTimeout, 1)
		if el := ev.at.Sub(open.at); el > time.Second {
			t.Errorf("OnTimeout %v after SetTimeout(5s); SetTimeout(100ms)", el)
		}
	})
	t.Run("beforeOpen", func(t *testing.T) {
		tr := tr.with(t)
		// SetTimeout on a Connect not yet settled applies once it opens,
		// with or without a connect timeout.
		gl := listenGo(t, "tcp4", "127.0.0.1:0", func(c net.Conn) { io.Copy(io.Discard, c) })
		for _, ct := range []time.Duration{0, 3 * time.Second} {
			c := call(tr, func() Conn {
				c, err := tr.connect(gl.ap, netip.Addr{}, ct, tr.handler(hooks{}))
				if err != nil {
					tr.violate("Connect: %v", err)
				}
				if err := tr.setTimeout(c, 100*time.Millisecond); err != nil {
					tr.violate("SetTimeout on a pending Connect: %v", err)
				}
				return c
			})
			open := tr.waitEvent(c, evOpen, 1)
			if open.err != nil {
				t.Fatal(open.err)
			}
			deadline := time.Now().Add(1500 * time.Millisecond)
			for tr.count(c, evTimeout) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			ev, ok := tr.last(c, evTimeout)
			if !ok {
				t.Errorf("connect timeout %v: SetTimeout(100ms) before OnOpen: no OnTimeout 1.5s after open", ct)
				call(tr, func() error { return tr.close(c) })
				continue
			}
			if el := ev.at.Sub(open.at); el > time.Second {
				t.Errorf("connect timeout %v: OnTimeout %v after open, want about 100ms", ct, el)
			}
			tr.waitEvent(c, evClose, 1)
		}
	})
	t.Run("connect", func(t *testing.T) {
		tr := tr.with(t)
		ap, ok := blackhole(t)
		if !ok {
			t.Skip("could not fill a backlog-0 listener: no blackhole address")
		}
		for _, timeout := range []time.Duration{200 * time.Millisecond} {
			start := time.Now()
			c := call(tr, func() Conn {
				c, err := tr.connect(ap, netip.Addr{}, timeout, tr.handler(hooks{}))
				if err != nil {
					tr.violate("Connect: %v", err)
				}
				return c
			})
			ev := tr.waitEvent(c, evOpen, 1)
			el := ev.at.Sub(start)
			if !errors.Is(ev.err, ErrTimeout) {
				t.Fatalf("OnOpen err %v after %v, want ErrTimeout", ev.err, el)
			}
			if el < timeout-5*time.Millisecond || el > timeout+time.Second {
				t.Errorf("connect timed out after %v, want about %v", el, timeout)
			}
			time.Sleep(100 * time.Millisecond)
			if evs := tr.events(c); len(evs) != 1 {
				t.Errorf("events %s, want the failed open only", short(evs))
			}
		}
		// Close on a pending Connect ends it with OnOpen(err) and nothing else.
		c := call(tr, func() Conn {
			c, _ := tr.connect(ap, netip.Addr{}, 0, tr.handler(hooks{}))
			return c
		})
		time.Sleep(20 * time.Millisecond)
		if err := call(tr, func() error { return tr.close(c) }); err != nil {
			t.Errorf("Close on a pending Connect: %v", err)
		}
		if ev := tr.waitEvent(c, evOpen, 1); ev.err == nil {
			t.Errorf("Close during Connect: OnOpen err nil")
		}
	})
	t.Run("AfterFunc", func(t *testing.T) {
		tr := tr.with(t)
		var order []int // loop-owned
		done := make(chan time.Time, 3)
		start := time.Now()
		tr.do(func() {
			for _, ms := range []int{60, 20, 40} {
				tr.r.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
					if goid() != tr.loopGID.Load() {
						tr.violate("AfterFunc ran off the loop")
					}
					order = append(order, ms)
					done <- time.Now()
				})
			}
		})
		for i := 0; i < 3; i++ {
			select {
			case at := <-done:
				if i == 0 && at.Sub(start) < 20*time.Millisecond {
					t.Errorf("first AfterFunc ran after %v, want >= 20ms", at.Sub(start))
				}
			case <-time.After(waitLimit):
				t.Fatal("AfterFunc did not run")
			}
		}
		if o := call(tr, func() string { return fmt.Sprint(order) }); o != "[20 40 60]" {
			t.Errorf("AfterFunc order %s", o)
		}
		tr.checkViolations()
	})
}
