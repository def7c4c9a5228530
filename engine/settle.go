package engine

import (
	"context"
	"sync"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/ringbuf"
	"github.com/volleymta/volley/spool"
)

// settleCapacity is the outcome ring between the shards and the settler.
const settleCapacity = 1 << 16

// settler records delivery outcomes off the shards' loops: each burst of
// outcomes becomes one spool batch (finished recipients, retry state,
// messages deleted when their last recipient is final) with one fsync,
// and, through its hooks, accounting records and DSNs. It is the only
// writer of recipient state after injection, so its count of each
// message's open recipients decides when the message is deleted.
type settler struct {
	sp    *spool.Spool
	ring  *ringbuf.MPSC[outbound.Outcome]
	sig   *ringbuf.ChanSignal
	waker *ringbuf.Waker
	// open counts, per message, the recipients not yet final in this run;
	// last is the highest recipient index seen, for Delete.
	open map[spool.ID]*msgCount
	// record, when set, receives every outcome after the spool has it
	// (accounting, DSNs, metrics).
	record func(o *outbound.Outcome, m *spool.Message)
	// afterBatch, when set, runs after each burst's records (the hard
	// bounces record gathered in hard go to the suppression list at once).
	afterBatch func()
	hard       []string
	logf       func(string, ...any)
	// host and dsnFrom sign the DSNs; inboxes route them (set before any
	// outcome arrives); dsns counts them.
	host, dsnFrom string
	// delays are the delay notices sent, by recipient (noteDelay); started
	// is when this run began.
	delays  map[delayKey]int64
	started time.Time
	// config, when set, is the config in force, for the DSNs' settings.
	config  func() *config.Config
	inboxes []*queue.Inbox
	dsns    int
	// delivered measures queued-to-delivered time per recipient.
	delivered latencyHist
	stop      chan struct{}
	// ctx ends at close, so that routing a DSN never waits for shards
	// that have stopped (the DSN is in the spool: found at the next start).
	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup
	batch  []outbound.Outcome
}

type msgCount struct {
	open, span int
}

func newSettler(sp *spool.Spool, logf func(string, ...any)) *settler {
	sig := ringbuf.NewChanSignal()
	st := &settler{sp: sp, ring: ringbuf.NewMPSC[outbound.Outcome](settleCapacity), sig: sig,
		waker: ringbuf.NewWaker(sig), open: make(map[spool.ID]*msgCount), logf: logf,
		stop: make(chan struct{}), batch: make([]outbound.Outcome, 1024), started: time.Now()}
	st.ctx, st.cancel = context.WithCancel(context.Background())
	st.done.Add(1)
	go st.run()
	return st
}

// push hands one outcome over; false when the ring is full (retry later).
// Safe from any goroutine.
func (st *settler) push(o outbound.Outcome) bool {
	if !st.ring.Push(o) {
		return false
	}
	st.waker.Wake()
	return true
}

// close settles what is queued, then stops.
func (st *settler) close() {
	st.cancel()
	close(st.stop)
	st.done.Wait()
}

func (st *settler) run() {
	defer st.done.Done()
	for {
		st.waker.Prepare()
		if st.drain() {
			continue
		}
		select {
		case <-st.sig.C():
		case <-st.stop:
			for st.drain() {
			}
			return
		}
	}
}

// drain settles one burst; it reports whether there was any.
func (st *settler) drain() bool {
	n := st.ring.PopBatch(st.batch)
	if n == 0 {
		return false
	}
	u := st.sp.NewUpdates()
	msgs := make([]*spool.Message, n)
	var dsns dsnBatch
	if st.config != nil {
		dsns.cfg = st.config()
	}
	for i := range st.batch[:n] {
		msgs[i] = st.apply(u, &st.batch[i])
		dsns.add(&st.batch[i], msgs[i])
		st.noteDelay(&dsns, &st.batch[i], msgs[i])
	}
	st.sendDSNs(&dsns)
	if err := u.Commit(); err != nil {
		// The outcomes stay unrecorded in the spool: after a restart those
		// recipients are tried again (at-least-once).
		st.logf("volleyd: recording %d delivery outcomes: %v", n, err)
	}
	for i := range st.batch[:n] {
		if st.record != nil {
			st.record(&st.batch[i], msgs[i])
		}
		st.batch[i] = outbound.Outcome{}
	}
	if st.afterBatch != nil {
		st.afterBatch()
	}
	return true
}

// apply adds one outcome to the batch and returns the message's envelope.
func (st *settler) apply(u *spool.Updates, o *outbound.Outcome) *spool.Message {
	e := &o.Entry
	m := e.Msg
	if m == nil {
		got, err := st.sp.Get(e.ID)
		if err != nil {
			st.logf("volleyd: settling %s: %v", e.ID, err)
			return nil
		}
		m = got
	}
	if o.Kind == outbound.Deferred {
		r := recipientOf(m, e.Index)
		r.Attempts, r.NextAttempt, r.LastReply = e.Attempts, e.Next, o.Reply
		u.Update(e.ID, &r)
		return m
	}
	if o.Kind == outbound.Delivered {
		st.delivered.observe(time.Since(m.Received))
	}
	c := st.open[e.ID]
	if c == nil {
		c = &msgCount{open: len(m.Recipients)}
		for _, r := range m.Recipients {
			c.span = max(c.span, int(r.Index)+1)
		}
		st.open[e.ID] = c
	}
	c.open--
	if c.open <= 0 {
		u.Delete(e.ID, c.span)
		delete(st.open, e.ID)
	} else {
		u.Finish(e.ID, e.Index)
	}
	return m
}

// recipientOf returns a copy of recipient index of m.
func recipientOf(m *spool.Message, index uint16) spool.Recipient {
	if r := m.Recipient(index); r != nil {
		return *r
	}
	return spool.Recipient{Index: index}
}

// outcomePusher is one shard's side of the settler: outcomes the ring has
// no room for wait here, in order, and are pushed again shortly.
type outcomePusher struct {
	st      *settler
	backlog []outbound.Outcome
	retry   *loopRetry
}

func newOutcomePusher(r iouring.Reactor, st *settler) *outcomePusher {
	p := &outcomePusher{st: st}
	p.retry = newLoopRetry(r, p.flush)
	return p
}

// settle is the Deliverer's Settle hook (on the loop).
func (p *outcomePusher) settle(out []outbound.Outcome) {
	for _, o := range out {
		if len(p.backlog) > 0 || !p.st.push(o) {
			p.backlog = append(p.backlog, o)
		}
	}
	if len(p.backlog) > 0 {
		p.retry.arm()
	}
}

// flush pushes what the ring has room for and reports whether any is left.
func (p *outcomePusher) flush() bool {
	sent := 0
	for sent < len(p.backlog) && p.st.push(p.backlog[sent]) {
		sent++
	}
	rest := copy(p.backlog, p.backlog[sent:])
	clear(p.backlog[rest:])
	p.backlog = p.backlog[:rest]
	return rest > 0
}
