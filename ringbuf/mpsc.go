package ringbuf

import "sync/atomic"

// seqSlot is one ring cell: a sequence number and the value it guards.
type seqSlot[T any] struct {
	seq atomic.Uint64
	val T
}

// MPSC is a bounded multi-producer single-consumer ring.
//
// Design (Vyukov's bounded MPMC queue with one consumer): slot i starts with
// seq == i. A producer reads tail t; if slot[t&mask].seq == t the slot is free
// for ticket t and the producer claims it by CASing tail t -> t+1, writes the
// value, then Stores seq = t+1 (release) to publish it. The consumer at head h
// reads slot[h&mask].seq (acquire); seq == h+1 means the value is written. It
// reads the value, then Stores seq = h+cap (release), handing the slot to the
// producer of ticket h+cap. Because only one consumer exists, head is a plain
// consumer-owned field read by others only through Len. Per-producer order
// holds because one producer's tickets increase. Rejected alternative: a
// linked (Vyukov intrusive) MPSC, which is unbounded and allocates per node.
type MPSC[T any] struct {
	_ [cacheLine]byte
	// tail is the next ticket; producers CAS it.
	tail atomic.Uint64
	_    [cacheLine - 8]byte
	// head is the next ticket to consume; written by the consumer only.
	head  atomic.Uint64
	_     [cacheLine - 8]byte
	mask  uint64
	slots []seqSlot[T]
	_     [cacheLine]byte
}

// NewMPSC returns an MPSC ring whose capacity is capacity rounded up to a
// power of two (at least 2).
func NewMPSC[T any](capacity int) *MPSC[T] {
	n := roundPow2(capacity)
	r := &MPSC[T]{mask: uint64(n - 1), slots: make([]seqSlot[T], n)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// Cap returns the ring's capacity.
func (r *MPSC[T]) Cap() int { return len(r.slots) }

// Len returns a snapshot of the number of claimed entries (including ones
// still being written).
func (r *MPSC[T]) Len() int {
	h := r.head.Load()
	t := r.tail.Load()
	if t < h {
		return 0
	}
	return int(t - h)
}

// Push appends v and reports whether there was room. Safe for concurrent producers.
func (r *MPSC[T]) Push(v T) bool {
	t := r.tail.Load()
	for {
		s := &r.slots[t&r.mask]
		seq := s.seq.Load() // acquire: the consumer finished reading the slot
		switch {
		case seq == t:
			if r.tail.CompareAndSwap(t, t+1) {
				s.val = v
				s.seq.Store(t + 1) // release: value written before consumer sees seq
				return true
			}
			t = r.tail.Load()
		case seq < t:
			return false // slot still holds ticket t-cap: ring full
		default:
			t = r.tail.Load() // another producer took t
		}
	}
}

// PushBatch claims up to len(vs) consecutive tickets with one CAS, fills and
// publishes them, and returns how many it pushed (fewer when the ring is
// nearly full). Safe for concurrent producers.
func (r *MPSC[T]) PushBatch(vs []T) int {
	if len(vs) == 0 {
		return 0
	}
	for {
		t := r.tail.Load()
		// Count free slots from t onward: slot t+i is free iff seq == t+i.
		n := uint64(0)
		for n < uint64(len(vs)) && n < uint64(len(r.slots)) {
			if r.slots[(t+n)&r.mask].seq.Load() != t+n { // acquire
				break
			}
			n++
		}
		if n == 0 {
			if r.slots[t&r.mask].seq.Load() < t {
				return 0 // full
			}
			continue // raced with another producer
		}
		if !r.tail.CompareAndSwap(t, t+n) {
			continue
		}
		// The free slots we saw cannot be re-freed past t+i by anyone else
		// now that we own tickets t..t+n-1.
		for i := uint64(0); i < n; i++ {
			s := &r.slots[(t+i)&r.mask]
			s.val = vs[i]
			s.seq.Store(t + i + 1) // release, per slot (the consumer reads per slot)
		}
		return int(n)
	}
}

// Pop removes and returns the oldest published entry, or false if none is
// ready. Consumer only.
func (r *MPSC[T]) Pop() (T, bool) {
	h := r.head.Load()
	s := &r.slots[h&r.mask]
	if s.seq.Load() != h+1 { // acquire: pairs with the producer's publish
		var zero T
		return zero, false
	}
	v := s.val
	var zero T
	s.val = zero
	s.seq.Store(h + uint64(len(r.slots))) // release: slot free for ticket h+cap
	r.head.Store(h + 1)
	return v, true
}

// PopBatch moves up to len(dst) ready entries into dst and returns how many.
// It stops at the first slot whose producer has not finished publishing.
// Consumer only.
func (r *MPSC[T]) PopBatch(dst []T) int {
	h := r.head.Load()
	var zero T
	n := 0
	for n < len(dst) {
		s := &r.slots[(h+uint64(n))&r.mask]
		if s.seq.Load() != h+uint64(n)+1 { // acquire
			break
		}
		dst[n] = s.val
		s.val = zero
		s.seq.Store(h + uint64(n) + uint64(len(r.slots))) // release
		n++
	}
	if n > 0 {
		r.head.Store(h + uint64(n))
	}
	return n
}
