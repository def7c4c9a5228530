package queue

import (
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
