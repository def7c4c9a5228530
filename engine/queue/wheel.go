package queue

import "time"

// wheel is a hashed timing wheel of queue wake-ups (Varghese and Lauck):
// slots a tick wide, a queue filed under the slot of the tick its earliest
// waiting recipient is due, O(1) to file; time sweeps the slots in turn.
// An entry more than one turn ahead stays in its slot until its turn.
// Stale entries (the queue's due time moved) are harmless: a queue woken
// early promotes nothing and is filed again.
type wheel struct {
	tick  time.Duration
	slots [][]wheelEntry
	mask  int64
	// cur is the next tick to sweep (ticks since the Unix epoch); n counts
	// entries filed.
	cur int64
	n   int
}

type wheelEntry struct {
	q  *Queue
	at int64 // the tick it is due
}

const (
	wheelTick  = 100 * time.Millisecond
	wheelSlots = 4096 // one turn: 409.6 s
)

func newWheel(now time.Time) *wheel {
	w := &wheel{tick: wheelTick, slots: make([][]wheelEntry, wheelSlots), mask: wheelSlots - 1}
	w.cur = w.tickOf(now)
	return w
}

func (w *wheel) tickOf(t time.Time) int64 { return t.UnixNano() / int64(w.tick) }

// add files q to wake at at (a time already past wakes at the next sweep).
func (w *wheel) add(q *Queue, at time.Time) {
	t := w.tickOf(at)
	if t < w.cur {
		t = w.cur
	}
	w.slots[t&w.mask] = append(w.slots[t&w.mask], wheelEntry{q: q, at: t})
	w.n++
}

// advance sweeps every slot up to now and calls fn for each queue due,
// once per entry (a queue filed twice may come twice).
func (w *wheel) advance(now time.Time, fn func(q *Queue)) {
	end := w.tickOf(now)
	if end-w.cur >= wheelSlots { // asleep for a whole turn: every slot is due once
		w.cur = end - wheelSlots + 1
	}
	for w.cur <= end {
		c := w.cur
		// Past this slot before anything is woken: a queue filed again
		// from fn goes to a later slot, never to the one being swept.
		w.cur++
		slot := w.slots[c&w.mask]
		if len(slot) == 0 {
			continue
		}
		kept := slot[:0]
		var due []*Queue
		for _, e := range slot {
			if e.at <= end {
				due = append(due, e.q)
				w.n--
				continue
			}
			kept = append(kept, e) // a later turn's
		}
		clear(slot[len(kept):])
		w.slots[c&w.mask] = kept
		for _, q := range due {
			fn(q)
		}
	}
}

// next returns the start of the first tick after the last swept one whose
// slot holds an entry (zero: the wheel is empty). It may be early for an
// entry a turn or more ahead; that only costs a wake-up.
func (w *wheel) next() time.Time {
	if w.n == 0 {
		return time.Time{}
	}
	for i := int64(0); i < wheelSlots; i++ {
		if len(w.slots[(w.cur+i)&w.mask]) > 0 {
			return time.Unix(0, (w.cur+i)*int64(w.tick))
		}
	}
	return time.Time{}
}
