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

// Charge counts n events that Allows let through, even past the rate
// (the bytes of a message under a data-volume rate, which may exceed the
// burst): the next Take or Allows waits until they are paid for. A
// negative n gives back what a Charge took for events that did not happen
// (a transaction that delivered nothing).
func (l *Limiter) Charge(now time.Time, n int64, count int64, per time.Duration) {
	l.tat = charged(l.tat, now, n, count, per)
}

// spacing is the time between events at count per period; false when
// that sets no limit.
func spacing(count int64, per time.Duration) (time.Duration, bool) {
	if count <= 0 || per <= 0 {
		return 0, false
	}
	interval := per / time.Duration(count)
	return interval, interval > 0
}

// charged is the arrival time after n more events (n < 0: fewer) at now.
func charged(tat, now time.Time, n, count int64, per time.Duration) time.Time {
	interval, limited := spacing(count, per)
	if !limited || n == 0 {
		return tat
	}
	if n < 0 {
		// A refund never gives more than the burst: check starts from now.
		return tat.Add(time.Duration(n) * interval)
	}
	if tat.Before(now) {
		tat = now
	}
	return tat.Add(time.Duration(n) * interval)
}

// check returns Take's answer and the arrival time it would leave.
func (l *Limiter) check(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration, time.Time) {
	interval, limited := spacing(count, per)
	if !limited || n <= 0 {
		return true, 0, l.tat
	}
	if int64(n) > count {
		n = int(count) // a batch bigger than the burst goes as a full burst
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

// Allows is Limiter.Allows for many goroutines.
func (l *SharedLimiter) Allows(now time.Time, n int, count int64, per time.Duration) (bool, time.Duration) {
	var lim Limiter
	if t := l.tat.Load(); t != 0 {
		lim.tat = time.Unix(0, t)
	}
	return lim.Allows(now, n, count, per)
}

// Charge is Limiter.Charge for many goroutines.
func (l *SharedLimiter) Charge(now time.Time, n int64, count int64, per time.Duration) {
	if _, limited := spacing(count, per); !limited || n == 0 {
		return
	}
	for {
		old := l.tat.Load()
		var tat time.Time
		if old != 0 {
			tat = time.Unix(0, old)
		}
		if l.tat.CompareAndSwap(old, charged(tat, now, n, count, per).UnixNano()) {
			return
		}
	}
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
