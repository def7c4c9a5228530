package config

// Resolution: which settings apply to a queue (domain, vMTA) and to an inbound client.
//
// Everything is merged at Build time into lookup tables, because Effective runs for every
// message and must not allocate. The rejected alternative, merging layers on each call with
// a cache, needs a lock or allocation and would make a reload's cost appear on the hot path.
//
// A queue's settings are built from layers, general to specific, each overriding only the
// directives it sets (PowerMTA §3.3.10, §3.3.13.2): built-in defaults; then the top-level
// <domain> blocks (`*`, then matching patterns from least to most specific, then the exact
// domain, macro-expanded before explicit); then the same for <domain> blocks nested in each
// pool the vMTA belongs to; then those nested in the vMTA itself.
//
// Lookup: an exact domain mentioned anywhere hits a map. Any other domain walks the
// patterns, most specific first; the first match decides, because for suffix and CIDR
// patterns the set of all matching patterns is implied by the most specific one (if
// *.a.example.com matches, so does [*.]example.com). Each (pattern, scope) pair therefore
// has one precomputed result.

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

type domainTables struct {
	scopeIdx map[string]int // vMTA or pool name -> scope; scope 0 is "no vMTA"
	exactIdx map[string]int
	exact    [][]*DomainSettings // [scope][exactIdx]
	patterns []DomainPattern     // most specific first
	// suffix maps x to 1+index in patterns of *.x (slot 0) and [*.]x (slot 1), so a
	// lookup costs one map probe per label rather than a walk over every pattern.
	suffix   map[string][2]int32
	literals []int32             // indexes of [CIDR] patterns, most specific first
	pat      [][]*DomainSettings // [scope][pattern]
	star     []*DomainSettings   // [scope]
}

// Effective returns the settings of the queue for domain (lower-case, trailing dot
// optional) in vMTA vmta, which may also name a pool, or be "" or unknown for the top-level
// settings alone. It does not allocate for lower-case input. The result is shared: do not
// modify it.
func (c *Config) Effective(domain, vmta string) *DomainSettings {
	t := &c.domains
	s := t.scopeIdx[vmta]
	if n := len(domain); n > 0 && domain[n-1] == '.' {
		domain = domain[:n-1]
	}
	if hasUpperASCII(domain) {
		domain = strings.ToLower(domain)
	}
	if i, ok := t.exactIdx[domain]; ok {
		return t.exact[s][i]
	}
	if i := t.patternFor(domain); i >= 0 {
		return t.pat[s][i]
	}
	return t.star[s]
}

