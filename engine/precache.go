package engine

// The <dns> block's precached domains (PowerMTA §10.13): their mail
// exchangers are looked up at start and again before the cached answer
// expires, every precached-refresh-interval, so that no message to them
// waits for DNS. The list is read from its file at each round, so an edit
// takes effect without a reload.

import (
	"bufio"
	"context"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/config"
)

// precache holds the last round's outcome for `show precache`.
type precache struct {
	mu   sync.Mutex
	last []api.Precached
}

// results returns the last round's outcome.
func (p *precache) results() []api.Precached {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]api.Precached(nil), p.last...)
}

// run refreshes the list until ctx ends; a config without a file sleeps.
func (p *precache) run(ctx context.Context, rr *routeResolver, cfg func() *config.Config, logf func(string, ...any)) {
	if rr.dns == nil {
		return
	}
	for {
		d := cfg().DNS
		if d.PrecachedDomainsFile != "" {
			p.round(ctx, rr, d, logf)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.PrecachedRefreshInterval):
		}
	}
}

// round looks up each domain whose cached route expires before the next
// round (or is not cached): forgotten first, so the lookup asks the servers.
func (p *precache) round(ctx context.Context, rr *routeResolver, d config.DNS, logf func(string, ...any)) {
	domains, err := readDomains(d.PrecachedDomainsFile)
	if err != nil {
		logf("volleyd: precached-domains-file: %v", err)
		return
	}
	if len(domains) > d.PrecachedMaxDomains {
		logf("volleyd: precached-domains-file %s: %d domains, precached-max-domains is %d: the rest are not precached",
			d.PrecachedDomainsFile, len(domains), d.PrecachedMaxDomains)
		domains = domains[:d.PrecachedMaxDomains]
	}
	next := time.Now().Add(d.PrecachedRefreshInterval)
	out := make([]api.Precached, 0, len(domains))
	for _, name := range domains {
		lctx, cancel := context.WithTimeout(ctx, routeTimeout)
		r, err := rr.dns.LookupMX(lctx, name)
		if err == nil && r.Expires.Before(next) {
			rr.dns.Forget(name)
			r, err = rr.dns.LookupMX(lctx, name)
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		pc := api.Precached{Domain: name, Refreshed: time.Now(), Expires: r.Expires}
		for _, h := range r.Hosts {
			pc.Hosts++
			pc.Addrs += len(h.Addrs)
		}
		if err != nil {
			pc.Error = err.Error()
		}
		out = append(out, pc)
	}
	p.mu.Lock()
	p.last = out
	p.mu.Unlock()
}

// readDomains reads one domain a line; blank lines and # comments are skipped.
func readDomains(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(line), ".")); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}
