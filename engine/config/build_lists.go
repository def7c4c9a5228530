package config

// Build, continued: the list-like blocks (reply patterns, bounce categories, rollups,
// accounting files, address lists, processors) and the cross-reference checks that need the
// whole file first.

import (
	"strings"
)

// splitRegexLine splits "/RE/ rest" at the last slash, since the regex may contain spaces.
func splitRegexLine(v string) (re, rest string, ok bool) {
	i := strings.LastIndexByte(v, '/')
	if !strings.HasPrefix(v, "/") || i < 1 {
		return "", "", false
	}
	return v[:i+1], strings.TrimSpace(v[i+1:]), true
}

// listBlock checks a named list block's head: no nested blocks, a name,
// and one not taken by an earlier block of its kind.
func (b *modelBuilder) listBlock(blk *Block, taken bool) bool {
	b.noNested(blk)
	if !b.needArg(blk, "a name") {
		return false
	}
	if taken {
		b.problem(blk.Pos, "duplicate "+blk.Kind+" "+quoted(blk.Arg))
		return false
	}
	return true
}

func (b *modelBuilder) patternList(blk *Block) {
	if !b.listBlock(blk, b.c.patternByName[blk.Arg] != nil) {
		return
	}
	l := &SMTPPatternList{Name: blk.Arg, Pos: blk.Pos}
	for _, d := range blk.Directives {
		if d.Name != "reply" {
			b.apply(d, bPatterns, nil)
			continue
		}
		rule, err := parseReplyRule(d.Value)
		if err != "" {
			b.problem(d.Pos, "reply: "+err)
			continue
		}
		rule.Pos = d.Pos
		l.Rules = append(l.Rules, rule)
	}
	b.c.PatternLists = append(b.c.PatternLists, l)
	b.c.patternByName[l.Name] = l
}

// parseReplyRule parses "/RE/ ACTION[,ACTION...]" and rejects PowerMTA's illegal
// combinations (reference §2.6).
func parseReplyRule(v string) (ReplyRule, string) {
	reText, acts, ok := splitRegexLine(v)
	if !ok || acts == "" {
		return ReplyRule{}, "expected /REGEX/ ACTION[,ACTION...], got " + quoted(v)
	}
	re, err := ParseRegex(reText)
	if err != nil {
		return ReplyRule{}, err.Error()
	}
	r := ReplyRule{Regexp: re, text: reText}
	a := &r.Action
	reenable := false
	for _, s := range strings.Split(acts, ",") {
		s = strings.ToLower(strings.TrimSpace(s))
		switch {
		case s == "mode=backoff" || s == "mode=normal":
			m := ModeBackoff
			if s == "mode=normal" {
				m = ModeNormal
			}
			if a.Mode != ModeUnchanged && a.Mode != m {
				return r, "mode=backoff and mode=normal cannot be combined"
			}
			a.Mode = m
		case s == "skip-mx":
			a.SkipMX = true
		case s == "bounce-queue":
			a.BounceQueue = true
		case s == "bounce-rcpt":
			a.BounceRcpt = true
		case s == "defer-queue":
			a.DeferQueue = true
		case s == "disable-source-ip":
			a.DisableSourceIP = true
		case strings.HasPrefix(s, "reenable-after="):
			d, err := cInterval.parse(s[len("reenable-after="):])
			if err != nil {
				return r, "reenable-after: " + err.Error()
			}
			a.ReenableAfter, reenable = d, true
		default:
			return r, "expected actions from mode=backoff, mode=normal, skip-mx, bounce-queue, bounce-rcpt, defer-queue, disable-source-ip, reenable-after=INTERVAL, got " + quoted(s)
		}
	}
	if a.SkipMX && a.BounceQueue {
		return r, "skip-mx and bounce-queue cannot be combined"
	}
	if reenable && !a.DisableSourceIP {
		return r, "reenable-after needs disable-source-ip"
	}
	return r, ""
}

// String returns the actions in config syntax, e.g. "mode=backoff,skip-mx".
func (a ReplyAction) String() string {
	var out []string
	if a.Mode != ModeUnchanged {
		out = append(out, "mode="+a.Mode.String())
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{a.SkipMX, "skip-mx"}, {a.BounceQueue, "bounce-queue"}, {a.BounceRcpt, "bounce-rcpt"},
		{a.DeferQueue, "defer-queue"}, {a.DisableSourceIP, "disable-source-ip"}} {
		if f.on {
			out = append(out, f.name)
		}
	}
	if a.ReenableAfter > 0 {
		out = append(out, "reenable-after="+canonInterval(a.ReenableAfter))
	}
	return strings.Join(out, ",")
}

