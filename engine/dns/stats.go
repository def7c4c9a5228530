package dns

import "sync/atomic"

// Stats are the Resolver's counters since New, for metrics (engine/acct
// and engine/mgmt export them; this package imports no metrics library).
type Stats struct {
	CacheHits   uint64 // lookups answered from the cache, each MX host's address lookup included
	CacheMisses uint64 // lookups that had to ask the servers
	Coalesced   uint64 // lookups that waited for the same lookup already in flight
	Queries     uint64 // DNS messages sent, UDP and TCP
	TCP         uint64 // of Queries, those retried over TCP after a truncated answer
	Failures    uint64 // questions a server left without a usable answer (timeout, SERVFAIL, ...)
}

// counters are the live Stats, updated from every goroutine that looks up.
type counters struct {
	hits, misses, coalesced, queries, tcp, failures atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (r *Resolver) Stats() Stats {
	c := &r.stats
	return Stats{
		CacheHits:   c.hits.Load(),
		CacheMisses: c.misses.Load(),
		Coalesced:   c.coalesced.Load(),
		Queries:     c.queries.Load(),
		TCP:         c.tcp.Load(),
		Failures:    c.failures.Load(),
	}
}
