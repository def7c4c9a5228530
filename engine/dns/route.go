package dns

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	mdns "github.com/miekg/dns"
)

// Route is where mail for a domain goes. Routes come out of the cache and
// are shared by every caller: the slices (Hosts, and each Host's Addrs) are
// read-only. A caller that wants to reorder them copies first.
type Route struct {
	Domain string // the domain looked up, canonical: lower case, no trailing dot

	// Hosts are the mail exchangers in the order to try them: by MX
	// preference, lowest first (RFC 5321 §5.1). Within one preference the
	// order is random, drawn once per DNS fetch, so it stays the same for
	// as long as the route is cached (RFC 5321 §5.1 asks senders to
	// randomize equal preferences; a caller spreading connections over a
	// tier rotates within it, using Pref to see the tiers). Hosts without
	// any address are left out. Empty when NullMX.
	Hosts []Host

	// NullMX is set when the domain publishes a null MX (RFC 7505 §3: the
	// only MX has the exchange "."): it accepts no mail, and the caller
	// bounces at once with 556 5.1.10 (RFC 7505 §4.2).
	NullMX bool

	// Implicit is set when the domain has no MX records, so that the
	// domain itself is its only host with preference 0 (RFC 5321 §5.1).
	Implicit bool

	// Literal is set when the domain was an address literal such as
	// "[192.0.2.1]" (RFC 5321 §4.1.3): one host, no DNS asked.
	Literal bool

	// Expires is when the first record set the route was built from
	// expires, by the Resolver's clock: the minimum TTL over the MX records,
	// the CNAMEs followed and every host's A and AAAA answers, negative
	// answers included. Zero for a literal, which never expires.
	Expires time.Time
}

// Host is one mail exchanger of a Route. It is shared read-only, as the
// Route is.
type Host struct {
	Name string // the MX exchange (canonical form), the domain itself if implicit, or the literal
	Pref uint16 // the MX preference; 0 for an implicit MX or a literal

	// Addrs are the host's addresses: IPv4 (A) first, then IPv6 (AAAA),
	// each family in the order the server gave. IPv6 addresses are kept:
	// whether to use them is the caller's choice.
	Addrs []netip.Addr
}

// literalRoute is the route to an address literal.
func literalRoute(domain string, a netip.Addr) Route {
	return Route{
		Domain:  domain,
		Hosts:   []Host{{Name: domain, Addrs: []netip.Addr{a}}},
		Literal: true,
	}
}

// orderMX turns an MX RRset into hosts (without addresses yet) in delivery
// order: shuffled, then stably sorted by preference, which leaves equal
// preferences in random order (RFC 5321 §5.1). A host listed twice keeps its
// best preference. Exchanges that are not valid hostnames are dropped, and
// so is the root ".": a set made of nothing but "." is a null MX (RFC 7505
// §3 prescribes a single "." of preference 0; a lone "." of another
// preference can reach no host either, so it is read the same way). A "."
// beside real exchanges breaks RFC 7505 §3 ("MUST NOT advertise any other
// MX"), and the real ones are used.
func orderMX(rrs []mdns.RR) (hosts []Host, nullMX bool) {
	hosts = make([]Host, 0, len(rrs))
	roots := 0
	for _, rr := range rrs {
		mx, ok := rr.(*mdns.MX)
		if !ok {
			continue
		}
		if mx.Mx == "." {
			roots++
			continue
		}
		if name, ok := canonical(mx.Mx); ok {
			hosts = append(hosts, Host{Name: name, Pref: mx.Preference})
		}
	}
	if len(hosts) == 0 {
		return nil, roots > 0
	}
	rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	slices.SortStableFunc(hosts, func(a, b Host) int { return cmp.Compare(a.Pref, b.Pref) })
	return dedupHosts(hosts), false
}

// dedupHosts drops the later (worse preference) copies of a repeated host.
func dedupHosts(hosts []Host) []Host {
	out := hosts[:0]
	for _, h := range hosts {
		if !slices.ContainsFunc(out, func(o Host) bool { return o.Name == h.Name }) {
			out = append(out, h)
		}
	}
	return out
}

// hostsRoute completes a route from its hosts and their address entries
// (es[i] belongs to hosts[i]); expires is the expiry so far (of the MX
// answer). Hosts without addresses are skipped. When none is left, the
// route fails: temporarily if any host failed temporarily, since that host
// may yet resolve, and with ErrNoAddress if every host had a definite
// negative answer.
func hostsRoute(rt Route, hosts []Host, es []*entry, expires time.Time) *entry {
	out := hosts[:0]
	var temp error
	for i, h := range hosts {
		e := es[i]
		expires = minTime(expires, e.expires)
		switch {
		case e.err == nil:
			h.Addrs = e.addrs
			out = append(out, h)
		case isTemporary(e.err):
			temp = e.err
		}
	}
	rt.Expires = expires
	switch {
	case len(out) > 0:
		rt.Hosts = out
		return &entry{route: rt, expires: expires}
	case temp != nil:
		return &entry{err: &Error{Name: rt.Domain, Kind: ErrTemporary, Err: temp}, expires: expires}
	}
	return &entry{err: &Error{Name: rt.Domain, Kind: ErrNoAddress}, expires: expires}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
