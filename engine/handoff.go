package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

// inboxCapacity is each shard's inbox ring of Ready records: 64Ki
// recipients, about 4 MiB, a few seconds of a shard's injection rate.
const inboxCapacity = 1 << 16

// backlogRetry is how soon a shard retries hand-offs a full inbox refused.
const backlogRetry = time.Millisecond

// handoff is one shard's hand-off of accepted messages to the queues'
// owners. It lives on that shard's loop.
type handoff struct {
	r  iouring.Reactor
	rt *queue.Router
	// received, when set, counts a message and writes its r records.
	received func(m *spool.Message)
	// sup, when set, drops suppressed recipients at injection: they are
	// settled (bounced, category suppressed, no DSN) instead of queued.
	sup    *suppression
	proc   *processors
	settle func([]outbound.Outcome)
	retry  *loopRetry
}

func newHandoff(r iouring.Reactor, rt *queue.Router) *handoff {
	return &handoff{r: r, rt: rt, retry: newLoopRetry(r, func() bool { return rt.Flush() > 0 })}
}

// loopRetry calls flush on a shard's loop every backlogRetry for as long
// as it reports work left: how a shard waits for room in a full ring
// without blocking its loop.
type loopRetry struct {
	r     iouring.Reactor
	flush func() (left bool)
	armed bool
	fire  func()
}

func newLoopRetry(r iouring.Reactor, flush func() bool) *loopRetry {
	t := &loopRetry{r: r, flush: flush}
	t.fire = func() {
		t.armed = false
		if t.flush() {
			t.arm()
		}
	}
	return t
}

// arm schedules a flush unless one is pending.
func (t *loopRetry) arm() {
	if !t.armed {
		t.armed = true
		t.r.AfterFunc(backlogRetry, t.fire)
	}
}

// accepted is the inbound service's hand-off (inbound.Accepted).
func (h *handoff) accepted(id spool.ID, m *spool.Message, body []byte, src *config.SourceSettings) {
	if h.received != nil {
		h.received(m)
	}
	if h.sup == nil && h.proc == nil {
		h.rt.Route(id, m, body)
	} else {
		h.routeFiltered(id, m, body, src.SuppressionLists)
	}
	if h.rt.Pending() > 0 {
		h.retry.arm()
	}
}

// routeFiltered routes the recipients that are neither a processor's
// (the bounce processor reads the message instead) nor suppressed by a
// list of names or the runtime list, and settles the others. Every
// recipient keeps the whole message as its envelope, so the settler
// counts them all.
func (h *handoff) routeFiltered(id spool.ID, m *spool.Message, body []byte, names []string) {
	var out, done []outbound.Outcome // done: the processor's, settled once it has read the message
	processed := 0
	var kept []string // processor recipients not delivered
	for i := range m.Recipients {
		rc := &m.Recipients[i]
		if h.proc != nil {
			if to, deliver := h.proc.take(rc); to != toNone {
				processed = to
				if !deliver {
					done = append(done, processedOutcome(id, m, rc, to))
					kept = append(kept, rc.Addr)
					continue
				}
			}
		}
		if o, ok := h.sup.injectionOutcome(id, m, rc, names); ok {
			out = append(out, o)
			continue
		}
		h.rt.RouteOne(id, m, body, i)
	}
	if processed != toNone {
		// The processor's recipients stay in the spool until it has read
		// the message and stored what it passes on: a crash before that
		// reads the message again at the next start (its records twice)
		// rather than losing a reply meant for a person.
		h.proc.process(m, body, processed, kept, func(settle bool) {
			if settle && len(done) > 0 {
				_ = h.r.Post(func() { h.settle(done) })
			}
		})
	}
	if len(out) > 0 {
		h.settle(out)
	}
}

// forward is the Deliverer's Forward hook: one recipient to another queue.
func (h *handoff) forward(r queue.Ready) {
	h.rt.Send(r)
	if h.rt.Pending() > 0 {
		h.retry.arm()
	}
}

// routingAppender is the pickup directory's spool: it appends, then hands
// the recipients to their owners. It runs on pickup's worker goroutines,
// off the loops, so it may wait for room.
type routingAppender struct {
	sp      *spool.Spool
	inboxes []*queue.Inbox
	// received, when set, counts the message once it is stored.
	received func(m *spool.Message)
	// prep and config, when set, sign and seal the message first.
	prep   *preparer
	config func() *config.Config
	// sup and settle, when set, take the recipients on a suppression list
	// out at injection, as handoff does for SMTP: stored, then settled as
	// bounced (category suppressed, no DSN) instead of queued. settle is
	// the settler's push: false while its ring is full.
	sup    *suppression
	settle func(outbound.Outcome) bool
	// backlog, when set, refuses new messages past spool-max-recipients.
	backlog *backlog
}

// Append stores and routes m, checking the runtime suppression list.
func (a routingAppender) Append(ctx context.Context, m *spool.Message, body []byte) (spool.ID, error) {
	return a.appendFor(ctx, m, body, nil)
}

