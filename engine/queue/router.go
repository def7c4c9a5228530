package queue

import (
	"github.com/volleymta/volley/spool"
)

// Router hands each recipient of a committed message to its queue's owner
// (DESIGN.md, step 3). One Router per producing goroutine: each shard's
// loop has one, the pickup goroutine another.
type Router struct {
	inboxes []*Inbox
	// self is the shard whose loop runs this Router, or -1 off the loops.
	// Its own recipients go straight into its Table: it is the owner.
	self int
	// backlog holds, per owner, records its full inbox refused, in order.
	backlog [][]Ready
	pending int
}

// NewRouter returns a Router over every shard's inbox (indexed by shard
// ID); self is the ID of the shard whose loop uses it, or -1.
func NewRouter(inboxes []*Inbox, self int) *Router {
	return &Router{inboxes: inboxes, self: self, backlog: make([][]Ready, len(inboxes))}
}

// Route hands every recipient of m, stored under id, to its owner. m's
// recipients must carry their spool Index (spool.Append sets it). body
// is the stored message, shared read-only from now on, as m is; when body
// is nil the recipients go cold, without m either (the deliverer reads
// both from the spool when they are due, so a million recipients queued
// at start do not keep a million envelopes). Records an owner has no room
// for wait in the backlog: call Flush later while Pending is not zero.
func (rt *Router) Route(id spool.ID, m *spool.Message, body []byte) {
	for i := range m.Recipients {
		rt.RouteOne(id, m, body, i)
	}
}

// RouteOne hands recipient i of m to its owner, as Route does for each
// (a caller that keeps some recipients back routes the others one by one).
func (rt *Router) RouteOne(id spool.ID, m *spool.Message, body []byte, i int) {
	msg := m
	if body == nil {
		msg = nil
	}
	rc := &m.Recipients[i]
	rt.Send(Ready{ID: id, Index: rc.Index, Key: KeyFor(rc.Addr, m.VMTA), Addr: rc.Addr, Msg: msg, Body: body,
		Attempts: rc.Attempts, Next: rc.NextAttempt})
}

// Send hands one record to the owner of its Key (as Route does for each
// recipient): how a queue's recipients move to an MX rollup's queue.
func (rt *Router) Send(r Ready) {
	o := Owner(r.Key, len(rt.inboxes))
	switch {
	case o == rt.self:
		rt.inboxes[o].table.Add(r)
	case len(rt.backlog[o]) > 0 || !rt.inboxes[o].Push(r):
		rt.backlog[o] = append(rt.backlog[o], r)
		rt.pending++
	}
}

// Pending returns the number of records waiting for room in an inbox.
func (rt *Router) Pending() int { return rt.pending }

// Flush pushes what the backlog holds, in order, as far as the inboxes
// have room, and returns what is still pending.
func (rt *Router) Flush() int {
	for o, b := range rt.backlog {
		sent := 0
		for sent < len(b) && rt.inboxes[o].Push(b[sent]) {
			sent++
		}
		if sent == 0 {
			continue
		}
		rest := copy(b, b[sent:])
		clear(b[rest:])
		rt.backlog[o] = b[:rest]
		rt.pending -= sent
	}
	return rt.pending
}
