package queue

import (
	"container/heap"
	"sort"
	"time"

	"github.com/volleymta/volley/spool"
)

// Entry is one queued recipient.
type Entry struct {
	ID    spool.ID
	Index uint16
	Addr  string
	// Msg is the message's envelope and Body its content, shared read-only
	// with every other holder; either may be nil, and then the deliverer
	// reads them from the spool (a message gone cold, or rebuilt at start).
	Msg  *spool.Message
	Body []byte
	// Attempts counts delivery attempts so far; Next is when the recipient
	// is due (zero: at once).
	Attempts uint32
	Next     time.Time
}

// Queue is one domain/vmta queue on its owning shard. Recipients wait in
// ready (due, in arrival order) or in later (by due time), and are out of
// both while a delivery has them.
type Queue struct {
	Key   Key
	t     *Table
	ready fifo
	later laterHeap
	// InFlight counts recipients taken for delivery and not yet settled.
	InFlight int
	// Paused holds the queue's mail (PowerMTA's `pause queue`): nothing is
	// taken for delivery until Resume. Backoff is the queue's mode: the
	// deliverer uses the domain's backoff-* limits while it is set.
	Paused, Backoff bool
}

// Ready returns the number of recipients due now.
func (q *Queue) Ready() int { return q.ready.len() }

// Len returns the number of recipients the queue holds, in flight included.
func (q *Queue) Len() int { return q.ready.len() + len(q.later) + q.InFlight }

// Take removes and returns the next transaction's recipients: the oldest
// due recipient and the other due recipients of the same message near it
// (see takeGap), up to max (0: no limit), appended to dst. They count as
// in flight until Settle or Defer.
func (q *Queue) Take(dst []Entry, max int) []Entry {
	r := q.ready.items()
	if len(r) == 0 {
		return dst
	}
	id := r[0].ID
	// A message's recipients arrive together (Router.Route hands them over
	// in a row), so the others are next to the head or close: look until
	// takeGap others in a row, not through the whole backlog. One found
	// later goes in a later transaction.
	last, n, gap := 0, 0, 0
	for i := 0; i < len(r) && gap <= takeGap && (max <= 0 || n < max); i++ {
		if r[i].ID != id {
			gap++
			continue
		}
		q.t.hot -= int64(len(r[i].Body))
		dst = append(dst, r[i])
		last, gap = i, 0
		n++
	}
	// Close the gaps: the others in r[:last+1] move up against r[last+1:]
	// in order, and the first n places are dropped.
	j := last
	for i := last; i >= 0; i-- {
		if r[i].ID != id {
			r[j] = r[i]
			j--
		}
	}
	q.ready.drop(n)
	q.InFlight += n
	return dst
}

// takeGap is how many recipients of other messages in a row end Take's
// search for the head message's.
const takeGap = 64

// Head returns the oldest due recipient (nil: none is due). It stays queued.
func (q *Queue) Head() *Entry {
	r := q.ready.items()
	if len(r) == 0 {
		return nil
	}
	return &r[0]
}

// TakeFirst removes up to n of the oldest due recipients, whatever their
// message, appended to dst; they are in flight until Return, Settle or Defer.
func (q *Queue) TakeFirst(dst []Entry, n int) []Entry {
	r := q.ready.items()
	n = min(n, len(r))
	for _, e := range r[:n] {
		q.t.hot -= int64(len(e.Body))
	}
	dst = append(dst, r[:n]...)
	q.ready.drop(n)
	q.InFlight += n
	return dst
}

// Return puts in-flight recipients back at the head of the ready list, in
// order and with their bodies (after reading them from the spool).
func (q *Queue) Return(entries []Entry) {
	q.InFlight -= len(entries)
	for _, e := range entries {
		q.t.hot += int64(len(e.Body))
	}
	q.ready.pushFront(entries) // copies: the caller may reuse entries' array
}

// TakeAll removes every recipient waiting in the queue, due or not (not
// those in flight), appended to dst: for moving them to another queue.
func (q *Queue) TakeAll(dst []Entry) []Entry {
	for _, e := range q.ready.items() {
		q.t.hot -= int64(len(e.Body))
	}
	dst = append(dst, q.ready.items()...)
	dst = append(dst, q.later...)
	q.ready.reset()
	clear(q.later)
	q.later = q.later[:0]
	return dst
}

// Schedule makes every waiting recipient due now (PowerMTA's `schedule`):
// they move to the ready list in due order. It returns how many moved.
func (q *Queue) Schedule() int {
	n := len(q.later)
	for len(q.later) > 0 {
		q.ready.push(heap.Pop(&q.later).(Entry))
	}
	return n
}

// Remove takes out of the queue every waiting or ready recipient match
// accepts (not those in flight), appended to dst in queue order; they are
// gone from the queue, and the caller settles them.
func (q *Queue) Remove(dst []Entry, match func(*Entry) bool) []Entry {
	r := q.ready.items()
	kept := 0
	for i := range r {
		if match(&r[i]) {
			q.t.hot -= int64(len(r[i].Body))
			dst = append(dst, r[i])
			continue
		}
		r[kept] = r[i]
		kept++
	}
	q.ready.truncate(kept)
	later := q.later[:0]
	for i := range q.later {
		if match(&q.later[i]) {
			dst = append(dst, q.later[i])
			continue
		}
		later = append(later, q.later[i])
	}
	clear(q.later[len(later):])
	q.later = later
	heap.Init(&q.later)
	return dst
}

// Each calls fn for the queued recipients (ready, then waiting; not
// those in flight) until it returns false.
func (q *Queue) Each(fn func(e *Entry) bool) {
	r := q.ready.items()
	for i := range r {
		if !fn(&r[i]) {
			return
		}
	}
	for i := range q.later {
		if !fn(&q.later[i]) {
			return
		}
	}
}

