package queue

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimiter: 6 per minute allows a burst of 6, then one every 10 s; a
// request for several events at once needs room for all of them.
func TestLimiter(t *testing.T) {
	var l Limiter
	now := time.Unix(1000, 0)
	if ok, _ := l.Take(now, 6, 6, time.Minute); !ok {
		t.Fatal("burst of 6 refused")
	}
	ok, wait := l.Take(now, 1, 6, time.Minute)
	if ok || wait != 10*time.Second {
		t.Fatalf("seventh: %v, wait %v; want refused for 10 s", ok, wait)
	}
	if ok, _ := l.Take(now.Add(10*time.Second), 1, 6, time.Minute); !ok {
		t.Fatal("refused after 10 s")
	}
	if ok, wait := l.Take(now.Add(10*time.Second), 2, 6, time.Minute); ok || wait != 20*time.Second {
		t.Fatalf("two more at once: %v, wait %v; want 20 s", ok, wait)
	}
	if ok, _ := l.Take(now, 1000, 0, 0); !ok {
		t.Fatal("no limit refused")
	}
}

// TestLimiterAllowsDoesNotCount: Allows answers as Take would, without
// counting, so several limiters can be checked before taking from each.
func TestLimiterAllowsDoesNotCount(t *testing.T) {
	var l Limiter
	now := time.Unix(0, 0)
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allows(now, 1, 1, time.Hour); !ok {
			t.Fatal("Allows counted")
		}
	}
	if ok, _ := l.Take(now, 1, 1, time.Hour); !ok {
		t.Fatal("Take refused after Allows")
	}
	if ok, wait := l.Allows(now, 1, 1, time.Hour); ok || wait != time.Hour {
		t.Fatalf("Allows after Take: %v, %v", ok, wait)
	}
}

// TestSharedLimiter: goroutines taking at once get exactly the burst.
func TestSharedLimiter(t *testing.T) {
	var l SharedLimiter
	now := time.Now()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if yes, _ := l.Take(now, 1, 100, time.Second); yes {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 100 {
		t.Fatalf("%d taken at one instant under 100/s, want the burst of 100", ok.Load())
	}
	if yes, wait := l.Take(now.Add(10*time.Millisecond), 1, 100, time.Second); !yes || wait != 0 {
		t.Fatalf("one more after 10 ms (one interval): %v %v", yes, wait)
	}
}
