package dns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Defaults of Options.
const (
	DefaultTimeout         = 5 * time.Second // as glibc's resolv.conf "timeout"
	DefaultMaxCacheEntries = 100_000         // a few hundred bytes each
	resolvConf             = "/etc/resolv.conf"
)

// Options configure a Resolver. The zero value reads the name servers
// from /etc/resolv.conf and applies the defaults.
type Options struct {
	// Servers are the recursive name servers to ask, in order: a question
	// goes to the next one when a server times out, fails to connect, or
	// answers SERVFAIL, REFUSED or the like. A zero port means 53. Empty
	// (the default) reads the nameserver lines of /etc/resolv.conf. The
	// config's name-server directives (SPEC.md) go here.
	Servers []netip.AddrPort

	// Timeout bounds one attempt: one batch of questions to one server over
	// UDP, or one TCP retry. Default DefaultTimeout. The caller's context
	// bounds the whole lookup.
	Timeout time.Duration

	// Now is the clock for cache expiry. Default time.Now; tests move it.
	Now func() time.Time

	// MaxCacheEntries bounds the cache: one entry per domain looked up and
	// one per host resolved. Default DefaultMaxCacheEntries.
	MaxCacheEntries int
}

// Resolver finds delivery routes: MX records and the hosts' addresses,
// cached by TTL, with concurrent lookups of a name coalesced into one.
// It is safe for concurrent use. Its lookups block on the network, so it
// runs on helper goroutines, never on a shard loop (DESIGN.md).
type Resolver struct {
	servers []string // "IP:PORT", fixed at New
	timeout time.Duration
	now     func() time.Time
	cache   cache
	flights flights
	stats   counters

	// readBufs holds *[]byte of maxUDPRead bytes: answers are copied out
	// by Unpack, so a buffer goes back as soon as its exchange ends.
	readBufs sync.Pool
}

// New returns a Resolver for the options. It fails when there is no name
// server to ask, or when /etc/resolv.conf is needed and cannot be read.
func New(o Options) (*Resolver, error) {
	r := &Resolver{
		timeout: o.Timeout,
		now:     o.Now,
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.now == nil {
		r.now = time.Now
	}
	servers := o.Servers
	if len(servers) == 0 {
		var err error
		if servers, err = serversFromFile(resolvConf); err != nil {
			return nil, err
		}
	}
	for _, s := range servers {
		if !s.Addr().IsValid() {
			return nil, errors.New("dns: invalid name server address")
		}
		r.servers = append(r.servers, netip.AddrPortFrom(s.Addr(), cmp.Or(s.Port(), 53)).String())
	}
	r.cache.init(cmp.Or(max(o.MaxCacheEntries, 0), DefaultMaxCacheEntries))
	r.flights.m = make(map[key]*call)
	r.readBufs.New = func() any { b := make([]byte, maxUDPRead); return &b }
	return r, nil
}

// serversFromFile reads the nameserver lines of a resolv.conf(5).
func serversFromFile(path string) ([]netip.AddrPort, error) {
	cc, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("dns: read name servers: %w", err)
	}
	var out []netip.AddrPort
	for _, s := range cc.Servers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("dns: %s: nameserver %q: %w", path, s, err)
		}
		port, err := netip.ParseAddrPort("0.0.0.0:" + cc.Port)
		if err != nil {
			return nil, fmt.Errorf("dns: %s: port %q: %w", path, cc.Port, err)
		}
		out = append(out, netip.AddrPortFrom(a, port.Port()))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dns: %s: %w", path, errNoServers)
	}
	return out, nil
}

// LookupMX returns the delivery route for domain (RFC 5321 §5.1): its MX
// hosts in order with their addresses, the domain itself when it has no MX
// (Implicit), or a null MX (NullMX, RFC 7505). The domain may carry a
// trailing dot and any case; an address literal ("[192.0.2.1]") is routed
// to without DNS. Errors are *Error of kind ErrNoSuchDomain, ErrNoAddress
// or ErrTemporary.
//
// The Route is shared with the cache and other callers: read-only. A cache
// hit does not allocate when domain is already canonical (lower case, no
// trailing dot).
func (r *Resolver) LookupMX(ctx context.Context, domain string) (Route, error) {
	name, ok := canonical(domain)
	if !ok {
		if a, ok := ParseLiteral(domain); ok && strings.HasPrefix(domain, "[") {
			return literalRoute(domain, a), nil
		}
		return Route{}, &Error{Name: domain, Kind: ErrNoSuchDomain, Err: errBadName}
	}
	k := key{name, kindMX}
	if e, ok := r.cache.get(k, r.now()); ok {
		r.stats.hits.Add(1)
		return e.route, e.err
	}
	e := r.routeEntry(ctx, k)
	return e.route, e.err
}

// LookupAddrs returns the addresses of host (A and AAAA), for routes that
// name their hosts (smtp-hosts) rather than asking for MX records. An IP
// literal, bracketed or not, is returned without DNS. IPv4 addresses come
// first. The slice is shared: read-only. Errors are *Error of kind
// ErrNoSuchDomain (NXDOMAIN), ErrNoAddress (no A and no AAAA) or
// ErrTemporary.
func (r *Resolver) LookupAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, ok := ParseLiteral(host); ok {
		return []netip.Addr{a}, nil
	}
	name, ok := canonical(host)
	if !ok {
		return nil, &Error{Name: host, Kind: ErrNoSuchDomain, Err: errBadName}
	}
	if e, ok := r.cache.get(key{name, kindAddr}, r.now()); ok {
		r.stats.hits.Add(1)
		return e.addrs, e.err
	}
	e := r.addrEntries(ctx, []string{name})[0]
	return e.addrs, e.err
}

// Forget drops what the cache holds for name, both its route and its
// addresses (the "clear dnscache DOMAIN" command). Lookups in flight are
// not affected.
func (r *Resolver) Forget(name string) {
	if n, ok := canonical(name); ok {
		r.cache.forget(n)
	}
}

// Flush empties the cache ("clear dnscache *").
func (r *Resolver) Flush() { r.cache.flush() }

func isTemporary(err error) bool { return errors.Is(err, ErrTemporary) }
