package engine

import (
	"context"
	"errors"
	"sync"
	"time"

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
	// received, when set, writes the r accounting records of a message.
	received func(m *spool.Message)
	retrying bool
	flushFn  func()
}

func newHandoff(r iouring.Reactor, rt *queue.Router) *handoff {
	h := &handoff{r: r, rt: rt}
	h.flushFn = h.flush
	return h
}

// accepted is the inbound service's hand-off (inbound.Accepted).
func (h *handoff) accepted(id spool.ID, m *spool.Message, body []byte) {
	if h.received != nil {
		h.received(m)
	}
	h.rt.Route(id, m, body)
	h.retry()
}

// forward is the Deliverer's Forward hook: one recipient to another queue.
func (h *handoff) forward(r queue.Ready) {
	h.rt.Send(r)
	h.retry()
}

// retry schedules one flush while records wait for room in an inbox.
func (h *handoff) retry() {
	if h.rt.Pending() > 0 && !h.retrying {
		h.retrying = true
		h.r.AfterFunc(backlogRetry, h.flushFn)
	}
}

func (h *handoff) flush() {
	h.retrying = false
	h.rt.Flush()
	h.retry()
}

// routingAppender is the pickup directory's spool: it appends, then hands
// the recipients to their owners. It runs on pickup's worker goroutines,
// off the loops, so it may wait for room.
type routingAppender struct {
	sp      *spool.Spool
	inboxes []*queue.Inbox
}

func (a routingAppender) Append(ctx context.Context, m *spool.Message, body []byte) (spool.ID, error) {
	id, err := a.sp.Append(ctx, m, body)
	if err != nil {
		return id, err
	}
	rt := queue.NewRouter(a.inboxes, -1)
	rt.Route(id, m, body)
	for rt.Pending() > 0 && ctx.Err() == nil {
		time.Sleep(backlogRetry)
		rt.Flush()
	}
	return id, nil
}

// requeue puts every recipient in the spool back into its queue at start
// (DESIGN.md: the spool is the truth; indexes are rebuilt from it). The
// recipients arrive cold, with their retry state; bodies are read when due.
func requeue(ctx context.Context, sp *spool.Spool, inboxes []*queue.Inbox, logf func(string, ...any)) {
	rt := queue.NewRouter(inboxes, -1)
	msgs, rcpts := 0, 0
	err := sp.Scan(func(m *spool.Message) error {
		rt.Route(m.ID, m, nil)
		for rt.Pending() > 0 {
			if ctx.Err() != nil {
				return ctx.Err() // stopping: the rest is found at the next start
			}
			time.Sleep(backlogRetry)
			rt.Flush()
		}
		msgs++
		rcpts += len(m.Recipients)
		return nil
	})
	if err != nil && ctx.Err() == nil {
		logf("volleyd: reading the spool at start: %v (after %d messages)", err, msgs)
		return
	}
	if msgs > 0 {
		logf("volleyd: %d messages, %d recipients queued from the spool", msgs, rcpts)
	}
}

// loadEntries is the Deliverers' Load hook: it reads cold recipients'
// envelopes and bodies from the spool on a goroutine, once per message;
// wg counts those goroutines so the spool outlives them.
func loadEntries(sp *spool.Spool, wg *sync.WaitGroup) func([]queue.Entry, func([]queue.Entry, error)) {
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
						l.body, l.err = sp.Body(e.ID)
					}
					byID[e.ID] = l
				}
				switch {
				case errors.Is(l.err, spool.ErrNotFound):
					continue // finished meanwhile
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
