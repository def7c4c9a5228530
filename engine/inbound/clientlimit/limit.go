// Package clientlimit counts, across every shard, what each client IP is
// doing: its open connections (max-smtp-in, alias max-connections) and its
// message rate (max-msg-rate), plus all inbound connections together
// (total-max-smtp-in) and those of each <source-group> (its max-smtp-in,
// and reserved-smtp-in: slots of the total others may not take).
//
// Responsibility: admit or refuse a connection or a message for one client
// address, the same answer whichever shard asks.
//
// Not responsible for: the replies (engine/inbound says 421 or 451) or
// which limits apply (the client's <source> settings, passed in).
//
// Concurrency: every method is safe from any goroutine and takes no lock
// once a client's entry exists: counts are atomics, and the message rate
// is GCRA over one atomic timestamp, updated by compare-and-swap. Entries
// live in a sync.Map (lock-free to read); only a client's first connection
// takes its write path. Sweep removes idle entries.
//
// Failure behaviour: none; a refusal is an answer, not an error.
package clientlimit

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Table holds every client's counters.
type Table struct {
	clients sync.Map // netip.Addr -> *Client
	total   atomic.Int64
	groups  atomic.Pointer[groupSet]
}

// Group is one <source-group>'s connection count and limits. A session
// keeps the *Group it was admitted in until it releases it.
type Group struct {
	conns         atomic.Int64
	max, reserved atomic.Int64
}

type groupSet struct {
	byName map[string]*Group
	all    []*Group
}

// Client is one client IP's counters. A session keeps the *Client its
// connection was admitted with until it releases it.
type Client struct {
	// conns is the number of open connections; -1 marks an entry Sweep has
	// removed, which Acquire must not reuse.
	conns atomic.Int32
	// tat is GCRA's theoretical arrival time of the next message, in Unix
	// nanoseconds; authTAT the same for failed AUTH attempts.
	tat, authTAT atomic.Int64
}

// Verdict is Acquire's answer.
type Verdict uint8

const (
	Admitted   Verdict = iota
	TotalFull          // total-max-smtp-in reached, or what is left is reserved for source groups
	ClientFull         // the client's max-smtp-in reached
	GroupFull          // the client's source group's max-smtp-in reached
)

// SetGroups puts the source groups' limits in force (name -> max-smtp-in,
// reserved-smtp-in), keeping the counts of the names that stay.
func (t *Table) SetGroups(limits map[string][2]int) {
	old := t.groups.Load()
	next := &groupSet{byName: map[string]*Group{}}
	for name, l := range limits {
		g := (*Group)(nil)
		if old != nil {
			g = old.byName[name]
		}
		if g == nil {
			g = &Group{}
		}
		g.max.Store(int64(l[0]))
		g.reserved.Store(int64(l[1]))
		next.byName[name] = g
		next.all = append(next.all, g)
	}
	t.groups.Store(next)
}

// Group returns the named source group's counter, or nil.
func (t *Table) Group(name string) *Group {
	if s := t.groups.Load(); s != nil && name != "" {
		return s.byName[name]
	}
	return nil
}

// reservedForOthers is the slots other groups reserve and do not use.
func (t *Table) reservedForOthers(g *Group) int64 {
	s := t.groups.Load()
	if s == nil {
		return 0
	}
	var n int64
	for _, h := range s.all {
		if h != g {
			n += max(0, h.reserved.Load()-h.conns.Load())
		}
	}
	return n
}

// admitGroup counts one more connection in g, or says it is full.
func admitGroup(g *Group) bool {
	if g == nil {
		return true
	}
	if n := g.conns.Add(1); g.max.Load() > 0 && n > g.max.Load() {
		g.conns.Add(-1)
		return false
	}
	return true
}

func releaseGroup(g *Group) {
	if g != nil {
		g.conns.Add(-1)
	}
}

