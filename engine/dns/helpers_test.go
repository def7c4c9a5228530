package dns

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newResolver returns a Resolver asking only the given servers (tests never
// fall back to /etc/resolv.conf) on the clock.
func newResolver(t testing.TB, clk *clock, servers ...netip.AddrPort) *Resolver {
	t.Helper()
	if len(servers) == 0 {
		t.Fatal("newResolver: a test must name its servers")
	}
	r, err := New(Options{Servers: servers, Timeout: 2 * time.Second, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func tcheck(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// hostNames lists a route's host names in order.
func hostNames(rt Route) []string {
	var out []string
	for _, h := range rt.Hosts {
		out = append(out, h.Name)
	}
	return out
}

func equalAddrs(a, b []netip.Addr) bool { return slices.Equal(a, b) }
