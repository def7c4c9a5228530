package queue

import (
	"sync/atomic"
	"time"
)

// Limiter spaces events to a rate (PowerMTA's max-msg-rate,
// max-connect-rate) with GCRA: events are allowed count per period on
// average, in bursts of up to count. One Limiter belongs to one loop.
type Limiter struct {
	// tat is the theoretical arrival time of the next event.
	tat time.Time
}

// Take reports whether n events may happen at now under count per period
// (count <= 0: no limit) and, if so, counts them; otherwise it returns how
// long to wait before asking again.
func (l *Limiter) Take(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration) {
	ok, wait, tat := l.check(now, n, count, per)
	if ok {
		l.tat = tat
	}
	return ok, wait
}

// Allows is Take without counting: for checking several limiters before
// taking from each.
func (l *Limiter) Allows(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration) {
	ok, wait, _ := l.check(now, n, count, per)
	return ok, wait
}

// check returns Take's answer and the arrival time it would leave.
func (l *Limiter) check(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration, time.Time) {
	if count <= 0 || per <= 0 || n <= 0 {
		return true, 0, l.tat
	}
	if int64(n) > count {
		n = int(count) // a batch bigger than the burst goes as a full burst
	}
	interval := per / time.Duration(count)
	if interval <= 0 {
		return true, 0, l.tat
	}
	tolerance := per - interval
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(time.Duration(n-1) * interval) // the last of the n must fit too
	if over := next.Sub(now) - tolerance; over > 0 {
		return false, over, l.tat
	}
	return true, 0, tat.Add(time.Duration(n) * interval)
}

// SharedLimiter is a Limiter many goroutines use at once (a vMTA's rate
// over every shard): its state is one atomic word, updated by
// compare-and-swap, so no shard waits for another's lock.
type SharedLimiter struct {
	tat atomic.Int64 // theoretical arrival time, Unix nanoseconds
}

// Take is Limiter.Take for many goroutines.
func (l *SharedLimiter) Take(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration) {
	for {
		old := l.tat.Load()
		var lim Limiter
		if old != 0 {
			lim.tat = time.Unix(0, old)
		}
		ok, wait, tat := lim.check(now, n, count, per)
		if !ok {
			return false, wait
		}
		if l.tat.CompareAndSwap(old, tat.UnixNano()) {
			return true, 0
		}
	}
}
