package queue

import (
	"time"

	"github.com/volleymta/volley/ringbuf"
	"github.com/volleymta/volley/spool"
)

// Ready is one recipient handed to its queue's owner: the message is
// durable in the spool under ID, and the recipient is Recipients[Index].
type Ready struct {
	ID    spool.ID
	Index uint16
	Key   Key
	// Addr is the recipient's address, so the owner need not read the spool
	// to know whom it holds.
	Addr string
	// Msg and Body are the message, shared read-only (nil: read them from
	// the spool); Attempts and Next carry the recipient's retry state when
	// it comes from the spool at start.
	Msg      *spool.Message
	Body     []byte
	Attempts uint32
	Next     time.Time
}

// drainBudget bounds how many records one drain moves before yielding the
// loop to its other work (STYLE.md §4, fairness); the rest follow at once.
const drainBudget = 4096

// Inbox is a shard's incoming ring of Ready records. Producers Push from any
// goroutine; the owner's loop drains it into its Table.
type Inbox struct {
	ring  *ringbuf.MPSC[Ready]
	waker *ringbuf.Waker
	table *Table
	batch []Ready
	// drainFn is the bound drain method, made once so that waking the
	// owner allocates nothing.
	drainFn func()
}

// postSignal wakes the owner by posting its drain onto its loop.
type postSignal struct {
	post func(func()) error
	fn   *func()
}

// Notify implements ringbuf.Signal. A stopped loop refuses the Post; its
// records stay in the spool and are found again at the next start.
func (s postSignal) Notify() { _ = s.post(*s.fn) }

// NewInbox returns an inbox of the given capacity (rounded up to a power of
// two) that fills table. post runs a function on the owner's loop (the
// shard's Post).
func NewInbox(capacity int, post func(func()) error, table *Table) *Inbox {
	in := &Inbox{ring: ringbuf.NewMPSC[Ready](capacity), table: table, batch: make([]Ready, 256)}
	in.drainFn = in.drain
	in.waker = ringbuf.NewWaker(postSignal{post: post, fn: &in.drainFn})
	return in
}

// Push hands r to the owner and reports whether the ring had room. Safe from
// any goroutine; the owner is woken once however many push.
func (in *Inbox) Push(r Ready) bool {
	if !in.ring.Push(r) {
		return false
	}
	in.waker.Wake()
	return true
}

// Table is the owner's table; use it only on the owner's loop.
func (in *Inbox) Table() *Table { return in.table }

// drain runs on the owner's loop: it moves up to drainBudget records into
// the table and, when more wait, wakes itself again rather than looping on.
func (in *Inbox) drain() {
	in.waker.Prepare()
	moved := 0
	for moved < drainBudget {
		n := in.ring.PopBatch(in.batch)
		if n == 0 {
			return
		}
		for i := range in.batch[:n] {
			in.table.Add(in.batch[i])
			in.batch[i] = Ready{} // drop the strings' references
		}
		moved += n
	}
	if in.ring.Len() > 0 {
		in.waker.Wake()
	}
}
