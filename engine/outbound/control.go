package outbound

import (
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/smtpwire"
)

// The operator's controls (the management API's pause, resume, mode,
// schedule and delete) and what the API reads of a queue. Every method
// runs on the Deliverer's loop, posted there by the caller.

// QueueInfo is what the Deliverer knows of a queue beyond its recipients.
type QueueInfo struct {
	Connections int
	LastError   string
}

// Info returns q's open connections and last error.
func (d *Deliverer) Info(q *queue.Queue) QueueInfo {
	st := d.queues[q]
	if st == nil {
		return QueueInfo{}
	}
	return QueueInfo{Connections: st.conns, LastError: st.lastError}
}

// Connections returns the shard's open outbound connections.
func (d *Deliverer) Connections() int {
	n := 0
	for _, st := range d.queues {
		n += st.conns
	}
	return n
}

// Pause holds q's mail: no new transaction starts; idle sessions wait.
func (d *Deliverer) Pause(q *queue.Queue) { q.Paused = true }

// Resume lets q's mail go again.
func (d *Deliverer) Resume(q *queue.Queue) {
	q.Paused = false
	d.Kick(q)
}

// SetMode puts q in backoff mode (the domain's backoff-* limits and
// backoff-retry-after) or back to normal.
func (d *Deliverer) SetMode(q *queue.Queue, backoff bool) {
	q.Backoff = backoff
	d.Kick(q)
}

// Schedule makes q's waiting recipients due now and kicks it; it returns
// how many were waiting.
func (d *Deliverer) Schedule(q *queue.Queue) int {
	n := q.Schedule()
	d.Kick(q)
	return n
}

// DeletedReply is the diagnostic of recipients an operator deleted.
const DeletedReply = "550 5.0.0 Message deleted by the operator"

// Delete bounces q's queued recipients that match (not those in flight),
// as category "deleted", with a DSN only when dsn says so, and returns how
// many. Cold recipients without their envelope are matched on what the
// queue holds (match sees Msg nil).
func (d *Deliverer) Delete(q *queue.Queue, match func(*queue.Entry) bool, dsn bool) int {
	gone := q.Remove(nil, match)
	if len(gone) == 0 {
		return 0
	}
	out := make([]Outcome, len(gone))
	for i, e := range gone {
		out[i] = Outcome{Entry: e, Kind: Bounced, Reply: DeletedReply, Stage: smtpwire.StageGreeting,
			Category: "deleted", NoDSN: !dsn, Mode: q.Mode()}
	}
	d.o.Settle(out)
	return len(gone)
}

// Reconfigure puts a reloaded config in force for the queues' next
// decisions: limits, retries and routes are read again; connections open
// now finish with the settings they started with.
func (d *Deliverer) Reconfigure(cfg *config.Config) {
	d.o.Config = cfg
	for q, st := range d.queues {
		st.ds = cfg.Effective(q.Key.Domain, q.Key.VMTA)
		st.route.Expires = time.Time{} // smtp-hosts may have changed: look again
	}
}

// ResumeJob makes the recipients of job that wait in q due now (they were
// held while the job was paused) and kicks q; it returns how many.
func (d *Deliverer) ResumeJob(q *queue.Queue, job string) int {
	back := q.Remove(nil, func(e *queue.Entry) bool { return e.Msg != nil && e.Msg.Job == job && !e.Next.IsZero() })
	for _, e := range back {
		e.Next = time.Time{}
		q.Put(e)
	}
	if len(back) > 0 {
		d.Kick(q)
	}
	return len(back)
}
