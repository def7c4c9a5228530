package clientlimit

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	a = netip.MustParseAddr("192.0.2.1")
	b = netip.MustParseAddr("192.0.2.2")
)

func TestAcquirePerClientAndTotal(t *testing.T) {
	var tb Table
	c1, v1 := tb.Acquire(a, 3, 2, nil)
	c2, v2 := tb.Acquire(a, 3, 2, nil)
	if v1 != Admitted || v2 != Admitted || c1 != c2 {
		t.Fatal("the first two connections from a must be admitted, on one entry")
	}
	if _, v := tb.Acquire(a, 3, 2, nil); v != ClientFull {
		t.Fatalf("a third connection from a: %v, want ClientFull past max-smtp-in 2", v)
	}
	cb, v := tb.Acquire(b, 3, 2, nil)
	if v != Admitted {
		t.Fatal("b refused though under both limits")
	}
	if _, v := tb.Acquire(netip.MustParseAddr("192.0.2.3"), 3, 2, nil); v != TotalFull {
		t.Fatalf("a fourth connection: %v, want TotalFull past total-max-smtp-in 3", v)
	}
	if tb.Total() != 3 {
		t.Fatalf("Total %d, want 3 (refusals hold nothing)", tb.Total())
	}
	tb.Release(c1, nil)
	if _, v := tb.Acquire(netip.MustParseAddr("::ffff:192.0.2.1"), 3, 2, nil); v != Admitted {
		t.Fatal("after a release, a (as an IPv4-mapped address) must be admitted again")
	}
	tb.Release(c2, nil)
	tb.Release(c2, nil)
	tb.Release(cb, nil)
	if tb.Total() != 0 {
		t.Fatalf("Total %d after releasing everything", tb.Total())
	}
	if n := tb.Sweep(time.Now()); n != 2 || tb.Len() != 0 {
		t.Fatalf("Sweep removed %d, %d left; want 2 and 0", n, tb.Len())
	}
}

// TestAllowRate: a rate of 3/s admits a burst of 3, then one more per
// third of a second.
func TestAllowRate(t *testing.T) {
	var tb Table
	c, _ := tb.Acquire(a, 0, 0, nil)
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !c.Allow(now, 3, time.Second) {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if c.Allow(now, 3, time.Second) {
		t.Fatal("fourth message in the same instant admitted")
	}
	if c.Allow(now.Add(300*time.Millisecond), 3, time.Second) {
		t.Fatal("admitted before a third of a second passed")
	}
	if !c.Allow(now.Add(334*time.Millisecond), 3, time.Second) {
		t.Fatal("refused after a third of a second")
	}
	if !c.Allow(now, 0, 0) {
		t.Fatal("no limit refused")
	}
	// An entry with rate history is kept until the history runs out.
	tb.Release(c, nil)
	if tb.Sweep(now) != 0 {
		t.Fatal("swept a client whose rate history is still running")
	}
	if tb.Sweep(now.Add(2*time.Second)) != 1 {
		t.Fatal("did not sweep an idle client")
	}
}

// TestConcurrent: many goroutines connecting, sending and sweeping at
// once never admit more than the limits (the race detector watches).
func TestConcurrent(t *testing.T) {
	var tb Table
	const workers, rounds, perClient = 8, 2000, 3
	var open [2]atomic.Int32
	var over atomic.Bool
	var admitted atomic.Int64
	start := time.Unix(2000, 0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				addr := []netip.Addr{a, b}[i%2]
				c, v := tb.Acquire(addr, 0, perClient, nil)
				if v != Admitted {
					continue
				}
				if open[i%2].Add(1) > perClient {
					over.Store(true)
				}
				if c.Allow(start, 100, time.Hour) {
					admitted.Add(1)
				}
				open[i%2].Add(-1)
				tb.Release(c, nil)
				if i%97 == 0 {
					tb.Sweep(start.Add(-time.Hour))
				}
			}
		}(w)
	}
	wg.Wait()
	if over.Load() {
		t.Fatal("more than max-smtp-in connections admitted at once")
	}
	if tb.Total() != 0 {
		t.Fatalf("Total %d at the end", tb.Total())
	}
	// Entries swept while idle may restart a client's history, but never
	// between its Acquire and Release, so each address gets at least its
	// burst of 100, and at most 100 per life of its entry.
	if n := admitted.Load(); n < 200 {
		t.Fatalf("%d messages admitted, want at least the two bursts of 100", n)
	}
}

