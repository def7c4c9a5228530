package engine

import (
	"math"
	"sync/atomic"
	"time"
)

// latencyHist counts durations in buckets a quarter of a power of two
// wide (each bound 2^(1/4) = 19% above the last), from 1 µs to over an
// hour: enough for p50/p99 to within a bucket without keeping samples.
// Safe for concurrent use.
type latencyHist struct {
	buckets [latencyBuckets]atomic.Uint64
	count   atomic.Uint64
}

const latencyBuckets = 4 * 32 // up to 2^32 µs, about 72 minutes

func latencyBucket(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	i := int(math.Log2(us) * 4)
	return min(i, latencyBuckets-1)
}

// observe counts one duration.
func (h *latencyHist) observe(d time.Duration) {
	h.buckets[latencyBucket(d)].Add(1)
	h.count.Add(1)
}

// quantile returns the upper bound of the bucket holding quantile q (0-1),
// or 0 when nothing was counted.
func (h *latencyHist) quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	seen := uint64(0)
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return time.Duration(math.Exp2(float64(i+1)/4) * float64(time.Microsecond))
		}
	}
	return time.Duration(math.Exp2(float64(latencyBuckets)/4) * float64(time.Microsecond))
}
