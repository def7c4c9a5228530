package queue

import (
	"math"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

func TestWarmupRate(t *testing.T) {
	day := 24 * time.Hour
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	full := config.Rate{Count: 10000, Per: time.Hour}
	// A 7-day warm-up of a 10,000/h domain: day d runs at 1.1^(d-7).
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{
		{0, 5131},               // 1.1^-7
		{day + time.Hour, 5644}, // 1.1^-6
		{6 * day, 9090},         // 1.1^-1
		{7 * day, 10000},        // full from day 7
		{70 * day, 10000},
	} {
		if got := WarmupRate(full, first, first.Add(c.at), 7*day); got.Count != c.want || got.Per != time.Hour {
			t.Errorf("after %v: %v, want %d/h", c.at, got, c.want)
		}
	}
	if r := WarmupRate(config.Rate{}, first, first, 30*day); r.Per != 24*time.Hour || r.Count != 5730 {
		t.Errorf("unlimited domain, 30-day ramp, day 0: %v, want 5730/d (5.7%% of the 100,000/d top)", r)
	}
	if r := WarmupRate(full, first, first, 0); r != full {
		t.Errorf("no warm-up: %v", r)
	}
	a, b := config.Rate{Count: 60, Per: time.Minute}, config.Rate{Count: 1000, Per: time.Hour}
	if Stricter(a, b) != b || Stricter(b, a) != b || Stricter(config.Rate{}, a) != a {
		t.Error("Stricter picks the wrong rate")
	}
}

func TestWarmupFraction(t *testing.T) {
	day := 24 * time.Hour
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		at     time.Duration
		warmup time.Duration
		want   float64
		held   bool
	}{
		{"day 0 of 7", time.Hour, 7 * day, 0.5131581182307067, true},
		{"day 6 of 7", 6*day + time.Hour, 7 * day, 1 / 1.1, true},
		{"day 7 of 7", 7 * day, 7 * day, 1, false},
		{"day 0 of 30", 0, 30 * day, 0.05730855330116798, true},
		{"no warm-up", 0, 0, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, held := WarmupFraction(first, first.Add(c.at), c.warmup)
			if held != c.held || math.Abs(f-c.want) > 1e-9 {
				t.Errorf("got %v, %v; want %v, %v", f, held, c.want, c.held)
			}
		})
	}
}
