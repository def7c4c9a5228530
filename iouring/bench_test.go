package iouring

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// pinger sends ping and counts replies until n, then reports on done. With
// its echo peer on the same loop it measures a round trip through the engine
// (send, completion or readiness, receive, dispatch) with no other goroutine.
type pinger struct {
	Base
	n, got int
	msg    []byte
	done   chan struct{}
}

func (p *pinger) OnOpen(r Reactor, c Conn, err error) Action {
	if err != nil {
		close(p.done)
		return Close
	}
	_ = r.Send(c, p.msg)
	return Continue
}

func (p *pinger) OnData(r Reactor, c Conn, b []byte) Action {
	p.got += len(b)
	if p.got < len(p.msg) {
		return Continue
	}
	p.got = 0
	p.n--
	if p.n <= 0 {
		close(p.done)
		return Close
	}
	_ = r.Send(c, p.msg)
	return Continue
}

// echoer answers with what it received.
type echoer struct{ Base }

func (echoer) OnData(r Reactor, c Conn, b []byte) Action {
	_ = r.Send(c, b)
	return Continue
}

// pingPong runs n round trips of msg on a fresh reactor of engine eng.
func pingPong(tb testing.TB, eng Engine, n int, msg []byte, timer func(start bool)) {
	r, err := New(Options{Engine: eng})
	if err != nil {
		unavailable(tb, eng, err)
	}
	go func() {
		runtime.LockOSThread()
		_ = r.Run()
	}()
	defer func() { r.Stop(); <-r.Done() }()
	p := &pinger{n: n, msg: msg, done: make(chan struct{})}
	errc := make(chan error, 1)
	_ = r.Post(func() {
		addr, err := r.Listen(netip.MustParseAddrPort("127.0.0.1:0"),
			func(Reactor, Conn, netip.AddrPort, netip.AddrPort) ConnHandler { return echoer{} })
		if err == nil {
			timer(true)
			_, err = r.Connect(addr, netip.Addr{}, time.Second, p)
		}
		errc <- err
	})
	if err := <-errc; err != nil {
		tb.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		tb.Fatal("ping-pong did not finish")
	}
	timer(false)
	if p.n > 0 {
		tb.Fatalf("connect failed or closed with %d round trips left", p.n)
	}
}

// BenchmarkPingPong is one round trip of an SMTP-sized command and of a
// 4 KB payload on each engine; allocs/op must stay 0 (steady state).
func BenchmarkPingPong(b *testing.B) {
	for _, eng := range engines(b) {
		for _, size := range []int{32, 4096} {
			b.Run(eng.String()+"/"+itoa(size), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				pingPong(b, eng, b.N, make([]byte, size), func(start bool) {
					if start {
						b.ResetTimer()
					} else {
						b.StopTimer()
					}
				})
			})
		}
	}
}

// TestSteadyStateAllocs holds the loop to the no-allocation rule (STYLE.md
// §4): 20,000 round trips may allocate only their warm-up, a few objects.
func TestSteadyStateAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation count needs a quiet process")
	}
	for _, eng := range engines(t) {
		t.Run(eng.String(), func(t *testing.T) {
			var before, after runtime.MemStats
			var counted bool
			pingPong(t, eng, 20000, make([]byte, 64), func(start bool) {
				if start {
					runtime.ReadMemStats(&before)
				} else {
					runtime.ReadMemStats(&after)
					counted = true
				}
			})
			if !counted {
				t.Fatal("no measurement")
			}
			// The connect's own allocations (handler, dial args, slab
			// chunk, buffers) are a handful; 20,000 round trips must not
			// add one each.
			if n := after.Mallocs - before.Mallocs; n > 200 {
				t.Errorf("%d allocations over 20,000 round trips, want steady state 0", n)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
