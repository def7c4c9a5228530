package ringbuf

import "sync/atomic"

// SPSC is a bounded single-producer single-consumer ring.
//
// Design: the producer publishes each slot through its sequence number; the
// consumer frees slots through head.
//   - Push at private ticket t: if t has reached the cached limit (the last
//     head it loaded + cap), reload head (acquire: the consumer has finished
//     reading every slot below it); if still full, fail. Write the value, then
//     Store seq = t+1 (release).
//   - Pop at private position h: the slot is ready when seq == h+1 (acquire;
//     a value from the previous lap carries h+1-cap). Read it, then advance
//     h. Every k Pops, and whenever a Pop finds the ring empty, Store
//     head = h (release: the reads happen before the producer may overwrite
//     those slots). A consumer always pops until empty before it sleeps, so
//     a producer waiting for room always sees it released.
//
// Why: the producer performs one atomic store per item and the consumer one
// per k items, and in steady state
// each touches only lines the other does not poll: the consumer polls the
// slot it is about to read (written once by the producer), the producer reads
// head only once per lap. An earlier design with shared head/tail counters
// made the consumer load tail on every empty Pop, so the producer's next
// Store of tail (XCHG on amd64, which waits for the line) paid a cross-core
// transfer per item: it measured 0.57x a channel. Polling still costs: callers
// back off when a call fails (the shard sleeps on its Waker).
// Rejected alternative: a mutex-guarded slice, or a buffered channel, which
// takes a lock per operation.
type SPSC[T any] struct {
	_ [cacheLine]byte
	// tail is the producer's next ticket and limit its cached head + cap;
	// only the producer touches them.
	tail, limit uint64
	_           [cacheLine - 16]byte
	// head is the consumer's published position; next its private one.
	head atomic.Uint64
	next uint64
	_    [cacheLine - 16]byte
	// pubMask+1 is how many Pops share one store of head.
	pubMask uint64
	mask    uint64
	slots   []seqSlot[T]
	_       [cacheLine]byte
}

// NewSPSC returns an SPSC ring whose capacity is capacity rounded up to a
// power of two (at least 2).
func NewSPSC[T any](capacity int) *SPSC[T] {
	n := roundPow2(capacity)
	// Publishing head every k Pops (k = cap/8, at most 16) costs the
	// producer at most k-1 slots of room and saves k-1 atomic stores.
	k := min(n/8, 16)
	if k < 1 {
		k = 1
	}
	return &SPSC[T]{mask: uint64(n - 1), limit: uint64(n), pubMask: uint64(k - 1), slots: make([]seqSlot[T], n)}
}

// Cap returns the ring's capacity.
func (r *SPSC[T]) Cap() int { return len(r.slots) }

// Len returns a snapshot of the number of entries from the published head:
// while the consumer is active it may include up to k-1 entries already
// popped; it is exact once a Pop has found the ring empty. It costs O(Len);
// meant for tests and metrics.
func (r *SPSC[T]) Len() int {
	h := r.head.Load()
	n := 0
	for n < len(r.slots) && r.slots[(h+uint64(n))&r.mask].seq.Load() == h+uint64(n)+1 {
		n++
	}
	return n
}

// room reports whether ticket t may be written, reloading head when the
// cached limit says the ring is full.
func (r *SPSC[T]) room(t uint64) bool {
	if t < r.limit {
		return true
	}
	r.limit = r.head.Load() + uint64(len(r.slots)) // acquire: slots below head are read
	return t < r.limit
}

// Push appends v and reports whether there was room. Producer only.
func (r *SPSC[T]) Push(v T) bool {
	t := r.tail
	if !r.room(t) {
		return false
	}
	s := &r.slots[t&r.mask]
	s.val = v
	s.seq.Store(t + 1) // release: the value is written before the consumer sees seq
	r.tail = t + 1
	return true
}

// PushBatch appends as many of vs as fit and returns how many it pushed.
// Producer only. Each slot is published by its own seq store, so the
// consumer can start on the first before the last is written.
func (r *SPSC[T]) PushBatch(vs []T) int {
	t := r.tail
	n := 0
	for n < len(vs) && r.room(t+uint64(n)) {
		s := &r.slots[(t+uint64(n))&r.mask]
		s.val = vs[n]
		s.seq.Store(t + uint64(n) + 1) // release, as in Push
		n++
	}
	r.tail = t + uint64(n)
	return n
}

// Pop removes and returns the oldest entry, or false if the ring is empty.
// Consumer only.
func (r *SPSC[T]) Pop() (T, bool) {
	h := r.next
	s := &r.slots[h&r.mask]
	var zero T
	if s.seq.Load() != h+1 { // acquire: pairs with the producer's publish
		if r.head.Load() != h {
			r.head.Store(h)
		}
		return zero, false
	}
	v := s.val
	s.val = zero // drop references so the GC can free them
	r.next = h + 1
	if (h+1)&r.pubMask == 0 {
		r.head.Store(h + 1) // release: our read happens before the producer reuses the slot
	}
	return v, true
}

// PopBatch moves up to len(dst) entries into dst, frees their slots with one
// store and returns how many it moved. Consumer only.
func (r *SPSC[T]) PopBatch(dst []T) int {
	h := r.next
	var zero T
	n := 0
	for n < len(dst) {
		s := &r.slots[(h+uint64(n))&r.mask]
		if s.seq.Load() != h+uint64(n)+1 { // acquire
			break
		}
		dst[n] = s.val
		s.val = zero
		n++
	}
	r.next = h + uint64(n)
	if r.head.Load() != r.next {
		r.head.Store(r.next) // release: one store frees the batch
	}
	return n
}
