package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// noFiles is a fileSource with no files, so fuzzed include lines never touch the disk.
type noFiles struct{}

func (noFiles) ReadFile(string) ([]byte, error) { return nil, fs.ErrNotExist }
func (noFiles) Glob(pattern string) ([]string, error) {
	_, err := filepath.Match(pattern, "") // report bad patterns as filepath.Glob does
	return nil, err
}

// renderSyntax writes a tree back as config text that parses to the same tree. Values and
// arguments that would not survive as written (a '#', a quote, a backslash, or space at
// either end) are written as a quoted string.
func renderSyntax(b *Block, w *strings.Builder) {
	for _, d := range b.Directives {
		if d.Name == "" { // a raw <bounce-category-patterns> line
			w.WriteString(d.Value + "\n")
			continue
		}
		w.WriteString(d.Name)
		if d.Value != "" {
			w.WriteString(" " + quoteIfNeeded(d.Value))
		}
		w.WriteString("\n")
	}
	for _, c := range b.Blocks {
		w.WriteString("<" + c.Kind)
		if c.Arg != "" {
			w.WriteString(" " + quoteIfNeeded(c.Arg))
		}
		w.WriteString(">\n")
		renderSyntax(c, w)
		w.WriteString("</" + c.Kind + ">\n")
	}
}

func quoteIfNeeded(v string) string {
	if !strings.ContainsAny(v, "#\"\\") && !isSpace(v[0]) && !isSpace(v[len(v)-1]) {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// syntaxShape renders a tree without positions, for comparing a tree with its re-parse.
func syntaxShape(b *Block, w *strings.Builder) {
	w.WriteString("<" + strconv.Quote(b.Kind) + " " + strconv.Quote(b.Arg) + "\n")
	for _, d := range b.Directives {
		w.WriteString(strconv.Quote(d.Name) + " " + strconv.Quote(d.Value) + "\n")
	}
	for _, c := range b.Blocks {
		syntaxShape(c, w)
	}
	w.WriteString(">\n")
}

// checkPositions reports any Pos in the tree outside the input's lines.
func checkPositions(t *testing.T, b *Block, name string, lines int) {
	t.Helper()
	ok := func(p Pos) bool { return p.File == name && p.Line >= 1 && p.Line <= max(lines, 1) }
	for _, d := range b.Directives {
		if !ok(d.Pos) {
			t.Fatalf("directive %q at %v, input has %d lines", d.Name, d.Pos, lines)
		}
	}
	for _, c := range b.Blocks {
		if !ok(c.Pos) {
			t.Fatalf("block <%s> at %v, input has %d lines", c.Kind, c.Pos, lines)
		}
		checkPositions(t, c, name, lines)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"postmaster a@b\n<domain x>\n  max-smtp-out 1 # c\n</domain>\n",
		"a \\\n b\r\n<bounce-category-patterns>\n/x y/ z\n</bounce-category-patterns>\n",
		`v "a \"b\" # c" # d` + "\n<acct-file \"|x # y\">\n</acct-file>\n",
		"<a>\n<b x>\n</a>\n</b>\n< >\n</>\n<c\ninclude x\ninclude *.conf\ninclude [\n",
		"<smtp-pattern-list p>\nreply /\\x23 [TS01]/ mode=backoff\n</smtp-pattern-list>\n",
		"use-proxy a\n<proxy a>\nserver 127.0.0.1:2500\nclient 192.0.2.1:7 o1.test\nclient ::1\n</proxy>\n" +
			"<virtual-mta v>\nsmtp-source-host 192.0.2.1 o1.test\nuse-proxy a,b\n</virtual-mta>\n",
		"smtp-server-tls-certificate c.pem\n<smtp-listener 0/0:465>\nimmediate-tls yes\nsource s\n</smtp-listener>\n<source s>\n</source>\n",
		string(benchConfig()),
	} {
		f.Add(s)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "syntax", "include", "*", "*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		const name = "fuzz.conf"
		p := &parser{fs: noFiles{}}
		root, probs := p.parseRoot(name, []byte(src))
		lines := strings.Count(src, "\n")
		if !strings.HasSuffix(src, "\n") {
			lines++
		}
		for _, pr := range probs {
			if pr.Pos.File != name || pr.Pos.Line < 1 || pr.Pos.Line > lines {
				t.Fatalf("problem %q at line %d, input has %d lines", pr.Error(), pr.Pos.Line, lines)
			}
		}
		checkPositions(t, root, name, lines)
		if len(probs) > 0 {
			return
		}
		var text, shape1, shape2 strings.Builder
		renderSyntax(root, &text)
		root2, probs2 := (&parser{fs: noFiles{}}).parseRoot(name, []byte(text.String()))
		if len(probs2) > 0 {
			t.Fatalf("re-parse of rendered text:\n%s\nproblems: %v", text.String(), probs2)
		}
		syntaxShape(root, &shape1)
		syntaxShape(root2, &shape2)
		if shape1.String() != shape2.String() {
			t.Fatalf("round trip differs\nrendered:\n%s\nfirst:\n%s\nsecond:\n%s", text.String(), shape1.String(), shape2.String())
		}
	})
}

func FuzzValues(f *testing.F) {
	for _, s := range []string{
		"yes", "Off", "10M", "512b", "unlimited", "8388608t", "1w2d12h30m10s", "never", "600",
		"10m,10m,1h", "3000/h", "100/15m", "2000/day", "0/d", "0/0", "10.1.2.3/8", "2001:db8::1",
		"/421 .*again/", "/(?-i)X/", "*", "[*.]Example.com", "*.a.b", "[10.0.0.0/8]", "a..b",
		"[IPv6:2001:db8::1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseBool(s); err == nil {
			if v2, err := ParseBool(strconv.FormatBool(v)); err != nil || v2 != v {
				t.Fatalf("bool %q: %v then %v, %v", s, v, v2, err)
			}
		}
		if n, err := ParseSize(s); err == nil {
			if n2, err := ParseSize(strconv.FormatInt(n, 10)); n < 0 || err != nil || n2 != n {
				t.Fatalf("size %q: %d then %d, %v", s, n, n2, err)
			}
		}
		if d, err := ParseInterval(s); err == nil {
			if d2, err := ParseInterval(intervalString(d)); d < 0 || err != nil || d2 != d {
				t.Fatalf("interval %q: %v then %v (%q), %v", s, d, d2, intervalString(d), err)
			}
		}
		if l, err := ParseIntervalList(s); err == nil && (len(l) == 0 || len(l) > maxIntervalList) {
			t.Fatalf("interval list %q: %d entries", s, len(l))
		}
		if r, err := ParseRate(s); err == nil {
			if r2, err := ParseRate(r.String()); r.Count < 0 || r.Per < 0 || err != nil || r2 != r {
				t.Fatalf("rate %q: %+v then %q %+v, %v", s, r, r.String(), r2, err)
			}
		}
		if p, err := ParsePrefix(s); err == nil {
			if p2, err := ParsePrefix(p.String()); p != p.Masked() || err != nil || p2 != p {
				t.Fatalf("prefix %q: %v then %v, %v", s, p, p2, err)
			}
		}
		if re, err := ParseRegex(s); err == nil && re == nil {
			t.Fatalf("regex %q: nil without error", s)
		}
		checkDomainPattern(t, s)
	})
}

