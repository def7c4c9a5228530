package config

// Build turns the syntax tree into the typed model. It never stops at the first problem: a
// user fixing a migrated PowerMTA config wants every bad line in one run.

import (
	"net/netip"
	"sort"
	"strings"
)

// layerOp is one validated directive of a <domain> or <source> block, replayed onto merged
// settings during resolution.
type layerOp struct {
	e   *dirEntry
	v   string
	pos Pos
}

// layer is one <domain> or <source> block as written: where it applies and what it sets.
type layer struct {
	arg     string        // the block argument after macro expansion
	pattern DomainPattern // <domain> only
	scope   string        // "" for top level, else the vMTA or pool name
	// expanded marks a <domain> produced by a domain-macro; an explicitly written block
	// for the same domain takes precedence over it.
	expanded bool
	pos      Pos
	ops      []layerOp
	id       int // position in file order; names the layer in merge keys
}

type modelBuilder struct {
	c      *Config
	probs  []Problem
	table  map[string][]*dirEntry
	macros map[string][]string
	// domains holds every <domain> layer; vmtaDomains and poolDomains count per scope.
	domains []*layer
	dups    map[string]Pos
}

// Build checks the tree and builds an immutable Config. Problems are returned in file
// order; the Config is nil when there is at least one.
func Build(root *Block) (*Config, []Problem) {
	b := &modelBuilder{
		c: &Config{
			Global:        defaultGlobal(),
			DNS:           defaultDNS(),
			vmtaByName:    map[string]*VirtualMTA{},
			poolByName:    map[string]*Pool{},
			patternByName: map[string]*SMTPPatternList{},
			vmtaPatterns:  map[string]*VMTAPatternList{},
			proxyByName:   map[string]*Proxy{},
			groupByName:   map[string]*SourceGroup{},
			rewriteByName: map[string]*RewriteList{},
			userByName:    map[string]*SMTPUser{},
			listByName:    map[string]*AddressList{},
			DomainMacros:  map[string][]string{},
		},
		table: map[string][]*dirEntry{},
		dups:  map[string]Pos{},
	}
	tbl := directiveTable()
	for i := range tbl {
		b.table[tbl[i].name] = append(b.table[tbl[i].name], &tbl[i])
	}
	b.collectMacros(root)
	b.topDirectives(root)
	if g := &b.c.Global; g.oldSMTPIP.IsValid() || g.oldSMTPPort != 0 {
		// The old smtp-ip / smtp-port lines (reference §2.2): one more
		// listener, on the IP (every address) and port (25) they name.
		ip, port := g.oldSMTPIP, g.oldSMTPPort
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		if port == 0 {
			port = 25
		}
		g.Listeners = append(g.Listeners, Listener{Addr: netip.AddrPortFrom(ip, uint16(port)), Pos: g.oldSMTPPos})
	}
	for _, blk := range root.Blocks {
		b.topBlock(blk)
	}
	if len(b.c.Global.Listeners) == 0 { // PowerMTA listens on every address, port 25
		b.c.Global.Listeners = []Listener{{Addr: netip.AddrPortFrom(netip.IPv4Unspecified(), 25)}}
	}
	b.link()
	b.recordKeyLines(root)
	if b.c.BounceCategories == nil {
		b.c.BounceCategories = defaultBounceCategories()
	}
	b.c.domainBlocks = b.domains
	b.c.domains = buildDomainTables(b.c, b.domains)
	b.c.sources = buildSourceTables(b.c.sourceBlocks)
	if len(b.probs) > 0 {
		sortProblems(b.probs)
		return nil, b.probs
	}
	return b.c, nil
}

// sortProblems orders problems by line within each file; files rank by their first
// problem, which follows include order.
func sortProblems(probs []Problem) {
	rank := map[string]int{}
	for _, p := range probs {
		if _, ok := rank[p.Pos.File]; !ok {
			rank[p.Pos.File] = len(rank)
		}
	}
	sort.SliceStable(probs, func(i, j int) bool {
		pi, pj := probs[i].Pos, probs[j].Pos
		if pi.File != pj.File {
			return rank[pi.File] < rank[pj.File]
		}
		return pi.Line < pj.Line
	})
}

func (b *modelBuilder) problem(p Pos, msg string) {
	b.probs = append(b.probs, Problem{Pos: p, Msg: msg})
}

