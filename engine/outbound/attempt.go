package outbound

import "github.com/volleymta/volley/engine/queue"

// What accounting and the metrics learn of the state a delivery attempt
// was made in, beside its reply: the queue's mode (normal or backoff) and
// the share of its rate a warm-up held the source address to. Both are
// stamped on the outcomes where the Deliverer settles them, so that the
// settler's records need no look back into the shard's queues (which it
// may not read). Outcome carries them for d, b and t records, QueueFailure
// for tq records.

// QueueFailure is a connection that failed before it could deliver
// anything, as DelivererOptions.QueueFailed hears of it.
type QueueFailure struct {
	Key queue.Key
	T   Target
	Err error
	// Mode is the queue's mode when it failed; Warmup the share of its
	// rate a warm-up held the source address to at its last transaction
	// on the queue (0: none). See Outcome.
	Mode   queue.Mode
	Warmup float64
}

// stamp marks outcomes with the queue's mode now and the warm-up share
// of the attempt's source (0: no attempt, or none held it).
func (st *queueState) stamp(out []Outcome, warmup float64) {
	mode := st.q.Mode()
	for i := range out {
		out[i].Mode, out[i].Warmup = mode, warmup
	}
}