// Acquire admits one more connection from addr, in source group g (nil:
// none), unless that would exceed maxTotal connections in all (0: no
// limit), take a slot another group reserves, or exceed g's cap or
// maxPerClient from addr (0: no limit). It returns the client's entry
// (pass it to Release and Allow) when admitted; a refused connection holds
// nothing.
func (t *Table) Acquire(addr netip.Addr, maxTotal, maxPerClient int, g *Group) (*Client, Verdict) {
	if !admitGroup(g) {
		return nil, GroupFull
	}
	n := t.total.Add(1)
	if maxTotal > 0 {
		// Within its own reservation a group's connection needs only a
		// free slot; any other leaves the others' unused reservations free.
		own := g != nil && g.conns.Load() <= g.reserved.Load()
		if n > int64(maxTotal) || (!own && int64(maxTotal)-n < t.reservedForOthers(g)) {
			t.total.Add(-1)
			releaseGroup(g)
			return nil, TotalFull
		}
	}
	addr = addr.Unmap()
	for {
		v, ok := t.clients.Load(addr)
		if !ok {
			v, _ = t.clients.LoadOrStore(addr, &Client{})
		}
		c := v.(*Client)
		for {
			n := c.conns.Load()
			if n < 0 {
				break // swept meanwhile: look again
			}
			if maxPerClient > 0 && int(n) >= maxPerClient {
				t.total.Add(-1)
				releaseGroup(g)
				return nil, ClientFull
			}
			if c.conns.CompareAndSwap(n, n+1) {
				return c, Admitted
			}
		}
	}
}

// Release gives back a connection Acquire admitted in g.
func (t *Table) Release(c *Client, g *Group) {
	c.conns.Add(-1)
	t.total.Add(-1)
	releaseGroup(g)
}

// Total returns the number of connections admitted and not released.
func (t *Table) Total() int { return int(t.total.Load()) }

// Allow reports whether c may send one more message at now under a rate of
// count messages per period (count 0: no limit), and if so counts it.
//
// GCRA: messages are spaced per/count apart on average, with a burst of up
// to count at once; tat is when the next message would be on schedule,
// and a message is refused while tat is more than per - per/count ahead
// of now.
func (c *Client) Allow(now time.Time, count int64, per time.Duration) bool {
	interval, tolerance, ok := gcra(count, per)
	if !ok {
		return true
	}
	t := now.UnixNano()
	for {
		tat := c.tat.Load()
		next := max(tat, t)
		if next-t > tolerance {
			return false
		}
		if c.tat.CompareAndSwap(tat, next+interval) {
			return true
		}
	}
}

// gcra is a rate's spacing and burst tolerance in nanoseconds; ok is false
// for no limit.
func gcra(count int64, per time.Duration) (interval, tolerance int64, ok bool) {
	if count <= 0 || per <= 0 {
		return 0, 0, false
	}
	interval = int64(per) / count
	if interval <= 0 {
		return 0, 0, false // finer than a nanosecond: no limit worth keeping
	}
	return interval, int64(per) - interval, true
}

// AuthFailed counts one failed AUTH attempt of c at now, against a rate of
// count failures per period (smtp-max-auth-failure-rate).
func (c *Client) AuthFailed(now time.Time, count int64, per time.Duration) {
	interval, _, ok := gcra(count, per)
	if !ok {
		return
	}
	t := now.UnixNano()
	for {
		tat := c.authTAT.Load()
		if c.authTAT.CompareAndSwap(tat, max(tat, t)+interval) {
			return
		}
	}
}

// AuthBlocked reports whether c has had count failed AUTH attempts within
// the period by now: then its next attempt is refused unchecked, so that
// guessing passwords from one address stays slow. It clears as the
// failures age, one per per/count.
func (c *Client) AuthBlocked(now time.Time, count int64, per time.Duration) bool {
	_, tolerance, ok := gcra(count, per)
	return ok && c.authTAT.Load()-now.UnixNano() > tolerance
}

// Sweep removes the entries of clients with no open connection whose rate
// history has run out by now, and returns how many it removed. Run it now
// and then (every minute) so the table does not grow with every address
// ever seen.
func (t *Table) Sweep(now time.Time) int {
	removed := 0
	t.clients.Range(func(k, v any) bool {
		c := v.(*Client)
		if c.tat.Load() <= now.UnixNano() && c.authTAT.Load() <= now.UnixNano() && c.conns.CompareAndSwap(0, -1) {
			t.clients.CompareAndDelete(k, v)
			removed++
		}
		return true
	})
	return removed
}

// Len returns the number of clients in the table.
func (t *Table) Len() int {
	n := 0
	t.clients.Range(func(any, any) bool { n++; return true })
	return n
}

// Each calls fn for every client in the table with its open connections
// and how far its message schedule runs ahead of now (zero: its rate has
// room; near the period: it is at its limit), for the management API.
func (t *Table) Each(now time.Time, fn func(addr netip.Addr, conns int, ahead time.Duration)) {
	t.clients.Range(func(k, v any) bool {
		c := v.(*Client)
		n := c.conns.Load()
		if n < 0 {
			return true
		}
		ahead := time.Duration(c.tat.Load() - now.UnixNano())
		fn(k.(netip.Addr), int(n), max(ahead, 0))
		return true
	})
}
