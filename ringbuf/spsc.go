package ringbuf

import "sync/atomic"

// SPSC is a bounded single-producer single-consumer ring.
//
// Design: head (next slot to pop, written only by the consumer) and tail (next
// slot to push, written only by the producer) are free-running uint64
// counters on separate cache lines; the slot index is counter & mask. Each
// side keeps a plain cached copy of the other side's counter and reloads the
// shared atomic only when the cache says the ring is full (producer) or empty
// (consumer), so in steady state the two cores do not bounce each other's line.
// Ordering: the producer writes slots, then Stores tail (release); the consumer
// Loads tail (acquire) and only then reads slots below it. Symmetrically the
// consumer reads slots, then Stores head; the producer Loads head before
// overwriting slots below head+cap. A batch is published with one Store.
// Polling: a Pop on an empty ring must reload tail (the Waker's re-check relies
// on it), and a Push on a full ring must reload head. A caller that retries in
// a tight loop therefore pulls the other side's counter line to its core on
// every call, and the other side's next Store (XCHG on amd64, which waits for
// the line) pays a cross-core transfer per item; the ring then stays empty (or
// full) because the side doing the work is the one slowed down. Callers back
// off when a call fails: the shard sleeps on its Waker.
// Rejected alternative: a mutex-guarded slice, or a buffered channel, which
// takes a lock per operation.
type SPSC[T any] struct {
	_ [cacheLine]byte
	// tail is written by the producer only.
	tail atomic.Uint64
	// cachedHead is the producer's private copy of head.
	cachedHead uint64
	_          [cacheLine - 16]byte
	// head is written by the consumer only.
	head atomic.Uint64
	// cachedTail is the consumer's private copy of tail.
	cachedTail uint64
	_          [cacheLine - 16]byte
	mask       uint64
	buf        []T
	_          [cacheLine]byte
}

// NewSPSC returns an SPSC ring whose capacity is capacity rounded up to a
// power of two (at least 2).
func NewSPSC[T any](capacity int) *SPSC[T] {
	n := roundPow2(capacity)
	return &SPSC[T]{mask: uint64(n - 1), buf: make([]T, n)}
}

// Cap returns the ring's capacity.
func (r *SPSC[T]) Cap() int { return len(r.buf) }

// Len returns a snapshot of the number of queued entries.
func (r *SPSC[T]) Len() int {
	h := r.head.Load()
	t := r.tail.Load()
	if t < h {
		return 0
	}
	return int(t - h)
}

// Push appends v and reports whether there was room. Producer only.
func (r *SPSC[T]) Push(v T) bool {
	t := r.tail.Load() // own counter; only we write it
	if t-r.cachedHead >= uint64(len(r.buf)) {
		// Acquire: slots below the new head have been read by the consumer.
		r.cachedHead = r.head.Load()
		if t-r.cachedHead >= uint64(len(r.buf)) {
			return false
		}
	}
	r.buf[t&r.mask] = v
	// Release: the slot write above happens before the consumer sees tail.
	r.tail.Store(t + 1)
	return true
}

// PushBatch appends as many of vs as fit, publishes them with one store and
// returns how many it pushed. Producer only.
func (r *SPSC[T]) PushBatch(vs []T) int {
	t := r.tail.Load()
	free := uint64(len(r.buf)) - (t - r.cachedHead)
	if free < uint64(len(vs)) {
		r.cachedHead = r.head.Load() // acquire, as in Push
		free = uint64(len(r.buf)) - (t - r.cachedHead)
	}
	n := uint64(len(vs))
	if n > free {
		n = free
	}
	for i := uint64(0); i < n; i++ {
		r.buf[(t+i)&r.mask] = vs[i]
	}
	if n > 0 {
		r.tail.Store(t + n) // release: one store publishes the batch
	}
	return int(n)
}

// Pop removes and returns the oldest entry, or false if the ring is empty.
// Consumer only.
func (r *SPSC[T]) Pop() (T, bool) {
	h := r.head.Load()
	if h == r.cachedTail {
		// Acquire: slots below the new tail are fully written.
		r.cachedTail = r.tail.Load()
		if h == r.cachedTail {
			var zero T
			return zero, false
		}
	}
	i := h & r.mask
	v := r.buf[i]
	var zero T
	r.buf[i] = zero // drop references so the GC can free them
	// Release: our read of the slot happens before the producer reuses it.
	r.head.Store(h + 1)
	return v, true
}

// PopBatch moves up to len(dst) entries into dst, frees their slots with one
// store and returns how many it moved. Consumer only.
func (r *SPSC[T]) PopBatch(dst []T) int {
	h := r.head.Load()
	avail := r.cachedTail - h
	if avail < uint64(len(dst)) {
		r.cachedTail = r.tail.Load() // acquire, as in Pop
		avail = r.cachedTail - h
	}
	n := uint64(len(dst))
	if n > avail {
		n = avail
	}
	var zero T
	for i := uint64(0); i < n; i++ {
		j := (h + i) & r.mask
		dst[i] = r.buf[j]
		r.buf[j] = zero
	}
	if n > 0 {
		r.head.Store(h + n) // release: one store frees the batch
	}
	return int(n)
}
