package dns

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// TestCacheHitAsksNoServer checks that a cached route is served without a
// query, even with the server gone, until it expires.
func TestCacheHitAsksNoServer(t *testing.T) {
	u := startUnbound(t)
	clk := newClock()
	r := newResolver(t, clk, u.addr)
	ctx := context.Background()
	first, err := r.LookupMX(ctx, "mx.test")
	tcheck(t, err, "LookupMX")
	// One MX query, then A and AAAA for both hosts in one batch.
	if s := r.Stats(); s.Queries != 5 || s.CacheMisses != 3 {
		t.Fatalf("stats after the first lookup %+v: want 5 queries, 3 misses", s)
	}

	u.stop()
	clk.advance(99 * time.Second)
	again, err := r.LookupMX(ctx, "MX.TEST.")
	tcheck(t, err, "LookupMX from the cache, unbound stopped")
	if !reflect.DeepEqual(again, first) {
		t.Errorf("cached route %+v differs from %+v", again, first)
	}
	hosts, err := r.LookupAddrs(ctx, "b.mx.test")
	tcheck(t, err, "LookupAddrs of an MX host from the cache")
	if !equalAddrs(hosts, first.Hosts[1].Addrs) {
		t.Errorf("LookupAddrs(b.mx.test) = %v", hosts)
	}
	if s := r.Stats(); s.Queries != 5 || s.CacheHits != 2 {
		t.Fatalf("stats after cached lookups %+v: want still 5 queries, 2 hits", s)
	}

	clk.advance(time.Second) // now 100 s: the AAAA of a.mx.test has expired
	if _, err := r.LookupMX(ctx, "mx.test"); !errors.Is(err, ErrTemporary) {
		t.Fatalf("LookupMX after expiry with unbound stopped: %v, want ErrTemporary", err)
	}
	if s := r.Stats(); s.Queries != 6 {
		t.Errorf("stats %+v: want a 6th query once expired", s)
	}
}

// TestCacheExpiry follows TTLs, positive and negative, with the clock.
func TestCacheExpiry(t *testing.T) {
	u := startUnbound(t)
	tests := []struct {
		name, domain string
		ttl          time.Duration // cached for exactly this long
	}{
		{"positive, 2 s", "short.test", 2 * time.Second},
		{"NXDOMAIN, SOA minimum 30 s", "nx.test", 30 * time.Second},
		{"no MX, no address (NODATA), 30 s", "noaddr.test", 30 * time.Second},
		{"NXDOMAIN, SOA of 1 s raised to 5 s", "nx.neg1.test", minNegativeTTL},
		{"NXDOMAIN, SOA of 1 day cut to 5 min", "nx.neg2.test", maxNegativeTTL},
		{"null MX, 300 s", "null.test", 300 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			r := newResolver(t, clk, u.addr)
			ctx := context.Background()
			r.LookupMX(ctx, tc.domain)
			asked := r.Stats().Queries
			clk.advance(tc.ttl - time.Millisecond)
			r.LookupMX(ctx, tc.domain)
			if q := r.Stats().Queries; q != asked {
				t.Fatalf("%d queries before the TTL ran out, want %d", q, asked)
			}
			clk.advance(time.Millisecond)
			r.LookupMX(ctx, tc.domain)
			if q := r.Stats().Queries; q == asked {
				t.Fatalf("no query once the TTL ran out")
			}
		})
	}
}

// TestCacheBounded checks that the cache keeps at most its limit, evicting
// the oldest insertion.
func TestCacheBounded(t *testing.T) {
	var c cache
	c.init(3)
	now := time.Now()
	put := func(name string) *entry {
		e := &entry{key: key{name, kindAddr}, expires: now.Add(time.Hour)}
		c.put(e)
		return e
	}
	put("a")
	put("b")
	put("c")
	put("b") // a replacement evicts nothing and makes b the newest
	if c.len() != 3 {
		t.Fatalf("len %d after replacing, want 3", c.len())
	}
	put("d") // evicts a
	put("e") // evicts c
	for name, want := range map[string]bool{"a": false, "b": true, "c": false, "d": true, "e": true} {
		if _, ok := c.get(key{name, kindAddr}, now); ok != want {
			t.Errorf("%s cached %v, want %v", name, ok, want)
		}
	}
	if c.len() != 3 {
		t.Errorf("len %d, want 3", c.len())
	}
	c.forget("d")
	if _, ok := c.get(key{"d", kindAddr}, now); ok || c.len() != 2 {
		t.Errorf("d still cached after forget, len %d", c.len())
	}
	c.flush()
	if c.len() != 0 {
		t.Errorf("len %d after flush", c.len())
	}
	put("f")
	if _, ok := c.get(key{"f", kindAddr}, now.Add(time.Hour)); ok {
		t.Error("entry valid at its expiry time")
	}
}

// TestMaxCacheEntries bounds a Resolver's cache end to end.
func TestMaxCacheEntries(t *testing.T) {
	u := startUnbound(t)
	r, err := New(Options{Servers: []netip.AddrPort{u.addr}, MaxCacheEntries: 2, Now: newClock().Now})
	tcheck(t, err, "New")
	for _, h := range []string{"a.mx.test", "b.mx.test", "ok.partial.test", "a.mx.test"} {
		_, err := r.LookupAddrs(context.Background(), h)
		tcheck(t, err, "LookupAddrs "+h)
	}
	if n := r.cache.len(); n != 2 {
		t.Errorf("%d cache entries, want 2", n)
	}
	if s := r.Stats(); s.CacheMisses != 4 {
		t.Errorf("stats %+v: want 4 misses (a.mx.test was evicted)", s)
	}
}

// TestForget drops a name's cached route and addresses, and Flush all.
func TestForget(t *testing.T) {
	u := startUnbound(t)
	r := newResolver(t, newClock(), u.addr)
	ctx := context.Background()
	r.LookupMX(ctx, "implicit.test")
	n := r.Stats().Queries
	r.Forget("Implicit.Test.")
	r.LookupMX(ctx, "implicit.test")
	if got := r.Stats().Queries; got != 2*n {
		t.Errorf("%d queries after Forget, want %d (MX and the host's A and AAAA again)", got, 2*n)
	}
	r.Flush()
	r.LookupMX(ctx, "implicit.test")
	if got := r.Stats().Queries; got != 3*n {
		t.Errorf("%d queries after Flush, want %d", got, 3*n)
	}
}