// apply finds the table row for d in a block of kind where and runs its setter on t. It
// reports unknown directives, directives in the wrong block and bad values.
func (b *modelBuilder) apply(d Directive, where blockSet, t *target) *dirEntry {
	rows := b.table[d.Name]
	if len(rows) == 0 {
		b.problem(d.Pos, "unknown directive "+quoted(d.Name)+didYouMean(d.Name, b.directiveNames))
		return nil
	}
	var allowed blockSet
	for _, e := range rows {
		if e.blocks&where == 0 {
			allowed |= e.blocks
			continue
		}
		if e.set == nil {
			return nil
		}
		if err := e.set(t, d.Value); err != nil {
			b.problem(d.Pos, d.Name+": "+err.Error())
			return nil
		}
		return e
	}
	in := "in " + where.String()
	if where == bGlobal {
		in = "at the top level"
	}
	b.problem(d.Pos, "directive "+quoted(d.Name)+" is not allowed "+in+"; it belongs in "+allowed.String())
	return nil
}

func (b *modelBuilder) applyAll(blk *Block, where blockSet, t *target) {
	for _, d := range blk.Directives {
		b.apply(d, where, t)
	}
}

// collectMacros reads every top-level domain-macro first, so a <domain $NAME> may come
// before the macro's line, and expands macros that refer to other macros.
func (b *modelBuilder) collectMacros(root *Block) {
	raw := map[string]Directive{}
	for _, d := range root.Directives {
		if d.Name != "domain-macro" {
			continue
		}
		name, list, ok := strings.Cut(d.Value, " ")
		list = strings.TrimSpace(list)
		if !ok || name == "" || list == "" {
			b.problem(d.Pos, "domain-macro: expected NAME DOMAIN[,DOMAIN...], got "+quoted(d.Value))
			continue
		}
		raw[name] = Directive{Value: list, Pos: d.Pos}
	}
	for name, d := range raw {
		out, err := expandMacroList(raw, d.Value, 0)
		if err != "" {
			b.problem(d.Pos, "domain-macro "+name+": "+err)
			continue
		}
		b.c.DomainMacros[name] = out
	}
	b.macros = b.c.DomainMacros
}

func expandMacroList(raw map[string]Directive, list string, depth int) ([]string, string) {
	if depth > 8 {
		return nil, "macros nest too deeply (a macro refers to itself?)"
	}
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		i := strings.IndexByte(item, '$')
		if i < 0 {
			out = append(out, strings.ToLower(item))
			continue
		}
		d, ok := raw[item[i+1:]]
		if !ok {
			return nil, "unknown macro " + quoted(item[i:])
		}
		sub, err := expandMacroList(raw, d.Value, depth+1)
		if err != "" {
			return nil, err
		}
		for _, s := range sub {
			out = append(out, strings.ToLower(item[:i])+s)
		}
	}
	return out, ""
}

// topDirectives applies the top-level directives to Global.
func (b *modelBuilder) topDirectives(root *Block) {
	t := &target{g: &b.c.Global}
	for _, d := range root.Directives {
		switch d.Name {
		case "domain-macro":
			continue
		case "spool": // the old one-line form of <spool DIR>
			if d.Value == "" {
				b.problem(d.Pos, "spool: expected a directory, got nothing")
				continue
			}
			b.c.Spools = append(b.c.Spools, &Spool{Dir: d.Value, Priority: 1})
			continue
		}
		b.apply(d, bGlobal, t)
		switch {
		case d.Name == "smtp-listener" && len(b.c.Global.Listeners) > 0:
			b.c.Global.Listeners[len(b.c.Global.Listeners)-1].Pos = d.Pos
		case d.Name == "smtp-ip" || d.Name == "smtp-port":
			b.c.Global.oldSMTPPos = d.Pos
		case d.Name == "use-proxy":
			b.c.Global.useProxyPos = d.Pos
		case d.Name == "alias" && len(b.c.Global.Aliases) > len(b.c.Global.aliasPos):
			b.c.Global.aliasPos = append(b.c.Global.aliasPos, d.Pos)
		}
	}
}