// appendFor is Append for a source whose suppression-lists are names.
func (a routingAppender) appendFor(ctx context.Context, m *spool.Message, body []byte, names []string) (spool.ID, error) {
	if err := a.backlog.errFull(); err != nil {
		return spool.ID{}, err
	}
	if a.config != nil {
		applyAliases(a.config(), m)
	}
	if a.prep != nil {
		var err error
		if body, err = a.prep.prepareNow(ctx, a.config(), m, body); err != nil {
			return spool.ID{}, err
		}
	}
	id, err := a.sp.Append(ctx, m, body)
	if err != nil {
		return id, err
	}
	if a.received != nil {
		a.received(m)
	}
	rt := queue.NewRouter(a.inboxes, -1)
	var dropped []outbound.Outcome
	for i := range m.Recipients {
		if o, ok := a.sup.injectionOutcome(id, m, &m.Recipients[i], names); ok {
			dropped = append(dropped, o)
			continue
		}
		rt.RouteOne(id, m, body, i)
	}
	waitRouted(ctx, rt)
	for _, o := range dropped {
		for !a.settle(o) && ctx.Err() == nil {
			time.Sleep(backlogRetry) // the settler's ring is full: it drains in milliseconds
		}
	}
	return id, nil
}

// routeWaiting hands a stored message's recipients to their owners from a
// goroutine off the loops (pickup, the scan at start, DSNs), waiting while
// an owner's inbox is full; false when ctx ended first (the recipients are
// in the spool and are found at the next start).
func routeWaiting(ctx context.Context, rt *queue.Router, id spool.ID, m *spool.Message, body []byte) bool {
	rt.Route(id, m, body)
	return waitRouted(ctx, rt)
}

// waitRouted waits until rt has handed over everything routed to it.
func waitRouted(ctx context.Context, rt *queue.Router) bool {
	for rt.Pending() > 0 {
		if ctx.Err() != nil {
			return false
		}
		time.Sleep(backlogRetry)
		rt.Flush()
	}
	return true
}

// requeue puts every recipient in the spool back into its queue at start
// (DESIGN.md: the spool is the truth; indexes are rebuilt from it). The
// recipients arrive cold, with their retry state; bodies are read when due.
// A message whose records do not decode is left where it is (or deleted,
// with spool-delete-corrupted), named in the log; the others are queued.
func requeue(ctx context.Context, sp *spool.Spool, inboxes []*queue.Inbox, found *atomic.Int64, corrupt func(spool.ID, error), logf func(string, ...any)) {
	rt := queue.NewRouter(inboxes, -1)
	msgs, rcpts := 0, 0
	start := time.Now()
	type damaged struct {
		id  spool.ID
		err error
	}
	var bad []damaged
	err := sp.ScanSkipping(func(m *spool.Message) error {
		if sp.MadeHere(m.ID) {
			return nil // accepted since the start, while the scan began: routed by its taker
		}
		if !routeWaiting(ctx, rt, m.ID, m, nil) {
			return ctx.Err() // stopping: the rest is found at the next start
		}
		msgs++
		found.Add(1)
		rcpts += len(m.Recipients)
		return nil
	}, func(id spool.ID, err error) {
		bad = append(bad, damaged{id, err})
	})
	for _, b := range bad { // after the scan: corrupt may delete, not while its iterator is open
		corrupt(b.id, b.err)
	}
	if err != nil && ctx.Err() == nil {
		logf("volleyd: reading the spool at start: %v (after %d messages)", err, msgs)
		return
	}
	if msgs > 0 {
		logf("volleyd: %d messages, %d recipients queued from the spool in %v", msgs, rcpts,
			time.Since(start).Round(time.Millisecond))
	}
}

// corruptHandler deals with a message whose records do not decode, found
// at start or when its body is read for delivery (err names it): it is logged
// and left in the spool, not queued, or deleted with spool-delete-corrupted
// (PowerMTA's choice between ignoring and deleting such files).
func corruptHandler(sp *spool.Spool, cfg func() *config.Config, logf func(string, ...any)) func(spool.ID, error) {
	return func(id spool.ID, err error) {
		if !cfg().Global.SpoolDeleteCorrupted {
			logf("volleyd: %v; left in the spool, not delivered (spool-delete-corrupted yes deletes such messages)", err)
			return
		}
		if derr := sp.Discard(id); derr != nil {
			logf("volleyd: %v; deleting it: %v", err, derr)
			return
		}
		logf("volleyd: %v; deleted (spool-delete-corrupted)", err)
	}
}

// loadEntries is the Deliverers' Load hook: it reads cold recipients'
// envelopes and bodies from the spool on a goroutine, once per message;
// wg counts those goroutines so the spool outlives them. A message whose
// records do not decode goes to corrupt and its recipients leave the
// queue, so that it cannot hold up the messages loaded with it.
func loadEntries(sp *spool.Spool, wg *sync.WaitGroup, corrupt func(spool.ID, error)) func([]queue.Entry, func([]queue.Entry, error)) {
	return func(entries []queue.Entry, done func([]queue.Entry, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type loaded struct {
				m    *spool.Message
				body []byte
				err  error
			}
			byID := map[spool.ID]loaded{}
			out := make([]queue.Entry, 0, len(entries))
			for _, e := range entries {
				l, ok := byID[e.ID]
				if !ok {
					l.m, l.err = sp.Get(e.ID)
					if l.err == nil {
						if l.body, l.err = sp.Body(e.ID); errors.Is(l.err, spool.ErrCorrupt) {
							l.err = fmt.Errorf("spool: message %s: body: %w", e.ID, l.err)
						}
					}
					byID[e.ID] = l
				}
				switch {
				case errors.Is(l.err, spool.ErrNotFound):
					continue // finished meanwhile
				case errors.Is(l.err, spool.ErrCorrupt):
					if !ok {
						corrupt(e.ID, l.err)
					}
					continue
				case l.err != nil:
					done(nil, l.err)
					return
				}
				e.Msg, e.Body = l.m, l.body
				out = append(out, e)
			}
			done(out, nil)
		}()
	}
}
