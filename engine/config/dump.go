package config

// Dump prints the model back as config text: one `name value` line per setting, in the
// directive table's order, values in canonical form. The output is itself a valid config,
// so golden tests can check that Dump(Load(Dump(x))) == Dump(x).

import (
	"sort"
	"strings"
)

// aliasOf maps an alternative directive name to the one Dump prints.
var aliasOf = map[string]string{
	"max-rcpt-per-transaction": "max-rcpt-per-message",
	"route":                    "smtp-hosts",
	"max-connections":          "max-smtp-in",
	"max-msg-per-hour":         "max-msg-rate",
	"backoff-max-msg-per-hour": "backoff-max-msg-rate",
}

type dumper struct {
	b     strings.Builder
	table []dirEntry
}

func newDumper() *dumper { return &dumper{table: directiveTable()} }

// rows writes every directive of kind where; with only non-nil, just the names in it.
func (d *dumper) rows(indent string, where blockSet, t *target, only map[string]bool) {
	for i := range d.table {
		e := &d.table[i]
		if e.blocks&where == 0 || e.get == nil || aliasOf[e.name] != "" || (only != nil && !only[e.name]) {
			continue
		}
		for _, v := range e.get(t) {
			if strings.TrimSpace(v) == "" {
				continue
			}
			d.line(indent, e.name+" "+v)
		}
	}
}

// block writes a top-level block of table rows: <kind arg> ... </kind>.
func (d *dumper) block(kind, arg string, where blockSet, t *target) {
	if arg != "" {
		arg = " " + arg
	}
	d.line("", "<"+kind+arg+">")
	d.rows("    ", where, t, nil)
	d.line("", "</"+kind+">")
}

func (d *dumper) line(indent, s string) {
	d.b.WriteString(indent)
	d.b.WriteString(s)
	d.b.WriteByte('\n')
}

// layer writes the directives a <domain> or <source> block sets, as its merged result.
func (d *dumper) layer(indent, kind string, l *layer) {
	d.line(indent, "<"+kind+" "+l.arg+">")
	only := map[string]bool{}
	var t target
	if kind == "domain" {
		dom := defaultDomain()
		t.dom = &dom
	} else {
		src := defaultSource()
		t.src = &src
	}
	for _, o := range l.ops {
		_ = o.e.set(&t, o.v)
		name := o.e.name
		if a := aliasOf[name]; a != "" {
			name = a
		}
		only[name] = true
	}
	where := bDomain
	if kind == "source" {
		where = bSource
	}
	d.rows(indent+"    ", where, &t, only)
	d.line(indent, "</"+kind+">")
}

// Dump returns the whole model as canonical config text.
func (c *Config) Dump() string {
	d := newDumper()
	g := c.Global
	d.rows("", bGlobal, &target{g: &g}, nil)
	names := make([]string, 0, len(c.DomainMacros))
	for n := range c.DomainMacros {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d.line("", "domain-macro "+n+" "+strings.Join(c.DomainMacros[n], ","))
	}
	for i := range c.Global.Listeners {
		if l := &c.Global.Listeners[i]; l.blockOnly() {
			d.block("smtp-listener", l.Addr.String(), bListener, &target{listener: l})
		}
	}
	for _, sp := range c.Spools {
		d.block("spool", sp.Dir, bSpool, &target{sp: sp})
	}
	for _, l := range c.sourceBlocks {
		d.layer("", "source", l)
	}
	for _, u := range c.SMTPUsers {
		d.block("smtp-user", u.Name, bUser, &target{user: u})
	}
	for _, vm := range c.VMTAs {
		d.line("", "<virtual-mta "+vm.Name+">")
		d.rows("    ", bVMTA, &target{vm: vm}, nil)
		d.scopeDomains(c, vm.Name)
		d.line("", "</virtual-mta>")
	}
	for _, p := range c.Pools {
		d.line("", "<virtual-mta-pool "+p.Name+">")
		d.rows("    ", bPool, &target{pool: p}, nil)
		d.scopeDomains(c, p.Name)
		d.line("", "</virtual-mta-pool>")
	}
	if c.DNS != defaultDNS() {
		dns := c.DNS
		d.block("dns", "", bDNS, &target{dns: &dns})
	}
	if ta := c.TransmissionsAPI; len(ta.APIKeys) > 0 || ta.LogRequests {
		d.block("transmissions-api", "", bTransAPI, &target{ta: &ta})
	}
	for i := range c.TransmissionsListeners {
		l := &c.TransmissionsListeners[i]
		d.block("transmissions-api-listener", l.Addr.String(), bTransListener, &target{tl: l})
	}
	for _, g := range c.SourceGroups {
		d.block("source-group", g.Name, bSourceGroup, &target{group: g})
	}
	for _, p := range c.Proxies {
		d.block("proxy", p.Name, bProxy, &target{proxy: p})
	}
	for _, l := range c.domainBlocks {
		if l.scope == "" {
			d.layer("", "domain", l)
		}
	}
	d.lists(c)
	return d.b.String()
}

