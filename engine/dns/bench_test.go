package dns

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// cachedResolver holds a two-host route for example.com in its cache; it
// never asks a server (its only one is a closed port on loopback, should a
// bug make it try).
func cachedResolver(tb testing.TB) *Resolver {
	clk := newClock()
	r, err := New(Options{Servers: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:1")}, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	rt := Route{
		Domain: "example.com",
		Hosts: []Host{
			{Name: "mx1.example.com", Pref: 10, Addrs: addrs("192.0.2.1", "2001:db8::1")},
			{Name: "mx2.example.com", Pref: 20, Addrs: addrs("192.0.2.2")},
		},
		Expires: clk.Now().Add(time.Hour),
	}
	r.cache.put(&entry{key: key{"example.com", kindMX}, route: rt, expires: rt.Expires})
	return r
}

// TestCachedLookupAllocs pins the delivery hot path at zero allocations.
func TestCachedLookupAllocs(t *testing.T) {
	r := cachedResolver(t)
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() { r.LookupMX(ctx, "example.com") }); n != 0 {
		t.Errorf("cached LookupMX: %v allocs, want 0", n)
	}
}

func BenchmarkLookupMXCached(b *testing.B) {
	r := cachedResolver(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupMX(ctx, "example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupMXCachedUpper pays for lower-casing the name.
func BenchmarkLookupMXCachedUpper(b *testing.B) {
	r := cachedResolver(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupMX(ctx, "Example.COM."); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupMXCachedParallel measures hits from many helper goroutines.
func BenchmarkLookupMXCachedParallel(b *testing.B) {
	r := cachedResolver(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.LookupMX(ctx, "example.com"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLookupMXUnbound measures a miss against a local unbound:
// one MX query, then A and AAAA for both hosts in one batch.
func BenchmarkLookupMXUnbound(b *testing.B) {
	u := startUnbound(b)
	r := newResolver(b, newClock(), u.addr)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r.Flush()
		if _, err := r.LookupMX(ctx, "mx.test"); err != nil {
			b.Fatal(err)
		}
	}
}