// checkDomainPattern checks that a pattern round-trips through String and matches what its
// kind says it matches.
func checkDomainPattern(t *testing.T, s string) {
	p, err := ParseDomainPattern(s)
	if err != nil {
		return
	}
	p.Match(s) // must not panic on anything
	if p2, err := ParseDomainPattern(p.String()); err != nil || p2 != p {
		t.Fatalf("pattern %q: %+v then %q %+v, %v", s, p, p.String(), p2, err)
	}
	switch p.Kind {
	case PatternExact, PatternDomainAndSubs:
		if !p.Match(p.Domain) || p.Match("x"+p.Domain) {
			t.Fatalf("pattern %q: wrong match of %q", s, p.Domain)
		}
	case PatternSubdomains:
		if p.Match(p.Domain) || !p.Match("x."+p.Domain) {
			t.Fatalf("pattern %q: wrong match of %q", s, p.Domain)
		}
	case PatternLiteral:
		if !p.Match("[" + p.Prefix.Addr().String() + "]") {
			t.Fatalf("pattern %q: does not match its own address", s)
		}
	}
}

// FuzzLoad builds the model from arbitrary text: no panic, and every
// problem names a line of the input (the builders of the list blocks, the
// DKIM codecs and the pattern lists parse values of their own).
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"<virtual-mta v>\n</virtual-mta>\n<pattern-list p>\nheader X-C /^a/ virtual-mta=v\nmail-from /@b$/ virtual-mta=v\n" +
			"rcpt-to /x/ recipient-priority=3\n* virtual-mta=v\n</pattern-list>\n<source 0/0>\npattern-list p\n</source>\n",
		"<domain *>\ndkim-sign yes\ndkim-identity @esp.test\nsecond-dkim-sign yes\nsecond-dkim-expire-after 7d\n" +
			"dkim-add-timestamp no\ndkim-disallow-adding-headers From,To\n</domain>\n",
		"<smtp-pattern-list s>\nreply /421/ mode=backoff,bounce-rcpt\n</smtp-pattern-list>\n<domain x>\nsmtp-pattern-list s\n</domain>\n",
		string(benchConfig()),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		root, probs := (&parser{fs: noFiles{}}).parseRoot("fuzz.conf", []byte(src)) // no includes read
		if root == nil {
			return
		}
		_, more := Build(root)
		for _, pr := range append(probs, more...) {
			if pr.Pos.File != "fuzz.conf" || pr.Pos.Line < 1 || pr.Pos.Line > lines {
				t.Fatalf("problem %q at line %d, input has %d lines", pr.Error(), pr.Pos.Line, lines)
			}
		}
	})
}