// bounceCategories reads `/RE/ category` lines; the syntax layer gives them Name "" and the
// whole line as Value.
func (b *modelBuilder) bounceCategories(blk *Block) {
	b.noNested(blk)
	if b.c.BounceCategories != nil {
		b.problem(blk.Pos, "<bounce-category-patterns> may appear only once")
		return
	}
	b.c.BounceCategories = []BounceCategory{}
	b.c.BounceCategoriesWritten = true
	for _, d := range blk.Directives {
		line := d.Value
		if d.Name != "" {
			line = strings.TrimSpace(d.Name + " " + d.Value)
		}
		c, err := parseBounceCategory(line)
		if err != "" {
			b.problem(d.Pos, err)
			continue
		}
		b.c.BounceCategories = append(b.c.BounceCategories, c)
	}
}

func parseBounceCategory(line string) (BounceCategory, string) {
	reText, cat, ok := splitRegexLine(line)
	if !ok || cat == "" || strings.ContainsAny(cat, " \t") {
		return BounceCategory{}, "expected /REGEX/ CATEGORY, got " + quoted(line)
	}
	re, err := ParseRegex(reText)
	if err != nil {
		return BounceCategory{}, err.Error()
	}
	return BounceCategory{Regexp: re, Category: strings.ToLower(cat), text: reText}, ""
}

// defaultBounceCategories is PowerMTA's shipped list in brief (reference §2.7 and §4.1),
// used when the config has no <bounce-category-patterns> block.
func defaultBounceCategories() []BounceCategory {
	lines := []string{
		`/spam/ spam-related`, `/junk mail/ spam-related`, `/blacklist/ spam-related`,
		`/blocked/ spam-related`, `/\bvirus\b/ virus-related`,
		`/message +content/ content-related`, `/content +rejected/ content-related`,
		`/quota/ quota-issues`, `/limit exceeded/ quota-issues`, `/mailbox +(is +)?full/ quota-issues`,
		`/\bstorage\b/ quota-issues`, `/(user|mailbox|recipient|rcpt|local part|address|account|name) +(is +)?unknown/ bad-mailbox`,
		`/no such (user|mailbox|recipient|address)/ bad-mailbox`, `/inactive/ inactive-mailbox`,
		`/disabled/ inactive-mailbox`, `/relay/ relaying-issues`, `/routing/ routing-errors`,
		`/^[45]\.1\.1/ bad-mailbox`, `/^[45]\.1\.2/ bad-domain`, `/^[45]\.3\.5/ bad-configuration`,
		`/^[45]\.4\.1/ no-answer-from-host`, `/^[45]\.4\.2/ bad-connection`, `/^[45]\.4\.4/ routing-errors`,
		`/^[45]\.4\.6/ routing-errors`, `/^[45]\.4\.7/ message-expired`, `/^[45]\.7\.1/ policy-related`,
		`/^[45]\.1\.[78]/ invalid-sender`, `/^[45]\.2\.2/ quota-issues`, `/^[45]\.5\.\d/ protocol-errors`,
		`// other`,
	}
	out := make([]BounceCategory, 0, len(lines))
	for _, l := range lines {
		c, _ := parseBounceCategory(l)
		out = append(out, c)
	}
	return out
}

func (b *modelBuilder) acctFile(blk *Block) {
	b.noNested(blk)
	if !b.needArg(blk, "a file path or a |program") {
		return
	}
	a := defaultAcctFile()
	a.Path = blk.Arg
	b.applyAll(blk, bAcct, &target{acct: &a})
	b.c.AcctFiles = append(b.c.AcctFiles, &a)
}

func (b *modelBuilder) addressList(blk *Block) *AddressList {
	b.noNested(blk)
	if !b.needArg(blk, "a list name") {
		return nil
	}
	l := &AddressList{Name: blk.Arg}
	b.applyAll(blk, bAddrList, &target{al: l})
	return l
}

func (b *modelBuilder) processor(blk *Block) {
	p := &Processor{DeliverUnmatchedEmail: true}
	b.applyAll(blk, bProc, &target{proc: p})
	b.noNested(blk, "address-list")
	for _, n := range blk.Blocks {
		if n.Kind != "address-list" {
			continue
		}
		if n.Arg == "" {
			n = &Block{Kind: n.Kind, Arg: "addresses", Pos: n.Pos, Directives: n.Directives, Blocks: n.Blocks}
		}
		if l := b.addressList(n); l != nil {
			p.AddressLists = append(p.AddressLists, l)
		}
	}
	dst := &b.c.BounceProcessor
	if blk.Kind == "feedback-loop-processor" {
		dst = &b.c.FeedbackLoopProcessor
	}
	if *dst != nil {
		b.problem(blk.Pos, "<"+blk.Kind+"> may appear only once")
		return
	}
	*dst = p
}