func BenchmarkAcquireAllowRelease(b *testing.B) {
	var tb Table
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, v := tb.Acquire(a, 0, 0, nil)
			if v == Admitted {
				c.Allow(now, 1<<40, time.Second)
				tb.Release(c, nil)
			}
		}
	})
}

// TestAuthFailures: count failures per period are allowed, the next
// attempt is blocked until one ages out; a blocked client is not swept.
func TestAuthFailures(t *testing.T) {
	var tb Table
	c, _ := tb.Acquire(netip.MustParseAddr("192.0.2.7"), 0, 0, nil)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if c.AuthBlocked(now, 3, time.Minute) {
			t.Fatalf("blocked after %d failures", i)
		}
		c.AuthFailed(now, 3, time.Minute)
	}
	if !c.AuthBlocked(now, 3, time.Minute) {
		t.Fatal("not blocked after 3 failures in a minute")
	}
	if c.AuthBlocked(now.Add(20*time.Second), 3, time.Minute) {
		t.Fatal("still blocked once one failure has aged out (20 s at 3/min)")
	}
	if c.AuthBlocked(now, 0, 0) {
		t.Fatal("blocked with no limit")
	}
	tb.Release(c, nil)
	if n := tb.Sweep(now.Add(30 * time.Second)); n != 0 {
		t.Fatalf("swept a client whose failures still count")
	}
	if n := tb.Sweep(now.Add(2 * time.Minute)); n != 1 {
		t.Fatalf("swept %d, want the client once its failures aged out", n)
	}
}

// TestGroups: a group's cap, a reservation others may not take, release,
// and a reload that keeps the count of a group that stays.
func TestGroups(t *testing.T) {
	var tb Table
	tb.SetGroups(map[string][2]int{"capped": {1, 0}, "vip": {0, 1}})
	capped, vip := tb.Group("capped"), tb.Group("vip")
	if capped == nil || vip == nil || tb.Group("nosuch") != nil || tb.Group("") != nil {
		t.Fatal("groups not found")
	}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	c1, v := tb.Acquire(a, 3, 0, capped)
	if v != Admitted {
		t.Fatalf("first in capped: %v", v)
	}
	if _, v := tb.Acquire(b, 3, 0, capped); v != GroupFull {
		t.Fatalf("second in capped: %v, want GroupFull", v)
	}
	c2, v := tb.Acquire(b, 3, 0, nil)
	if v != Admitted {
		t.Fatalf("outside, one slot left beside vip's: %v", v)
	}
	if _, v := tb.Acquire(b, 3, 0, nil); v != TotalFull {
		t.Fatalf("outside, the last slot is vip's: %v, want TotalFull", v)
	}
	c3, v := tb.Acquire(b, 3, 0, vip)
	if v != Admitted || tb.Total() != 3 {
		t.Fatalf("vip in its reservation: %v, total %d", v, tb.Total())
	}
	tb.SetGroups(map[string][2]int{"capped": {2, 0}})
	if tb.Group("capped") != capped || capped.conns.Load() != 1 || tb.Group("vip") != nil {
		t.Fatal("a reload lost the count of a group that stays, or kept one that went")
	}
	tb.Release(c1, capped)
	tb.Release(c2, nil)
	tb.Release(c3, vip)
	if tb.Total() != 0 || capped.conns.Load() != 0 || vip.conns.Load() != 0 {
		t.Fatalf("after release: total %d, capped %d, vip %d", tb.Total(), capped.conns.Load(), vip.conns.Load())
	}
}
