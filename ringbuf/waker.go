package ringbuf

import "sync/atomic"

// Signal delivers one wake-up to a sleeping consumer. The reactor substitutes
// an eventfd write or an io_uring MSG_RING; ChanSignal is the portable one.
// Notify must not block and may be called from any goroutine.
type Signal interface {
	Notify()
}

// ChanSignal is a Signal backed by a channel of capacity 1: repeated Notify
// calls before the consumer receives collapse into one.
type ChanSignal struct {
	c chan struct{}
}

// NewChanSignal returns a ready ChanSignal.
func NewChanSignal() *ChanSignal { return &ChanSignal{c: make(chan struct{}, 1)} }

// Notify posts a wake-up unless one is already pending. It never blocks.
func (s *ChanSignal) Notify() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// C returns the channel the consumer receives wake-ups from.
func (s *ChanSignal) C() <-chan struct{} { return s.c }

// Waker coalesces wake-ups for one consumer (STYLE.md §4).
//
// Protocol. Producer: push to the ring, then Wake, which CASes wakePending
// 0 -> 1 and calls Signal.Notify only on that transition. Consumer: Prepare
// (Store wakePending = 0), re-check every ring, and only if all are empty
// block on the signal.
//
// Why no wake-up is lost: all atomics are sequentially consistent. Suppose the
// consumer's re-check misses the producer's item. Then the re-check's ring
// Load precedes the producer's ring publish in the total order, so the
// consumer's Prepare store (earlier still) precedes the producer's CAS, which
// therefore sees 0, succeeds, and Notifies; the consumer's block then returns.
// If instead the CAS fails (flag already 1), someone else's successful CAS
// happened after the last Prepare and its Notify is pending or delivered, so
// the consumer will wake and re-check, seeing our item too. A stale signal
// left in the channel only costs one spurious, harmless loop iteration.
type Waker struct {
	// wakePending is 1 when a Notify has been sent since the consumer's last
	// Prepare. Producers CAS it 0->1; the consumer stores 0.
	wakePending atomic.Uint32
	_           [cacheLine - 4]byte
	sig         Signal
}

// NewWaker returns a Waker that signals through sig.
func NewWaker(sig Signal) *Waker { return &Waker{sig: sig} }

// Wake is called by a producer after it has pushed. Only the call that moves
// wakePending from 0 to 1 notifies; the rest collapse into it.
func (w *Waker) Wake() {
	// Load first to avoid a contended CAS when a wake-up is already pending.
	if w.wakePending.Load() == 0 && w.wakePending.CompareAndSwap(0, 1) {
		w.sig.Notify()
	}
}

// Prepare is called by the consumer before its final check of the rings. After
// Prepare, any push the check misses will produce a Notify.
func (w *Waker) Prepare() {
	// Seq-cst store: ordered before the consumer's subsequent ring loads.
	w.wakePending.Store(0)
}

// Pending reports whether a wake-up has been requested since the last Prepare.
func (w *Waker) Pending() bool { return w.wakePending.Load() != 0 }

// Wait blocks until a wake-up is posted and consumes it. Consumer only.
func (s *ChanSignal) Wait() { <-s.c }