// rollups reads `mx PATTERN NAME.rollup [rollup-by-ip]` lines.
func (b *modelBuilder) rollups(blk *Block) {
	b.noNested(blk)
	for _, d := range blk.Directives {
		if d.Name != "mx" {
			b.apply(d, bRollup, nil)
			continue
		}
		f := strings.Fields(d.Value)
		if len(f) < 2 || len(f) > 3 || !strings.HasSuffix(f[1], ".rollup") || (len(f) == 3 && f[2] != "rollup-by-ip") {
			b.problem(d.Pos, "mx: expected MXHOST NAME.rollup [rollup-by-ip], got "+quoted(d.Value))
			continue
		}
		p, err := ParseDomainPattern(f[0])
		if err != nil {
			b.problem(d.Pos, "mx: "+err.Error())
			continue
		}
		b.c.MXRollups = append(b.c.MXRollups, MXRollup{MX: p, Queue: strings.ToLower(f[1]), ByIP: len(f) == 3})
	}
}

// link resolves names that may be written before the block they name: pool members,
// default-virtual-mta, smtp-pattern-list, listener and user sources, cold vMTAs.
func (b *modelBuilder) link() {
	for _, p := range b.c.Pools {
		for _, d := range p.memberNames {
			vm := b.c.vmtaByName[d.Value]
			if vm == nil {
				pos := d.Pos
				if pos.Line == 0 {
					pos = p.Pos
				}
				b.problem(pos, "virtual-mta-pool "+p.Name+": unknown virtual-mta "+quoted(d.Value))
				continue
			}
			p.Members = append(p.Members, vm)
		}
	}
	named := map[string]bool{}
	for _, l := range b.c.sourceBlocks {
		if l.pattern.Kind != PatternLiteral {
			named[l.arg] = true
		}
	}
	for _, l := range b.c.Global.Listeners {
		if l.Source != "" && !named[l.Source] {
			b.problem(l.Pos, "smtp-listener: unknown source "+quoted(l.Source)+"; define <source "+l.Source+">")
		}
	}
	for _, u := range b.c.SMTPUsers {
		if u.Source != "" && !named[u.Source] {
			b.problem(u.Pos, "smtp-user "+u.Name+": unknown source "+quoted(u.Source))
		}
	}
	b.linkLayers()
	b.linkProxies()
	b.linkSourceGroups()
	b.linkRewrites()
	b.indexAliases()
	b.checkTransmissions()
}

// linkLayers checks the names used inside <source> and <domain> blocks.
func (b *modelBuilder) linkLayers() {
	known := b.c.KnownVMTA
	for _, l := range b.c.sourceBlocks {
		for _, o := range l.ops {
			if o.e.name == "default-virtual-mta" && o.v != "by-smtp-source-ip" && !known(o.v) {
				b.problem(o.pos, "default-virtual-mta: unknown virtual-mta or pool "+quoted(o.v))
			}
		}
	}
	seen := map[*layerOp]bool{}
	for _, l := range b.domains {
		for i := range l.ops {
			o := &l.ops[i]
			if seen[o] {
				continue // macro-expanded layers share ops; report once
			}
			seen[o] = true
			switch o.e.name {
			case "smtp-pattern-list":
				if b.c.patternByName[o.v] == nil {
					b.problem(o.pos, "smtp-pattern-list: unknown list "+quoted(o.v))
				}
			case "reroute-to-virtual-mta", "backoff-reroute-to-virtual-mta":
				if !known(o.v) {
					b.problem(o.pos, o.e.name+": unknown virtual-mta or pool "+quoted(o.v))
				}
			}
		}
	}
	for _, l := range b.c.sourceBlocks {
		for _, o := range l.ops {
			if o.e.name == "pattern-list" && b.c.vmtaPatterns[o.v] == nil {
				b.problem(o.pos, "pattern-list: unknown list "+quoted(o.v)+"; define <pattern-list "+o.v+">")
			}
		}
	}
	for _, pl := range b.c.VMTAPatternLists {
		for _, e := range pl.Entries {
			if !known(e.VMTA) {
				b.problem(e.Pos, "pattern-list "+pl.Name+": unknown virtual-mta or pool "+quoted(e.VMTA))
			}
		}
	}
	for _, vm := range b.c.VMTAs {
		for _, c := range vm.ColdVirtualMTAs {
			if !known(c) {
				b.problem(vm.Pos, "cold-virtual-mta: unknown virtual-mta "+quoted(c))
			}
		}
	}
}
