package dns

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// TestServfailCachedBriefly checks that SERVFAIL is a temporary failure,
// remembered for failureTTL so the domain is not asked again at once.
func TestServfailCachedBriefly(t *testing.T) {
	f := startFake(t, servfail)
	clk := newClock()
	r := newResolver(t, clk, f.addr)
	ctx := context.Background()
	_, err := r.LookupMX(ctx, "broken.test")
	if !errors.Is(err, ErrTemporary) || errors.Is(err, ErrNoSuchDomain) {
		t.Fatalf("LookupMX = %v, want ErrTemporary only", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Name != "broken.test" || !errors.Is(err, rcodeError(mdns.RcodeServerFailure)) {
		t.Errorf("error %#v: want an *Error for broken.test caused by SERVFAIL", err)
	}
	clk.advance(failureTTL - time.Millisecond)
	_, again := r.LookupMX(ctx, "broken.test")
	if again != err || f.asked(mdns.TypeMX) != 1 {
		t.Fatalf("within %v: error %v (asked %d times); want the cached error, one question", failureTTL, again, f.asked(mdns.TypeMX))
	}
	clk.advance(time.Millisecond)
	r.LookupMX(ctx, "broken.test")
	if n := f.asked(mdns.TypeMX); n != 2 {
		t.Errorf("after %v: asked %d times, want 2", failureTTL, n)
	}
}

// TestNextServerOnFailure checks that a question SERVFAILed by the first
// server goes to the second.
func TestNextServerOnFailure(t *testing.T) {
	u := startUnbound(t)
	f := startFake(t, servfail)
	r := newResolver(t, newClock(), f.addr, u.addr)
	rt, err := r.LookupMX(context.Background(), "mx.test")
	tcheck(t, err, "LookupMX")
	if len(rt.Hosts) != 2 {
		t.Fatalf("route %+v", rt)
	}
	// The MX question, then the four address questions, each failed first.
	if f.asked(mdns.TypeMX) != 1 || f.asked(mdns.TypeA) != 2 || f.asked(mdns.TypeAAAA) != 2 {
		t.Errorf("first server asked MX %d, A %d, AAAA %d times; want 1, 2, 2",
			f.asked(mdns.TypeMX), f.asked(mdns.TypeA), f.asked(mdns.TypeAAAA))
	}
	if s := r.Stats(); s.Failures != 5 || s.Queries != 10 {
		t.Errorf("stats %+v: want 5 failures among 10 queries", s)
	}
}

// silentServer reads queries on 127.0.0.1 and never answers.
func silentServer(t testing.TB) (netip.AddrPort, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var n atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			n.Add(1)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort(), &n
}

// TestTimeout checks that a server that never answers gives a temporary
// failure after Options.Timeout, cached like SERVFAIL.
func TestTimeout(t *testing.T) {
	addr, asked := silentServer(t)
	r, err := New(Options{Servers: []netip.AddrPort{addr}, Timeout: 100 * time.Millisecond, Now: newClock().Now})
	tcheck(t, err, "New")
	start := time.Now()
	_, err = r.LookupMX(context.Background(), "slow.test")
	if !errors.Is(err, ErrTemporary) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("LookupMX = %v, want ErrTemporary and a deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
	r.LookupMX(context.Background(), "slow.test")
	if n := asked.Load(); n != 1 {
		t.Errorf("asked %d times, want 1 (the timeout is cached)", n)
	}
}

// TestContextEndsLookup checks that the caller's context stops a lookup
// at once, and that such a failure is not cached.
func TestContextEndsLookup(t *testing.T) {
	addr, _ := silentServer(t)
	r := newResolver(t, newClock(), addr) // 2 s timeout
	for _, cancelled := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		want := context.DeadlineExceeded
		if cancelled {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			want = context.Canceled
		}
		start := time.Now()
		_, err := r.LookupMX(ctx, "slow.test")
		cancel()
		if !errors.Is(err, ErrTemporary) || !errors.Is(err, want) {
			t.Errorf("LookupMX = %v, want ErrTemporary and %v", err, want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v; the context ended after 50ms", d)
		}
	}
	if n := r.cache.len(); n != 0 {
		t.Errorf("%d cache entries after lookups cut short, want none", n)
	}
}

// TestForgedAnswersIgnored answers each query first with a wrong ID, then
// with the wrong question, then correctly: only the last may be believed.
func TestForgedAnswersIgnored(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := new(mdns.Msg)
			if req.Unpack(buf[:n]) != nil {
				continue
			}
			send := func(id uint16, name, addr string) {
				m := new(mdns.Msg)
				m.SetReply(req)
				m.Id, m.RecursionAvailable = id, true
				m.Question[0].Name = name
				if req.Question[0].Qtype == mdns.TypeA {
					m.Answer = []mdns.RR{rr(t, name+" 60 IN A "+addr)}
				}
				out, _ := m.Pack()
				pc.WriteTo(out, from)
			}
			q := req.Question[0].Name
			send(req.Id+1, q, "192.0.2.66")               // wrong ID
			send(req.Id, "evil."+q, "192.0.2.66")         // wrong question
			pc.WriteTo([]byte("not a DNS message"), from) // garbage
			send(req.Id, q, "127.0.0.9")
		}
	}()
	r := newResolver(t, newClock(), pc.LocalAddr().(*net.UDPAddr).AddrPort())
	got, err := r.LookupAddrs(context.Background(), "host.test")
	tcheck(t, err, "LookupAddrs")
	if !equalAddrs(got, addrs("127.0.0.9")) {
		t.Errorf("LookupAddrs = %v, want 127.0.0.9 only", got)
	}
}

// TestHostFailures checks MX hosts that fail temporarily: skipped while
// another host has addresses, with the route kept only briefly; a
// temporary failure of the route when no host is left.
func TestHostFailures(t *testing.T) {
	f := startFake(t, func(q mdns.Question, m *mdns.Msg) {
		switch {
		case q.Qtype == mdns.TypeMX && q.Name == "hosts.test.":
			m.Answer = append(m.Answer, rr(t, "hosts.test. 300 IN MX 10 bad.hosts.test."), rr(t, "hosts.test. 300 IN MX 20 good.hosts.test."))
		case q.Qtype == mdns.TypeMX && q.Name == "allbad.test.":
			m.Answer = append(m.Answer, rr(t, "allbad.test. 300 IN MX 10 bad.hosts.test."))
		case q.Name == "bad.hosts.test.":
			m.Rcode = mdns.RcodeServerFailure
		case q.Qtype == mdns.TypeA:
			m.Answer = append(m.Answer, rr(t, q.Name+" 300 IN A 127.0.0.20"))
		default:
			m.Ns = append(m.Ns, rr(t, "hosts.test. 300 IN SOA ns.hosts.test. a.hosts.test. 1 300 300 300 300"))
		}
	})
	clk := newClock()
	r := newResolver(t, clk, f.addr)
	ctx := context.Background()
	rt, err := r.LookupMX(ctx, "hosts.test")
	tcheck(t, err, "LookupMX hosts.test")
	if len(rt.Hosts) != 1 || rt.Hosts[0].Name != "good.hosts.test" || !rt.Expires.Equal(clk.Now().Add(failureTTL)) {
		t.Errorf("route %+v: want good.hosts.test only, expiring in %v", rt, failureTTL)
	}
	_, err = r.LookupMX(ctx, "allbad.test")
	if !errors.Is(err, ErrTemporary) || errors.Is(err, ErrNoAddress) {
		t.Errorf("allbad.test: %v, want ErrTemporary", err)
	}
	if !errors.Is(err, rcodeError(mdns.RcodeServerFailure)) {
		t.Errorf("allbad.test: %v, want the host's SERVFAIL as the cause", err)
	}
}
