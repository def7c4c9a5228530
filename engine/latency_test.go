package engine

import (
	"testing"
	"time"
)

// TestLatencyHist: quantiles land within one bucket (19%) above the truth.
func TestLatencyHist(t *testing.T) {
	var h latencyHist
	if h.quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	for i := 1; i <= 1000; i++ {
		h.observe(time.Duration(i) * time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got := h.quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.19 {
			t.Errorf("q%.2f = %v, want %v to 19%% above", c.q, got, c.want)
		}
	}
}
