package engine

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/queue"
)

// disabledSources are the source addresses an operator took out of use
// for some queues (PowerMTA's `disable source`). The list is copied on
// write and read without a lock by every shard for each connection.
type disabledSources struct {
	mu   sync.Mutex // serialises writers
	list atomic.Pointer[[]disabledSource]
}

type disabledSource struct {
	ip      netip.Addr
	pattern string
	pat     queuePattern
	since   time.Time
	// until is when a disable-source-ip action's reenable-after ends it
	// (zero: until EnableSource).
	until time.Time
}

// has reports whether src is disabled for queue k.
func (d *disabledSources) has(src netip.Addr, k queue.Key) bool {
	l := d.list.Load()
	if l == nil {
		return false
	}
	for _, s := range *l {
		if s.ip == src && s.pat.match(k) && (s.until.IsZero() || time.Now().Before(s.until)) {
			return true
		}
	}
	return false
}

// disableFor is the disable-source-ip action of an smtp-pattern-list: src
// out of use for queue k for a while (0: until EnableSource), on a shard's
// loop. An expired entry is dropped at the next change.
func (d *disabledSources) disableFor(src netip.Addr, k queue.Key, after time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	var next []disabledSource
	if l := d.list.Load(); l != nil {
		for _, s := range *l {
			if s.until.IsZero() || now.Before(s.until) {
				next = append(next, s)
			}
		}
	}
	ds := disabledSource{ip: src, pattern: k.String(), pat: queuePattern{k.Domain, strings.ToLower(k.VMTA)}, since: now}
	if k.VMTA == "" {
		ds.pat.vmta = ""
	}
	if after > 0 {
		ds.until = now.Add(after)
	}
	next = append(next, ds)
	d.list.Store(&next)
}

// DisableSource stops using source address ip for the queues pattern
// matches (all with "" or "*/*") until EnableSource.
func (rn *Running) DisableSource(ip, pattern string) (api.Result, error) {
	a, pat, pattern, err := parseSource(ip, pattern)
	if err != nil {
		return api.Result{}, err
	}
	d := rn.sources
	d.mu.Lock()
	defer d.mu.Unlock()
	var next []disabledSource
	if l := d.list.Load(); l != nil {
		next = slices.Clone(*l)
	}
	for _, s := range next {
		if s.ip == a && s.pattern == pattern {
			return api.Result{Affected: []string{a.String() + " " + pattern}}, nil
		}
	}
	next = append(next, disabledSource{ip: a, pattern: pattern, pat: pat, since: time.Now()})
	d.list.Store(&next)
	rn.logf("volleyd: source %s disabled for %s", a, pattern)
	return api.Result{Affected: []string{a.String() + " " + pattern}}, nil
}

// EnableSource undoes DisableSource for ip and the same pattern ("" or
// "*/*": every pattern of ip) and kicks the queues, which may have been
// waiting for a usable source.
func (rn *Running) EnableSource(ctx context.Context, ip, pattern string) (api.Result, error) {
	a, _, pattern, err := parseSource(ip, pattern)
	if err != nil {
		return api.Result{}, err
	}
	d := rn.sources
	d.mu.Lock()
	var next []disabledSource
	var res api.Result
	if l := d.list.Load(); l != nil {
		for _, s := range *l {
			if s.ip == a && (pattern == "*/*" || s.pattern == pattern) {
				res.Affected = append(res.Affected, s.ip.String()+" "+s.pattern)
				continue
			}
			next = append(next, s)
		}
	}
	d.list.Store(&next)
	d.mu.Unlock()
	if len(res.Affected) == 0 {
		return res, ErrNoMatch
	}
	rn.logf("volleyd: source %s enabled for %s", a, pattern)
	_, err = onShards(ctx, rn.group, func(i int) bool {
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) { p.deliverer.Kick(q) })
		return true
	})
	return res, err
}

// DisabledSources lists them, oldest first.
func (rn *Running) DisabledSources() []api.DisabledSource {
	out := []api.DisabledSource{}
	if l := rn.sources.list.Load(); l != nil {
		for _, s := range *l {
			if !s.until.IsZero() && time.Now().After(s.until) {
				continue
			}
			out = append(out, api.DisabledSource{IP: s.ip.String(), Queue: s.pattern, Since: s.since})
		}
	}
	return out
}

func parseSource(ip, pattern string) (netip.Addr, queuePattern, string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return netip.Addr{}, queuePattern{}, "", fmt.Errorf("bad source address %q", ip)
	}
	pat, err := parseQueuePattern(pattern)
	if err != nil {
		return netip.Addr{}, queuePattern{}, "", err
	}
	return a.Unmap(), pat, pat.domain + "/" + pat.vmta, nil
}
