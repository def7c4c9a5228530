package engine

// spool-max-recipients (PowerMTA §2.2): past that many recipients queued
// over all shards, new mail is refused with a transient error until
// deliveries bring the count down, so that a receiver that stops taking
// mail cannot make the spool grow without end.

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/shard"
	"github.com/volleymta/volley/spool"
)

// backlog holds the limit and the count of queued recipients, summed
// from the shards' own counts, which each takes on its loop once a second
// (backlogEvery): a check is two atomic loads, and lags the truth by a
// second or two.
type backlog struct {
	limit  atomic.Int64 // 0: none (auto)
	queued atomic.Int64
}

// backlogEvery is how often the shards count their queues.
const backlogEvery = time.Second

func newBacklog(limit int) *backlog {
	b := &backlog{}
	b.limit.Store(int64(limit))
	return b
}

// full says why new mail is refused, if it is.
func (b *backlog) full() (string, bool) {
	if b == nil {
		return "", false
	}
	lim := b.limit.Load()
	if lim <= 0 {
		return "", false
	}
	n := b.queued.Load()
	if n <= lim {
		return "", false
	}
	return strconv.FormatInt(n, 10) + " recipients queued, spool-max-recipients is " + strconv.FormatInt(lim, 10), true
}

// errFull is full's refusal as the spool's own (ErrFull): pickup waits,
// the API answers that storage is short.
func (b *backlog) errFull() error {
	if why, bad := b.full(); bad {
		return &spool.Error{Kind: spool.ErrFull, Err: errors.New(why)}
	}
	return nil
}

// sample has each shard count its queues every backlogEvery while a limit
// is set, until ctx ends.
func (b *backlog) sample(ctx context.Context, g *shard.Group, inboxes []*queue.Inbox) {
	counts := make([]atomic.Int64, len(inboxes)) // the last round's, by shard
	t := time.NewTicker(backlogEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if b.limit.Load() <= 0 {
				continue
			}
			var n int64
			for i := range counts {
				n += counts[i].Load()
			}
			b.queued.Store(n)
			for i, in := range inboxes {
				c := &counts[i]
				_ = g.Post(i, func() { c.Store(int64(in.Table().Len())) })
			}
		case <-ctx.Done():
			return
		}
	}
}

// spoolHealth is the inbound service's Health: the spool's own state,
// then the backlog.
type spoolHealth struct {
	sp *spool.Spool
	b  *backlog
}

func (h spoolHealth) Unhealthy() (string, bool) {
	if why, bad := h.sp.Unhealthy(); bad {
		return why, true
	}
	return h.b.full()
}