// noNested reports blocks nested where none are allowed.
func (b *modelBuilder) noNested(blk *Block, allowed ...string) {
	for _, n := range blk.Blocks {
		ok := false
		for _, a := range allowed {
			ok = ok || n.Kind == a
		}
		if !ok {
			b.problem(n.Pos, "block <"+n.Kind+"> is not allowed inside <"+blk.Kind+">")
		}
	}
}

// needArg reports a block that lacks its argument.
func (b *modelBuilder) needArg(blk *Block, what string) bool {
	if blk.Arg == "" {
		b.problem(blk.Pos, "<"+blk.Kind+">: expected "+what+" after the block name")
		return false
	}
	return true
}

func (b *modelBuilder) topBlock(blk *Block) {
	switch blk.Kind {
	case "spool":
		if b.needArg(blk, "a directory") {
			sp := &Spool{Dir: blk.Arg, Priority: 1}
			b.applyAll(blk, bSpool, &target{sp: sp})
			b.c.Spools = append(b.c.Spools, sp)
		}
		b.noNested(blk)
	case "source":
		b.source(blk)
	case "smtp-user":
		b.smtpUser(blk)
	case "virtual-mta":
		b.vmta(blk)
	case "virtual-mta-pool":
		b.pool(blk)
	case "domain":
		b.domain(blk, "")
	case "smtp-pattern-list":
		b.patternList(blk)
	case "pattern-list":
		b.vmtaPatternList(blk)
	case "proxy":
		b.proxy(blk)
	case "smtp-listener":
		b.listenerBlock(blk)
	case "source-group":
		b.sourceGroup(blk)
	case "rewrite-list":
		b.rewriteList(blk)
	case "transmissions-api":
		b.transmissionsAPI(blk)
	case "dns":
		b.dnsBlock(blk)
	case "transmissions-api-listener":
		b.transmissionsListener(blk)
	case "bounce-category-patterns":
		b.bounceCategories(blk)
	case "acct-file":
		b.acctFile(blk)
	case "address-list":
		if l := b.addressList(blk); l != nil {
			b.c.AddressLists = append(b.c.AddressLists, l)
			b.c.listByName[l.Name] = l
		}
	case "bounce-processor", "feedback-loop-processor":
		b.processor(blk)
	case "mx-rollup-list":
		b.rollups(blk)
	default:
		b.problem(blk.Pos, "unknown block <"+blk.Kind+">"+didYouMean(blk.Kind, blockNames))
	}
}

// claimName reports a second vMTA or pool of the same name: they share one namespace
// because X-Virtual-MTA may name either.
func (b *modelBuilder) claimName(blk *Block) bool {
	if !b.needArg(blk, "a name") {
		return false
	}
	if p, ok := b.dups[blk.Arg]; ok {
		b.problem(blk.Pos, "duplicate virtual-mta or pool name "+quoted(blk.Arg)+" (first defined at "+p.String()+")")
		return false
	}
	b.dups[blk.Arg] = blk.Pos
	return true
}

// listenerBlock is the block form of smtp-listener (PowerMTA §3.3.17).
func (b *modelBuilder) listenerBlock(blk *Block) {
	addr, ok := b.addrBlock(blk)
	if !ok {
		return
	}
	l := Listener{Addr: addr, Pos: blk.Pos}
	b.applyAll(blk, bListener, &target{listener: &l})
	if l.ImmediateTLS && l.TLSCertificate == "" && b.c.Global.TLSCertificate == "" {
		b.problem(blk.Pos, "<smtp-listener "+blk.Arg+">: immediate-tls needs a tls-certificate line or smtp-server-tls-certificate")
	}
	b.c.Global.Listeners = append(b.c.Global.Listeners, l)
}

// addrBlock checks a block whose argument is a listening address (the
// listeners' blocks) and parses it.
func (b *modelBuilder) addrBlock(blk *Block) (netip.AddrPort, bool) {
	b.noNested(blk)
	if !b.needArg(blk, "an address IP:PORT") {
		return netip.AddrPort{}, false
	}
	addr, err := parseListenAddr(blk.Arg)
	if err != nil {
		b.problem(blk.Pos, "<"+blk.Kind+">: "+err.Error())
		return netip.AddrPort{}, false
	}
	return addr, true
}

func (b *modelBuilder) vmta(blk *Block) {
	if !b.claimName(blk) {
		return
	}
	vm := &VirtualMTA{Name: blk.Arg, Pos: blk.Pos}
	b.applyAll(blk, bVMTA, &target{vm: vm})
	b.nestedDomains(blk, vm.Name)
	b.c.VMTAs = append(b.c.VMTAs, vm)
	b.c.vmtaByName[vm.Name] = vm
}

