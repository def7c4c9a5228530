package config

// alias SRC TARGET (PowerMTA §2.2): mail accepted for the address SRC is
// delivered to TARGET instead (postmaster@ and abuse@ of the sending
// domains to the people who read them, say). One address each; the
// original stays the recipient's ORCPT, so DSNs name it.

import "strings"

// Alias is one alias line.
type Alias struct {
	From, To string
}

var cAlias = codec[Alias]{
	parse: func(s string) (Alias, error) {
		f := strings.Fields(s)
		if len(f) != 2 {
			return Alias{}, errExpected("SOURCE TARGET, two addresses like postmaster@example.com ops@example.net", s)
		}
		from, err := cAddress.parse(f[0])
		if err != nil {
			return Alias{}, err
		}
		to, err := cAddress.parse(f[1])
		if err != nil {
			return Alias{}, err
		}
		return Alias{From: from, To: to}, nil
	},
	format: func(a Alias) string { return a.From + " " + a.To },
}

// Alias returns the address mail for addr goes to instead, if an alias
// line names it (case-insensitively).
func (c *Config) Alias(addr string) (string, bool) {
	if len(c.aliases) == 0 {
		return "", false
	}
	to, ok := c.aliases[strings.ToLower(addr)]
	return to, ok
}

// indexAliases builds the alias lookup; a second line for one address is
// a problem (which one would win?).
func (b *modelBuilder) indexAliases() {
	for i, a := range b.c.Global.Aliases {
		k := strings.ToLower(a.From)
		if _, dup := b.c.aliases[k]; dup {
			b.problem(b.c.Global.aliasPos[i], "alias: "+a.From+" is aliased twice")
			continue
		}
		if b.c.aliases == nil {
			b.c.aliases = map[string]string{}
		}
		b.c.aliases[k] = a.To
	}
}
