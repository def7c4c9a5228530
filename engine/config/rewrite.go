package config

// <rewrite-list NAME> (PowerMTA §3.3.18): the MAIL FROM a vMTA or pool
// sends with, rewritten from the one the message came with, e.g. to a
// bounce domain of the sending IP's own, for SPF and DMARC alignment:
//
//	<rewrite-list esp>
//	    mail-from *@customer.example *@bounces.esp.example
//	    mail-from news@brand.example bounce-news@esp.example
//	</rewrite-list>
//
// The first line that matches wins; a '*' in the pattern matches any text
// (at most one), which a '*' in the target repeats. The null sender is
// never rewritten: a bounce stays a bounce.

import "strings"

// RewriteList is one <rewrite-list> block.
type RewriteList struct {
	Name     string
	Pos      Pos
	MailFrom []AddressRewrite
}

// AddressRewrite is one mail-from line.
type AddressRewrite struct {
	Pos      Pos
	From, To string
}

// AppendMailFrom appends from as the list rewrites it (unchanged when no
// line matches, or l is nil) to dst.
func (l *RewriteList) AppendMailFrom(dst []byte, from string) []byte {
	if l == nil || from == "" {
		return append(dst, from...)
	}
	for i := range l.MailFrom {
		r := &l.MailFrom[i]
		if star, ok := globMatch(r.From, from); ok {
			pre, post, sub := strings.Cut(r.To, "*")
			dst = append(dst, pre...)
			if sub {
				dst = append(dst, star...)
				dst = append(dst, post...)
			}
			return dst
		}
	}
	return append(dst, from...)
}

// globMatch matches s against a pattern with at most one '*', ignoring
// case, and returns what the '*' matched.
func globMatch(pattern, s string) (string, bool) {
	pre, post, star := strings.Cut(pattern, "*")
	if !star {
		return "", strings.EqualFold(pattern, s)
	}
	if len(s) < len(pre)+len(post) || !strings.EqualFold(s[:len(pre)], pre) || !strings.EqualFold(s[len(s)-len(post):], post) {
		return "", false
	}
	return s[len(pre) : len(s)-len(post)], true
}

// RewriteList returns the named <rewrite-list>, or nil.
func (c *Config) RewriteList(name string) *RewriteList { return c.rewriteByName[name] }

func (b *modelBuilder) rewriteList(blk *Block) {
	if !b.listBlock(blk, b.c.rewriteByName[blk.Arg] != nil) {
		return
	}
	l := &RewriteList{Name: blk.Arg, Pos: blk.Pos}
	for _, d := range blk.Directives {
		switch strings.ToLower(d.Name) {
		case "mail-from":
			f := strings.Fields(d.Value)
			if len(f) != 2 || strings.Count(f[0], "*") > 1 || strings.Count(f[1], "*") > 1 ||
				(strings.Contains(f[1], "*") && !strings.Contains(f[0], "*")) || !strings.Contains(f[1], "@") {
				b.problem(d.Pos, "mail-from: expected PATTERN TARGET like *@customer.example *@bounces.esp.example "+
					"(at most one * in each, and one in TARGET only with one in PATTERN), got "+quoted(d.Value))
				continue
			}
			l.MailFrom = append(l.MailFrom, AddressRewrite{Pos: d.Pos, From: f[0], To: f[1]})
		case "from-domain":
			b.problem(d.Pos, "from-domain: not supported: Volley signs a message when it receives it, and a From "+
				"rewritten at delivery would break its DKIM signature; delete the line")
		default:
			b.problem(d.Pos, d.Name+": expected mail-from PATTERN TARGET")
		}
	}
	b.c.RewriteLists = append(b.c.RewriteLists, l)
	b.c.rewriteByName[l.Name] = l
}

// linkRewrites resolves the rewrite-list lines of vMTAs and pools.
func (b *modelBuilder) linkRewrites() {
	find := func(name string, pos Pos, who string) *RewriteList {
		if name == "" {
			return nil
		}
		l := b.c.rewriteByName[name]
		if l == nil {
			b.problem(pos, who+": rewrite-list: unknown list "+quoted(name)+"; define <rewrite-list "+name+">")
		}
		return l
	}
	for _, vm := range b.c.VMTAs {
		vm.Rewrite = find(vm.RewriteList, vm.Pos, "virtual-mta "+vm.Name)
	}
	for _, p := range b.c.Pools {
		p.Rewrite = find(p.RewriteList, p.Pos, "virtual-mta-pool "+p.Name)
	}
}
