package dns

import (
	"context"
	"sync"
)

// flights coalesces concurrent lookups of one key into one set of queries
// (the idea of golang.org/x/sync/singleflight, which the module does not
// carry): the first caller leads and asks the servers, later callers wait
// for its entry.
//
// No goroutine is started: the leader does the work on its own goroutine.
// If the leader's context ends first, its entry is marked local; waiters
// whose own context is still alive then ask again, and one of them leads.
// Flights cannot deadlock, as waits only go one way: a route's leader may
// wait on its hosts' address flights, but the leader of an address flight
// finishes it before waiting on anything (see addrEntries).
type flights struct {
	mu sync.Mutex
	m  map[key]*call // guarded by mu
}

// call is one lookup in flight.
type call struct {
	done    chan struct{} // closed when e is set
	e       *entry        // written once by the leader before done closes
	waiters int           // callers that joined after the leader; guarded by flights.mu (tests read it)
}

// join returns the call in flight for k, or starts one that the caller
// leads (lead is true) and must finish.
func (f *flights) join(k key) (c *call, lead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.m[k]; c != nil {
		c.waiters++
		return c, false
	}
	c = &call{done: make(chan struct{})}
	f.m[k] = c
	return c, true
}

// finish hands e to the waiters of c and ends the flight. The leader puts
// e in the cache first, so a caller that misses the flight finds the cache.
func (f *flights) finish(k key, c *call, e *entry) {
	f.mu.Lock()
	delete(f.m, k)
	f.mu.Unlock()
	c.e = e
	close(c.done)
}

// wait returns the entry of c, or a local error entry if ctx ends first.
// When the leader's context ended but ctx has not, it runs again, which
// asks anew.
func (r *Resolver) wait(ctx context.Context, k key, c *call, again func() *entry) *entry {
	select {
	case <-c.done:
	case <-ctx.Done():
		return ctxEntry(ctx, k)
	}
	r.stats.coalesced.Add(1)
	if c.e.local && ended(ctx) == nil {
		return again()
	}
	return c.e
}

// publish caches e unless it is local, then finishes the flight.
func (r *Resolver) publish(c *call, e *entry) {
	if !e.local {
		r.cache.put(e)
	}
	r.flights.finish(e.key, c, e)
}

// ctxEntry is the local failure of a caller whose context ended.
func ctxEntry(ctx context.Context, k key) *entry {
	err := ended(ctx)
	if err == nil {
		err = context.Canceled // not reached: callers ask only once ctx is done
	}
	return &entry{key: k, err: &Error{Name: k.name, Kind: ErrTemporary, Err: err}, local: true}
}