// scopeDomains writes the <domain> blocks nested in a vMTA or pool.
func (d *dumper) scopeDomains(c *Config, scope string) {
	for _, l := range c.domainBlocks {
		if l.scope == scope {
			d.layer("    ", "domain", l)
		}
	}
}

// lists writes the list-like blocks.
func (d *dumper) lists(c *Config) {
	for _, pl := range c.PatternLists {
		d.line("", "<smtp-pattern-list "+pl.Name+">")
		for _, r := range pl.Rules {
			d.line("    ", "reply "+r.text+" "+r.Action.String())
		}
		d.line("", "</smtp-pattern-list>")
	}
	for _, l := range c.RewriteLists {
		d.line("", "<rewrite-list "+l.Name+">")
		for _, r := range l.MailFrom {
			d.line("    ", "mail-from "+r.From+" "+r.To)
		}
		d.line("", "</rewrite-list>")
	}
	for _, pl := range c.VMTAPatternLists {
		d.line("", "<pattern-list "+pl.Name+">")
		for i := range pl.Entries {
			d.line("    ", pl.Entries[i].String())
		}
		d.line("", "</pattern-list>")
	}
	d.line("", "<bounce-category-patterns>")
	for _, bc := range c.BounceCategories {
		d.line("    ", bc.text+" "+bc.Category)
	}
	d.line("", "</bounce-category-patterns>")
	for _, a := range c.AcctFiles {
		d.block("acct-file", a.Path, bAcct, &target{acct: a})
	}
	for _, l := range c.AddressLists {
		d.addressList("", l)
	}
	for _, p := range []struct {
		kind string
		p    *Processor
	}{{"bounce-processor", c.BounceProcessor}, {"feedback-loop-processor", c.FeedbackLoopProcessor}} {
		if p.p == nil {
			continue
		}
		d.line("", "<"+p.kind+">")
		d.rows("    ", bProc, &target{proc: p.p}, nil)
		for _, l := range p.p.AddressLists {
			d.addressList("    ", l)
		}
		d.line("", "</"+p.kind+">")
	}
	if len(c.MXRollups) > 0 {
		d.line("", "<mx-rollup-list>")
		for _, r := range c.MXRollups {
			s := "mx " + r.MX.String() + " " + r.Queue
			if r.ByIP {
				s += " rollup-by-ip"
			}
			d.line("    ", s)
		}
		d.line("", "</mx-rollup-list>")
	}
}

func (d *dumper) addressList(indent string, l *AddressList) {
	d.line(indent, "<address-list "+l.Name+">")
	d.rows(indent+"    ", bAddrList, &target{al: l}, nil)
	d.line(indent, "</address-list>")
}

// Dump returns every setting of a queue as `name value` lines in a fixed order, like
// PowerMTA's `show settings DOMAIN/VMTA`; unset strings and empty lists are left out.
func (s *DomainSettings) Dump() string {
	d := newDumper()
	c := *s
	d.rows("", bDomain, &target{dom: &c}, nil)
	return d.b.String()
}

// Dump returns every inbound setting as `name value` lines in a fixed order.
func (s *SourceSettings) Dump() string {
	d := newDumper()
	c := *s
	d.rows("", bSource, &target{src: &c}, nil)
	return d.b.String()
}
