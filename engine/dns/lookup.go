package dns

import (
	"context"
	"net/netip"
	"time"

	mdns "github.com/miekg/dns"
)

// routeEntry resolves the route for k (a kindMX key that missed the
// cache), leading the flight for it or waiting on the one in progress.
func (r *Resolver) routeEntry(ctx context.Context, k key) *entry {
	c, lead := r.flights.join(k)
	if !lead {
		return r.wait(ctx, k, c, func() *entry { return r.routeEntry(ctx, k) })
	}
	// A flight that ended between our cache miss and join left its entry
	// in the cache (publish caches before it finishes).
	e, ok := r.cache.get(k, r.now())
	if !ok {
		r.stats.misses.Add(1)
		e = r.fetchRoute(ctx, k)
	}
	r.publish(c, e)
	return e
}

// fetchRoute asks for the MX records of k.name and resolves their hosts.
func (r *Resolver) fetchRoute(ctx context.Context, k key) *entry {
	now := r.now()
	q := newQuestion(k.name, mdns.TypeMX)
	r.resolve(ctx, []*question{q})
	var e *entry
	switch {
	case q.err != nil:
		e = failure(ctx, k, now, q.err)
	case q.rcode == mdns.RcodeNameError:
		e = &entry{err: &Error{Name: k.name, Kind: ErrNoSuchDomain}, expires: now.Add(negative(q.ttl))}
	case len(q.rrs) == 0: // NODATA: RFC 5321 §5.1, the implicit MX
		hosts := []Host{{Name: k.name}}
		rt := Route{Domain: k.name, Implicit: true}
		e = hostsRoute(rt, hosts, r.addrEntries(ctx, []string{k.name}), now.Add(negative(q.ttl)))
	default:
		e = r.mxRoute(ctx, k.name, q, now)
	}
	e.key = k
	// A route cut short by the caller's context may lack hosts: not for sharing.
	e.local = e.local || ended(ctx) != nil
	return e
}

// mxRoute builds the route from an MX answer.
func (r *Resolver) mxRoute(ctx context.Context, name string, q *question, now time.Time) *entry {
	expires := now.Add(positive(q.ttl))
	hosts, nullMX := orderMX(q.rrs)
	switch {
	case nullMX:
		return &entry{route: Route{Domain: name, NullMX: true, Expires: expires}, expires: expires}
	case len(hosts) == 0: // no exchange is a usable hostname
		return &entry{err: &Error{Name: name, Kind: ErrNoAddress, Err: errBadName}, expires: expires}
	}
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return hostsRoute(Route{Domain: name}, hosts, r.addrEntries(ctx, names), expires)
}

// addrEntries returns the address entry of each name: from the cache, from
// a flight already under way, or from one batch of queries (A and AAAA for
// every name, sent together) for the rest. The flights it leads are
// finished before it waits on anyone else's, so two callers leading each
// other's hosts cannot deadlock.
func (r *Resolver) addrEntries(ctx context.Context, names []string) []*entry {
	out := make([]*entry, len(names))
	calls := make([]*call, len(names))
	var lead []int
	now := r.now()
	for i, n := range names {
		k := key{n, kindAddr}
		if e, ok := r.cache.get(k, now); ok {
			r.stats.hits.Add(1)
			out[i] = e
			continue
		}
		c, leader := r.flights.join(k)
		calls[i] = c
		if !leader {
			continue
		}
		if e, ok := r.cache.get(k, r.now()); ok { // see routeEntry
			out[i] = e
			r.publish(c, e)
			continue
		}
		lead = append(lead, i)
	}
	if len(lead) > 0 {
		r.stats.misses.Add(uint64(len(lead)))
		batch := make([]string, len(lead))
		for j, i := range lead {
			batch[j] = names[i]
		}
		for j, e := range r.fetchAddrs(ctx, batch) {
			out[lead[j]] = e
			r.publish(calls[lead[j]], e)
		}
	}
	for i, c := range calls {
		if out[i] == nil {
			k := key{names[i], kindAddr}
			out[i] = r.wait(ctx, k, c, func() *entry { return r.addrEntries(ctx, names[i:i+1])[0] })
		}
	}
	return out
}

// fetchAddrs asks for the A and AAAA records of each name, all in one
// exchange.
func (r *Resolver) fetchAddrs(ctx context.Context, names []string) []*entry {
	now := r.now()
	qs := make([]*question, 0, 2*len(names))
	for _, n := range names {
		qs = append(qs, newQuestion(n, mdns.TypeA), newQuestion(n, mdns.TypeAAAA))
	}
	r.resolve(ctx, qs)
	out := make([]*entry, len(names))
	for i, n := range names {
		out[i] = addrEntry(ctx, key{n, kindAddr}, now, qs[2*i], qs[2*i+1])
	}
	return out
}

// addrEntry combines a host's A and AAAA answers. Addresses from either
// family make a success; otherwise a failure of either family makes the
// outcome temporary, NXDOMAIN makes it ErrNoSuchDomain, and NODATA for both
// ErrNoAddress. The entry expires with the first of the two answers
// (positive, negative or failed) to expire.
func addrEntry(ctx context.Context, k key, now time.Time, qs ...*question) *entry {
	var addrs []netip.Addr
	var temp error
	ttl, nx := maxTTL, false
	for _, q := range qs {
		switch {
		case q.err != nil:
			temp = q.err
			ttl = min(ttl, failureTTL)
		case len(q.rrs) > 0:
			addrs = appendAddrs(addrs, q.rrs)
			ttl = min(ttl, positive(q.ttl))
		default:
			nx = nx || q.rcode == mdns.RcodeNameError
			ttl = min(ttl, negative(q.ttl))
		}
	}
	e := &entry{key: k, addrs: addrs, expires: now.Add(ttl), local: temp != nil && ended(ctx) != nil}
	switch {
	case len(addrs) > 0:
	case temp != nil:
		e.err = &Error{Name: k.name, Kind: ErrTemporary, Err: temp}
	case nx:
		e.err = &Error{Name: k.name, Kind: ErrNoSuchDomain}
	default:
		e.err = &Error{Name: k.name, Kind: ErrNoAddress}
	}
	return e
}

// appendAddrs appends the addresses of A and AAAA records.
func appendAddrs(dst []netip.Addr, rrs []mdns.RR) []netip.Addr {
	for _, rr := range rrs {
		var ip []byte
		switch rr := rr.(type) {
		case *mdns.A:
			ip = rr.A.To4()
		case *mdns.AAAA:
			ip = rr.AAAA.To16()
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			dst = append(dst, a)
		}
	}
	return dst
}

// failure is the entry for a lookup no server answered: temporary, kept
// for failureTTL so a broken domain is not asked again at once.
func failure(ctx context.Context, k key, now time.Time, err error) *entry {
	return &entry{
		key:     k,
		err:     &Error{Name: k.name, Kind: ErrTemporary, Err: err},
		expires: now.Add(failureTTL),
		local:   ended(ctx) != nil,
	}
}
