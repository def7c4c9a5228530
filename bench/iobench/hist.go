//go:build linux

package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// hist is a fixed-size log-linear latency histogram in nanoseconds: values
// below 32 ns have a bucket each, and every power of two above is split into
// 16 linear buckets, so a bucket is at most 1/16 (6.25%) wide. Recording is
// an index computation and an increment: no allocation and no lock on the
// client's hot path, and two histograms merge by adding their buckets.
type hist struct {
	counts [histBuckets]uint64
	total  uint64
}

const (
	histSubBits = 4
	histSub     = 1 << histSubBits // linear buckets per power of two
	histExact   = 2 * histSub      // values below this have their own bucket
	// histBuckets covers every uint64 value: shifts 1..59 of 16 buckets each.
	histBuckets = histExact + (64-histSubBits-1)*histSub
)

// histIndex maps a value to its bucket.
func histIndex(v uint64) int {
	if v < histExact {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1 // leaves the top 5 bits: 16..31
	top := v >> uint(shift)
	return histExact + (shift-1)*histSub + int(top-histSub)
}

// histUpper is the largest value that falls in bucket i.
func histUpper(i int) uint64 {
	if i < histExact {
		return uint64(i)
	}
	shift := (i-histExact)/histSub + 1
	top := uint64((i-histExact)%histSub + histSub)
	return (top+1)<<uint(shift) - 1
}

func (h *hist) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.total++
}

// recordAtomic is record for a histogram shared between goroutines (the Go
// net fallback client only).
func (h *hist) recordAtomic(d time.Duration) {
	if d < 0 {
		d = 0
	}
	atomic.AddUint64(&h.counts[histIndex(uint64(d))], 1)
	atomic.AddUint64(&h.total, 1)
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
}

// quantile returns the upper bound of the bucket holding the q-th value
// (0 < q <= 1), so a reported p99 is never below the true one.
func (h *hist) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(histUpper(i))
		}
	}
	return time.Duration(histUpper(histBuckets - 1))
}