// Cold appends to dst the queued recipients (ready or waiting) whose
// envelope is not in memory.
func (q *Queue) Cold(dst []Entry) []Entry {
	for _, e := range q.ready.items() {
		if e.Msg == nil {
			dst = append(dst, e)
		}
	}
	for _, e := range q.later {
		if e.Msg == nil {
			dst = append(dst, e)
		}
	}
	return dst
}

// Settle records that an in-flight recipient reached a final outcome.
func (q *Queue) Settle() { q.InFlight-- }

// Defer puts an in-flight recipient back, due at e.Next, without its body:
// a deferred message has gone cold and is read from the spool next time.
func (q *Queue) Defer(e Entry) {
	q.InFlight--
	e.Body = nil
	q.add(e, time.Time{})
}

// Put queues e again (ready when due by now, else waiting): for
// recipients an operator's command took out of the queue and returns.
func (q *Queue) Put(e Entry) { q.add(e, time.Now()) }

// add queues e: ready when it is due by now, else later.
func (q *Queue) add(e Entry, now time.Time) {
	if e.Next.After(now) {
		if len(q.later) == 0 || e.Next.Before(q.later[0].Next) {
			q.t.wheel.add(q, e.Next) // a new earliest: file the queue for it
		}
		heap.Push(&q.later, e)
		return
	}
	q.ready.push(e)
}

// promote moves the recipients due by now from later to ready.
func (q *Queue) promote(now time.Time) {
	for len(q.later) > 0 && !q.later[0].Next.After(now) {
		q.ready.push(heap.Pop(&q.later).(Entry))
	}
}

// NextDue returns when the earliest waiting recipient is due (zero: none waits).
func (q *Queue) NextDue() time.Time {
	if len(q.later) == 0 {
		return time.Time{}
	}
	return q.later[0].Next
}

// laterHeap orders waiting recipients by due time.
type laterHeap []Entry

func (h laterHeap) Len() int           { return len(h) }
func (h laterHeap) Less(i, j int) bool { return h[i].Next.Before(h[j].Next) }
func (h laterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laterHeap) Push(x any)        { *h = append(*h, x.(Entry)) }
func (h *laterHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = Entry{}
	*h = old[:len(old)-1]
	return e
}

// Table is the set of queues one shard owns. It belongs to that shard's
// loop: every method must run there.
type Table struct {
	queues map[Key]*Queue
	// wheel wakes the queues whose waiting recipients come due.
	wheel *wheel
	// HotBudget bounds the bytes of message bodies the queues keep in
	// memory (default 64 MiB); past it, recipients arrive without their
	// body and the deliverer reads it from the spool.
	HotBudget int64
	hot       int64
	// OnAdd, when set, is called after recipients arrive (the deliverer's
	// cue to look at the queue).
	OnAdd func(q *Queue)
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{queues: make(map[Key]*Queue), HotBudget: 64 << 20, wheel: newWheel(time.Now())}
}

// Add queues one recipient handed over by a Router.
func (t *Table) Add(r Ready) {
	q := t.queue(r.Key)
	if n := int64(len(r.Body)); n > 0 {
		if t.hot+n > t.HotBudget {
			r.Body = nil
		} else {
			t.hot += n
		}
	}
	q.add(Entry{ID: r.ID, Index: r.Index, Addr: r.Addr, Msg: r.Msg, Body: r.Body, Attempts: r.Attempts, Next: r.Next}, time.Now())
	if t.OnAdd != nil {
		t.OnAdd(q)
	}
}

func (t *Table) queue(k Key) *Queue {
	q := t.queues[k]
	if q == nil {
		q = &Queue{Key: k, t: t}
		t.queues[k] = q
	}
	return q
}

// HotBytes returns the bytes of bodies held in the queues.
func (t *Table) HotBytes() int64 { return t.hot }

// Len returns the number of recipients queued over all queues.
func (t *Table) Len() int {
	n := 0
	for _, q := range t.queues {
		n += q.Len()
	}
	return n
}

// Ensure returns the queue for k, made empty when there is none (an
// operator pausing a queue before its mail arrives).
func (t *Table) Ensure(k Key) *Queue { return t.queue(k) }

// Each calls fn for every queue, in no particular order.
func (t *Table) Each(fn func(q *Queue)) {
	for _, q := range t.queues {
		fn(q)
	}
}

// Queue returns the queue for k, or nil when there is none.
func (t *Table) Queue(k Key) *Queue { return t.queues[k] }

// Due moves what is due by now to the ready lists of the queues the wheel
// says are due, calls fn for each of them with recipients ready, and
// returns when to call it again (zero: nothing waits). The cost follows
// the queues due, not the queues held.
func (t *Table) Due(now time.Time, fn func(q *Queue)) (next time.Time) {
	t.wheel.advance(now, func(q *Queue) {
		q.promote(now)
		if len(q.later) > 0 {
			t.wheel.add(q, q.later[0].Next) // the next one waiting (woken early: the same)
		}
		if q.ready.len() > 0 {
			fn(q)
		}
	})
	return t.wheel.next()
}

// Summary is a queue's name and size, for display and tests.
type Summary struct {
	Key        Key
	Recipients int
}

// Summaries lists the queues sorted by name.
func (t *Table) Summaries() []Summary {
	out := make([]Summary, 0, len(t.queues))
	for k, q := range t.queues {
		out = append(out, Summary{Key: k, Recipients: q.Len()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key.String() < out[j].Key.String() })
	return out
}