func (b *modelBuilder) pool(blk *Block) {
	if !b.claimName(blk) {
		return
	}
	p := &Pool{Name: blk.Arg, Pos: blk.Pos}
	for _, d := range blk.Directives {
		if e := b.apply(d, bPool, &target{pool: p}); e != nil && d.Name == "virtual-mta" {
			p.memberNames[len(p.memberNames)-1].Pos = d.Pos
		}
	}
	b.nestedDomains(blk, p.Name)
	b.c.Pools = append(b.c.Pools, p)
	b.c.poolByName[p.Name] = p
}

func (b *modelBuilder) nestedDomains(blk *Block, scope string) {
	b.noNested(blk, "domain")
	for _, n := range blk.Blocks {
		if n.Kind == "domain" {
			b.domain(n, scope)
		}
	}
}

// domain validates a <domain> block and records one layer per domain it stands for
// (several when the pattern uses a domain-macro).
func (b *modelBuilder) domain(blk *Block, scope string) {
	b.noNested(blk)
	if !b.needArg(blk, "a domain pattern") {
		return
	}
	scratch := defaultDomain()
	var ops []layerOp
	for _, d := range blk.Directives {
		if e := b.apply(d, bDomain, &target{dom: &scratch}); e != nil {
			ops = append(ops, layerOp{e, d.Value, d.Pos})
		}
	}
	args, expanded := []string{blk.Arg}, false
	if i := strings.IndexByte(blk.Arg, '$'); i >= 0 {
		list, ok := b.macros[blk.Arg[i+1:]]
		if !ok {
			b.problem(blk.Pos, "<domain>: unknown domain-macro "+quoted(blk.Arg[i:]))
			return
		}
		args, expanded = nil, true
		for _, m := range list {
			args = append(args, blk.Arg[:i]+m)
		}
	}
	for _, a := range args {
		p, err := ParseDomainPattern(a)
		if err != nil {
			b.problem(blk.Pos, "<domain>: "+err.Error())
			continue
		}
		b.domains = append(b.domains, &layer{arg: p.String(), pattern: p, scope: scope, expanded: expanded, pos: blk.Pos, ops: ops})
	}
}

// source validates a <source> block; its argument is a CIDR, a bare IP, a name, or one of
// the reserved names {auth}, {pickup}, {transmissions-api}.
func (b *modelBuilder) source(blk *Block) {
	b.noNested(blk)
	if !b.needArg(blk, "a CIDR or a source name") {
		return
	}
	scratch := defaultSource()
	l := &layer{arg: blk.Arg, pos: blk.Pos}
	if p, err := ParsePrefix(blk.Arg); err == nil {
		l.arg, l.pattern = p.String(), DomainPattern{Kind: PatternLiteral, Prefix: p}
	} else if strings.HasPrefix(blk.Arg, "{") && !isReservedSource(blk.Arg) {
		b.problem(blk.Pos, "<source>: expected a CIDR, a name, {auth}, {pickup} or {transmissions-api}, got "+quoted(blk.Arg))
		return
	}
	for _, d := range blk.Directives {
		if e := b.apply(d, bSource, &target{src: &scratch}); e != nil {
			l.ops = append(l.ops, layerOp{e, d.Value, d.Pos})
		}
	}
	b.c.sourceBlocks = append(b.c.sourceBlocks, l)
}

func isReservedSource(s string) bool {
	return s == "{auth}" || s == "{pickup}" || s == "{transmissions-api}"
}

func (b *modelBuilder) smtpUser(blk *Block) {
	b.noNested(blk)
	if !b.needArg(blk, "a user name") {
		return
	}
	u := &SMTPUser{Name: blk.Arg, Pos: blk.Pos}
	b.applyAll(blk, bUser, &target{user: u})
	if _, dup := b.c.userByName[u.Name]; dup {
		b.problem(blk.Pos, "duplicate smtp-user "+quoted(u.Name))
		return
	}
	b.c.SMTPUsers = append(b.c.SMTPUsers, u)
	b.c.userByName[u.Name] = u
}

func quoted(s string) string { return `"` + s + `"` }