// patternFor returns the index of the most specific pattern matching domain, or -1.
func (t *domainTables) patternFor(domain string) int {
	if len(domain) > 0 && domain[0] == '[' {
		for _, i := range t.literals {
			if t.patterns[i].Match(domain) {
				return int(i)
			}
		}
		return -1
	}
	for x := domain; ; {
		if e, ok := t.suffix[x]; ok {
			if len(x) < len(domain) && e[0] > 0 {
				return int(e[0] - 1)
			}
			if e[1] > 0 {
				return int(e[1] - 1)
			}
		}
		i := strings.IndexByte(x, '.')
		if i < 0 {
			return -1
		}
		x = x[i+1:]
	}
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// rank orders layers inside one scope from general to specific.
func layerRank(l *layer) int {
	p := l.pattern
	switch p.Kind {
	case PatternAny:
		return 0
	case PatternExact:
		if l.expanded {
			return 1 << 20
		}
		return 1<<20 + 1
	case PatternLiteral:
		return 1 + p.Prefix.Bits()
	}
	n := 2 * (strings.Count(p.Domain, ".") + 1)
	if p.Kind == PatternSubdomains {
		n++ // *.x matches fewer names than [*.]x
	}
	return 1 + n
}

// implied reports whether q matches every domain whose most specific pattern is p.
func implied(p, q DomainPattern) bool {
	switch {
	case q.Kind == PatternAny:
		return true
	case p.Kind == PatternLiteral || q.Kind == PatternLiteral:
		return p.Kind == q.Kind && q.Prefix.Bits() <= p.Prefix.Bits() && q.Prefix.Contains(p.Prefix.Addr())
	case p.Kind == PatternExact || q.Kind == PatternExact || p.Kind == PatternAny:
		return false
	case p.Domain == q.Domain:
		return p.Kind == q.Kind || q.Kind == PatternDomainAndSubs
	}
	return strings.HasSuffix(p.Domain, "."+q.Domain)
}

// buildDomainTables merges the layers for every scope and every exact domain and pattern.
func buildDomainTables(c *Config, layers []*layer) domainTables {
	t := domainTables{scopeIdx: map[string]int{}, exactIdx: map[string]int{}}
	layers = append([]*layer(nil), layers...) // keep the file order for Dump
	for i, l := range layers {
		l.id = i
	}
	sort.SliceStable(layers, func(i, j int) bool { return layerRank(layers[i]) < layerRank(layers[j]) })
	var exact []string
	seenPat := map[string]bool{}
	for _, l := range layers {
		switch k := l.pattern.Kind; {
		case k == PatternExact:
			if _, ok := t.exactIdx[l.pattern.Domain]; !ok {
				t.exactIdx[l.pattern.Domain] = len(exact)
				exact = append(exact, l.pattern.Domain)
			}
		case k != PatternAny && !seenPat[l.arg]:
			seenPat[l.arg] = true
			t.patterns = append(t.patterns, l.pattern)
		}
	}
	sort.SliceStable(t.patterns, func(i, j int) bool {
		return layerRank(&layer{pattern: t.patterns[i]}) > layerRank(&layer{pattern: t.patterns[j]})
	})
	t.suffix = map[string][2]int32{}
	for i, p := range t.patterns {
		e := t.suffix[p.Domain]
		switch p.Kind {
		case PatternLiteral:
			t.literals = append(t.literals, int32(i))
			continue
		case PatternSubdomains:
			e[0] = int32(i + 1)
		default:
			e[1] = int32(i + 1)
		}
		t.suffix[p.Domain] = e
	}
	chains := scopeChains(c, t.scopeIdx)
	m := merger{memo: map[string]*DomainSettings{}, byScope: map[string][]*layer{}}
	for _, l := range layers {
		m.byScope[l.scope] = append(m.byScope[l.scope], l)
	}
	t.exact = make([][]*DomainSettings, len(chains))
	t.pat = make([][]*DomainSettings, len(chains))
	for s := range chains {
		t.exact[s] = make([]*DomainSettings, len(exact))
		t.pat[s] = make([]*DomainSettings, len(t.patterns))
	}
	// Each target (`*`, an exact domain, a pattern) selects its layers once per scope;
	// the chains then only concatenate.
	fill := func(selected func(DomainPattern) bool, store func(s int, d *DomainSettings)) {
		picked := m.pick(selected)
		for s, chain := range chains {
			store(s, m.merge(chain, picked))
		}
	}
	fill(func(q DomainPattern) bool { return q.Kind == PatternAny }, func(s int, d *DomainSettings) {
		t.star = append(t.star, d)
	})
	for i, d := range exact {
		fill(func(q DomainPattern) bool { return q.Match(d) }, func(s int, r *DomainSettings) { t.exact[s][i] = r })
	}
	for i, p := range t.patterns {
		fill(func(q DomainPattern) bool { return implied(p, q) }, func(s int, r *DomainSettings) { t.pat[s][i] = r })
	}
	return t
}

// scopeChains lists, per scope, the scopes whose layers apply, general first: scope 0 is
// the top level alone, then each pool, then each vMTA after the pools it belongs to. It
// records each name's scope in idx.
func scopeChains(c *Config, idx map[string]int) [][]string {
	chains := [][]string{{""}}
	for _, p := range c.Pools {
		idx[p.Name] = len(chains)
		chains = append(chains, []string{"", p.Name})
	}
	for _, vm := range c.VMTAs {
		chain := []string{""}
		for _, p := range c.Pools {
			for _, m := range p.Members {
				if m == vm {
					chain = append(chain, p.Name)
					break
				}
			}
		}
		idx[vm.Name] = len(chains)
		chains = append(chains, append(chain, vm.Name))
	}
	return chains
}

// merger applies layers to defaults and shares identical results between queues.
type merger struct {
	byScope map[string][]*layer // each sorted by rank
	memo    map[string]*DomainSettings
}

// pick returns, per scope, the layers whose pattern is selected, general first.
func (m *merger) pick(selected func(DomainPattern) bool) map[string][]*layer {
	out := map[string][]*layer{}
	for scope, ls := range m.byScope {
		for _, l := range ls {
			if selected(l.pattern) {
				out[scope] = append(out[scope], l)
			}
		}
	}
	return out
}

// merge applies the picked layers of each scope in chain order onto the defaults.
func (m *merger) merge(chain []string, picked map[string][]*layer) *DomainSettings {
	var key strings.Builder
	for _, scope := range chain {
		for _, l := range picked[scope] {
			key.WriteString(strconv.Itoa(l.id))
			key.WriteByte(',')
		}
	}
	if d, ok := m.memo[key.String()]; ok {
		return d
	}
	d := defaultDomain()
	t := &target{dom: &d}
	for _, scope := range chain {
		for _, l := range picked[scope] {
			for _, o := range l.ops {
				_ = o.e.set(t, o.v) // validated when the block was read
			}
		}
	}
	if !d.backoffMsgRateSet {
		d.BackoffMaxMsgRate = d.MaxMsgRate
	}
	if !d.backoffVolumeRateSet {
		d.BackoffMaxDataVolumeRate = d.MaxDataVolumeRate
	}
	m.memo[key.String()] = &d
	return &d
}

// sourceTables resolves inbound policy: CIDR sources by longest prefix, then the named
// source, then {auth}, each layered over the previous.
type sourceTables struct {
	cidrs  []netip.Prefix // longest first
	names  map[string]int // named source -> index+1
	merged [][][2]*SourceSettings
}

// SourceFor returns the inbound policy for a client at ip, arriving on a listener (or
// smtp-user) bound to the named source name ("" for none; "{pickup}" for pickup), after
// AUTH when auth is set. Unknown names are ignored. The result is shared: do not modify it.
func (c *Config) SourceFor(ip netip.Addr, name string, auth bool) *SourceSettings {
	t := &c.sources
	ip = ip.Unmap()
	ci := len(t.cidrs)
	for i, p := range t.cidrs {
		if p.Contains(ip) {
			ci = i
			break
		}
	}
	a := 0
	if auth {
		a = 1
	}
	return t.merged[ci][t.names[name]][a]
}

func buildSourceTables(layers []*layer) sourceTables {
	t := sourceTables{names: map[string]int{}}
	var named []*layer
	var authL []*layer
	for _, l := range layers {
		switch {
		case l.pattern.Kind == PatternLiteral:
			t.cidrs = append(t.cidrs, l.pattern.Prefix)
		case l.arg == "{auth}":
			authL = append(authL, l)
		default:
			if _, ok := t.names[l.arg]; !ok {
				t.names[l.arg] = len(t.names) + 1
			}
			named = append(named, l)
		}
	}
	sort.SliceStable(t.cidrs, func(i, j int) bool { return t.cidrs[i].Bits() > t.cidrs[j].Bits() })
	t.cidrs = compactPrefixes(t.cidrs)
	for ci := 0; ci <= len(t.cidrs); ci++ {
		var base []*layer
		for _, l := range layers {
			if l.pattern.Kind == PatternLiteral && ci < len(t.cidrs) && implied(
				DomainPattern{Kind: PatternLiteral, Prefix: t.cidrs[ci]}, l.pattern) {
				base = append(base, l)
			}
		}
		sort.SliceStable(base, func(i, j int) bool { return base[i].pattern.Prefix.Bits() < base[j].pattern.Prefix.Bits() })
		row := make([][2]*SourceSettings, len(t.names)+1)
		for ni := range row {
			chain := base
			for _, l := range named {
				if t.names[l.arg] == ni {
					chain = append(chain[:len(chain):len(chain)], l)
				}
			}
			row[ni][0] = mergeSource(chain)
			row[ni][1] = mergeSource(append(chain[:len(chain):len(chain)], authL...))
		}
		t.merged = append(t.merged, row)
	}
	return t
}

func compactPrefixes(p []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, x := range p {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func mergeSource(chain []*layer) *SourceSettings {
	s := defaultSource()
	t := &target{src: &s}
	for _, l := range chain {
		for _, o := range l.ops {
			_ = o.e.set(t, o.v)
		}
	}
	return &s
}

// SuppressionListNames returns every list name a <source> block's
// suppression-lists gives (each once, in no particular order), so a
// caller can check that each names an <address-list>.
func (c *Config) SuppressionListNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, byName := range c.sources.merged {
		for _, byAuth := range byName {
			for _, s := range byAuth {
				if s == nil {
					continue
				}
				for _, n := range s.SuppressionLists {
					if !seen[n] {
						seen[n] = true
						out = append(out, n)
					}
				}
			}
		}
	}
	return out
}
