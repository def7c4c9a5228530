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

// TestLimiterCharge: a charge past the burst (a message bigger than a
// volume rate's whole allowance) makes the next events wait until it is
// paid for; a negative charge gives it back, but never more than the burst.
func TestLimiterCharge(t *testing.T) {
	var l Limiter
	now := time.Unix(1000, 0)
	const count, per = 1000, time.Second // 1000 bytes a second: 1 ms a byte
	l.Charge(now, 3000, count, per)
	if ok, wait := l.Allows(now, 1, count, per); ok || wait != 2*time.Second+time.Millisecond {
		t.Fatalf("after 3000 bytes: %v, wait %v; want 2.001 s", ok, wait)
	}
	l.Charge(now, -3000, count, per)
	if ok, _ := l.Allows(now, 1000, count, per); !ok {
		t.Fatal("the refund did not give the burst back")
	}
	l.Charge(now, -5000, count, per) // more back than was taken
	l.Charge(now, 1000, count, per)
	if ok, wait := l.Allows(now, 1, count, per); ok || wait != time.Millisecond {
		t.Fatalf("a refund beyond the burst counted: %v, %v", ok, wait)
	}
	l.Charge(now, 5000, 0, 0) // no limit: nothing counted
	if ok, wait := l.Allows(now.Add(time.Second), 1000, count, per); !ok {
		t.Fatalf("an unlimited charge counted: wait %v", wait)
	}

	var s SharedLimiter
	s.Charge(now, 1500, count, per)
	if ok, wait := s.Allows(now, 1, count, per); ok || wait != 501*time.Millisecond {
		t.Fatalf("shared, after 1500 bytes: %v, wait %v", ok, wait)
	}
	if ok, _ := s.Take(now.Add(501*time.Millisecond), 1, count, per); !ok {
		t.Fatal("shared: refused once paid for")
	}
	s.Charge(now, -1501, count, per)
	if ok, _ := s.Allows(now, 1000, count, per); !ok {
		t.Fatal("shared: the refund did not give the burst back")
	}
}
