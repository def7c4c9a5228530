package config

// <pattern-list NAME> (PowerMTA §3.3.14): the vMTA of a recipient chosen
// by its envelope or its message's header fields, attached to a <source>
// with `pattern-list NAME`.

import (
	"regexp"
	"strings"
)

// VMTAPatternList is one <pattern-list> block; the first entry that
// matches decides.
type VMTAPatternList struct {
	Name    string
	Pos     Pos
	Entries []VMTAPattern
}

// VMTAPattern is one entry: `mail-from /RE/ RESULT`, `rcpt-to /RE/
// RESULT`, `header NAME /RE/ RESULT` or `* RESULT`, where RESULT is
// virtual-mta=NAME.
type VMTAPattern struct {
	Pos    Pos
	Kind   string // "mail-from", "rcpt-to", "header" or "*"
	Header string // the field name of a header entry
	Regexp *regexp.Regexp
	VMTA   string
	text   string // the /RE/ as written, for Dump
}

// String is the entry as a config line.
func (e *VMTAPattern) String() string {
	s := e.Kind
	if e.Header != "" {
		s += " " + e.Header
	}
	if e.text != "" {
		s += " " + e.text
	}
	return s + " virtual-mta=" + e.VMTA
}

// VMTA is the vMTA (or pool) the first matching entry names for one
// recipient, "" when none matches. header returns the value of the
// message's first field of a name, unfolded, and whether there is one.
func (l *VMTAPatternList) VMTA(mailFrom, rcpt string, header func(name string) (string, bool)) string {
	for i := range l.Entries {
		e := &l.Entries[i]
		var ok bool
		switch e.Kind {
		case "*":
			ok = true
		case "mail-from":
			ok = e.Regexp.MatchString(mailFrom)
		case "rcpt-to":
			ok = e.Regexp.MatchString(rcpt)
		case "header":
			v, present := header(e.Header)
			ok = present && e.Regexp.MatchString(v)
		}
		if ok {
			return e.VMTA
		}
	}
	return ""
}

// RecipientDependent reports whether the list has an rcpt-to entry: only
// then may the recipients of one message be given different vMTAs.
func (l *VMTAPatternList) RecipientDependent() bool {
	for i := range l.Entries {
		if l.Entries[i].Kind == "rcpt-to" {
			return true
		}
	}
	return false
}

func (b *modelBuilder) vmtaPatternList(blk *Block) {
	if !b.listBlock(blk, b.c.vmtaPatterns[blk.Arg] != nil) {
		return
	}
	l := &VMTAPatternList{Name: blk.Arg, Pos: blk.Pos}
	for _, d := range blk.Directives {
		e, err := parseVMTAPattern(strings.ToLower(d.Name), d.Value)
		if err != "" {
			b.problem(d.Pos, d.Name+": "+err)
			continue
		}
		e.Pos = d.Pos
		l.Entries = append(l.Entries, e)
	}
	b.c.VMTAPatternLists = append(b.c.VMTAPatternLists, l)
	b.c.vmtaPatterns[l.Name] = l
}

// parseVMTAPattern parses one entry's value after its kind.
func parseVMTAPattern(kind, v string) (VMTAPattern, string) {
	e := VMTAPattern{Kind: kind}
	const want = "expected mail-from /RE/, rcpt-to /RE/, header NAME /RE/ or * followed by virtual-mta=NAME"
	switch kind {
	case "*":
	case "header":
		name, rest, _ := strings.Cut(v, " ")
		if name == "" || strings.HasPrefix(name, "/") {
			return e, "expected header NAME /RE/ virtual-mta=NAME, got " + quoted("header "+v)
		}
		e.Header, v = name, strings.TrimSpace(rest)
		fallthrough
	case "mail-from", "rcpt-to":
		reText, rest, ok := splitRegexLine(v)
		if !ok {
			return e, "expected /REGEX/ and a result after " + kind + ", got " + quoted(v)
		}
		re, err := ParseRegex(reText)
		if err != nil {
			return e, err.Error()
		}
		e.Regexp, e.text, v = re, reText, rest
	default:
		return e, want
	}
	for _, r := range strings.Fields(v) {
		name, val, _ := strings.Cut(r, "=")
		switch l := strings.ToLower(name); {
		case l == "virtual-mta":
			if val == "" || e.VMTA != "" {
				return e, "expected one virtual-mta=NAME, got " + quoted(v)
			}
			e.VMTA = val
		case l == "recipient-priority" || strings.HasPrefix(l, "call-to:"):
			return e, "not supported: Volley's pattern-list chooses virtual-mta=NAME only, not " + quoted(r)
		default:
			return e, "expected virtual-mta=NAME, got " + quoted(r)
		}
	}
	if e.VMTA == "" {
		return e, "expected virtual-mta=NAME after the pattern, got " + quoted(v)
	}
	return e, ""
}
