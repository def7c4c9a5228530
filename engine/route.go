package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/dns"
	"github.com/volleymta/volley/engine/outbound"
)

// routeTimeout bounds one route lookup.
const routeTimeout = 30 * time.Second

// staticRouteTTL is how long a route from smtp-hosts with literal
// addresses is kept before the config is read again.
const staticRouteTTL = 5 * time.Minute

// routeResolver finds where a queue's mail goes: the domain's smtp-hosts
// when the config names them (PowerMTA's route), else its MX hosts. It runs
// lookups on goroutines, never on a shard's loop.
type routeResolver struct {
	// dns is the resolver behind mx and addrs (nil when none could be made).
	dns *dns.Resolver
	// mx looks up a domain's MX route; addrs a host's addresses.
	mx    func(ctx context.Context, domain string, port int) outbound.Route
	addrs func(ctx context.Context, host string) ([]netip.Addr, time.Time, error)
}

// resolve is the Deliverer's Resolve hook.
func (rr *routeResolver) resolve(domain string, ds *config.DomainSettings, done func(outbound.Route)) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), routeTimeout)
		defer cancel()
		done(rr.route(ctx, domain, ds))
	}()
}

func (rr *routeResolver) route(ctx context.Context, domain string, ds *config.DomainSettings) outbound.Route {
	port := ds.DefaultSMTPPort
	if port <= 0 {
		port = 25
	}
	if len(ds.SMTPHosts) == 0 {
		return rr.mx(ctx, domain, port)
	}
	r := outbound.Route{NoAutoRollup: true}
	r.Expires = time.Now().Add(staticRouteTTL)
	var lastErr error
	for _, level := range ds.SMTPHosts {
		for _, spec := range level {
			h, err := rr.host(ctx, spec, port, &r)
			if err != nil {
				lastErr = err
				continue
			}
			r.Hosts = append(r.Hosts, h...)
		}
	}
	if len(r.Hosts) == 0 {
		r.Err = fmt.Errorf("smtp-hosts for %s: no usable host (%v)", domain, lastErr)
	}
	return r
}

// host resolves one smtp-hosts entry: [IP]:PORT, [IP], IP, NAME[:PORT] or
// lookup-mx:DOMAIN (that domain's MX hosts).
func (rr *routeResolver) host(ctx context.Context, spec string, port int, r *outbound.Route) ([]outbound.Host, error) {
	if d, ok := strings.CutPrefix(spec, "lookup-mx:"); ok {
		mx := rr.mx(ctx, d, port)
		if mx.Err != nil {
			return nil, mx.Err
		}
		if !mx.Expires.IsZero() && mx.Expires.Before(r.Expires) {
			r.Expires = mx.Expires
		}
		return mx.Hosts, nil
	}
	name, p, err := splitHostPort(spec, port)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		name = name[1 : len(name)-1]
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return []outbound.Host{{Name: a.String(), Addrs: []netip.AddrPort{netip.AddrPortFrom(a, uint16(p))}}}, nil
	}
	addrs, expires, err := rr.addrs(ctx, name)
	if err != nil {
		return nil, err
	}
	if !expires.IsZero() && expires.Before(r.Expires) {
		r.Expires = expires
	}
	h := outbound.Host{Name: name}
	for _, a := range addrs {
		h.Addrs = append(h.Addrs, netip.AddrPortFrom(a, uint16(p)))
	}
	return []outbound.Host{h}, nil
}

// splitHostPort splits "host:port", "[v6]:port" or a bare host (port def).
func splitHostPort(spec string, def int) (string, int, error) {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 || strings.HasSuffix(spec, "]") || strings.Count(spec, ":") > 1 && !strings.HasPrefix(spec, "[") {
		return spec, def, nil
	}
	p, err := strconv.Atoi(spec[i+1:])
	if err != nil || p <= 0 || p > 65535 {
		return "", 0, fmt.Errorf("smtp-hosts entry %q: bad port", spec)
	}
	return spec[:i], p, nil
}

// newRouteResolver resolves through the config's name-server lines (else
// /etc/resolv.conf). When no resolver can be made, MX routes fail with
// that reason (deferred) and smtp-hosts with literal addresses still work.
func newRouteResolver(cfg *config.Config, logf func(string, ...any)) *routeResolver {
	res, err := dns.New(dns.Options{Servers: cfg.Global.NameServers})
	if err != nil {
		logf("volleyd: no DNS resolver: %v (only smtp-hosts with addresses can be delivered to)", err)
		fail := fmt.Errorf("no DNS resolver: %w", err)
		return &routeResolver{
			mx: func(context.Context, string, int) outbound.Route { return outbound.Route{Err: fail} },
			addrs: func(context.Context, string) ([]netip.Addr, time.Time, error) {
				return nil, time.Time{}, fail
			},
		}
	}
	return &routeResolver{dns: res,
		mx: func(ctx context.Context, domain string, port int) outbound.Route {
			r, err := res.LookupMX(ctx, domain)
			return mxRoute(r, err, port)
		},
		addrs: func(ctx context.Context, host string) ([]netip.Addr, time.Time, error) {
			a, err := res.LookupAddrs(ctx, host)
			return a, time.Time{}, err
		},
	}
}

// mxRoute turns a DNS route into a delivery route on port. No such domain
// is permanent (bounce); no address and temporary failures defer, as
// PowerMTA does without bounce-upon-no-mx.
func mxRoute(r dns.Route, err error, port int) outbound.Route {
	if err != nil {
		return outbound.Route{Err: err, Permanent: errors.Is(err, dns.ErrNoSuchDomain)}
	}
	out := outbound.Route{NullMX: r.NullMX, Expires: r.Expires, NoAutoRollup: r.Implicit || r.Literal, Implicit: r.Implicit}
	for _, h := range r.Hosts {
		oh := outbound.Host{Name: h.Name}
		for _, a := range h.Addrs {
			oh.Addrs = append(oh.Addrs, netip.AddrPortFrom(a, uint16(port)))
		}
		out.Hosts = append(out.Hosts, oh)
	}
	return out
}
