package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// syntaxDump renders a tree compactly for comparison: one line per directive or block,
// "LINE name "value"" or "LINE <kind "arg">", indented by depth. Positions in another file
// than the root's are written "BASE:LINE".
func syntaxDump(root *Block) string {
	var b strings.Builder
	var walk func(blk *Block, depth int)
	where := func(p Pos) string {
		if p.File == root.Pos.File {
			return strconv.Itoa(p.Line)
		}
		return filepath.Base(p.File) + ":" + strconv.Itoa(p.Line)
	}
	walk = func(blk *Block, depth int) {
		ind := strings.Repeat("  ", depth)
		for _, d := range blk.Directives {
			b.WriteString(ind + where(d.Pos) + " " + d.Name + " " + strconv.Quote(d.Value) + "\n")
		}
		for _, c := range blk.Blocks {
			b.WriteString(ind + where(c.Pos) + " <" + c.Kind + " " + strconv.Quote(c.Arg) + ">\n")
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	return b.String()
}

// problemLines renders problems one per line, with dir stripped from file names.
func problemLines(probs []Problem, dir string) string {
	var b strings.Builder
	for _, p := range probs {
		s := p.Error()
		if dir != "" {
			s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
		}
		b.WriteString(s + "\n")
	}
	return b.String()
}

// checkTree compares a tree and problems with the expected dump and problem lines, ignoring
// a leading newline in both expectations.
func checkTree(t *testing.T, root *Block, probs []Problem, dir, wantTree, wantProbs string) {
	t.Helper()
	if got, want := syntaxDump(root), strings.TrimPrefix(wantTree, "\n"); got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	if got, want := problemLines(probs, dir), strings.TrimPrefix(wantProbs, "\n"); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, src, tree, probs string
	}{
		{
			name: "directives comments blank lines",
			src: "# a comment\n\nPostmaster ops@example.net   # trailing comment\n" +
				"   host-name   mta1.example.net\nHOST-NAME\tmta2.example.net\nlone-name\n",
			tree: `
3 postmaster "ops@example.net"
4 host-name "mta1.example.net"
5 host-name "mta2.example.net"
6 lone-name ""
`,
		},
		{
			name: "blocks nested and indented, case-insensitive kinds",
			src: "<Virtual-MTA vm1>\n\tsmtp-source-host 192.0.2.10 out1.example.net\n" +
				"    <DOMAIN *.example.com>\n\t\tmax-smtp-out 5\n    </domain>\n</virtual-mta>\n" +
				"<mx-rollup-list>\n  mx *.outlook.com outlook.rollup rollup-by-ip\n</MX-ROLLUP-LIST>\n" +
				"<domain *>\n</domain>\n",
			tree: `
1 <virtual-mta "vm1">
  2 smtp-source-host "192.0.2.10 out1.example.net"
  3 <domain "*.example.com">
    4 max-smtp-out "5"
7 <mx-rollup-list "">
  8 mx "*.outlook.com outlook.rollup rollup-by-ip"
10 <domain "*">
`,
		},
		{
			name: "continuation lines",
			src: "smtp-hosts a.example.com, \\\n   b.example.com; \\\n\tc.example.com\n" +
				"retry-after 10m,\\   # comment after the backslash\n1h\n" +
				"one \\\n\nafter-blank x\n<domain \\\nx.com>\n</domain>\nlast \\",
			tree: `
1 smtp-hosts "a.example.com, b.example.com; c.example.com"
4 retry-after "10m, 1h"
6 one ""
8 after-blank "x"
12 last ""
9 <domain "x.com">
`,
		},
		{
			name: "quoted values",
			src: `command "/usr/bin/prog --tag \"x\" a\\b"` + "\n" +
				`x-header "a # not a comment" # a comment` + "\n" +
				`two "a" "b"` + "\n" +
				`mixed "a # b" c` + "\n" +
				`empty ""` + "\n" +
				`regex "/\x23 \d+/"` + "\n" +
				`bare say \"hi # cut` + "\n" +
				`<acct-file "|/usr/bin/log acct # x">` + "\n</acct-file>\n",
			tree: `
1 command "/usr/bin/prog --tag \"x\" a\\b"
2 x-header "a # not a comment"
3 two "\"a\" \"b\""
4 mixed "\"a # b\" c"
5 empty ""
6 regex "/\\x23 \\d+/"
7 bare "say \\\"hi"
8 <acct-file "|/usr/bin/log acct # x">
`,
		},
		{
			name: "CRLF line endings",
			src:  "postmaster a@example.net\r\n<domain x.com>\r\n  max-smtp-out 3 \\\r\n  4\r\n\r\n</domain>\r\n",
			tree: `
1 postmaster "a@example.net"
2 <domain "x.com">
  3 max-smtp-out "3 4"
`,
		},
		{
			name: "bounce-category-patterns lines are kept whole",
			src: "<bounce-category-patterns>\n  /spam|blocked/   spam-related  # c\n" +
				"  /^[45]\\.1\\.1/ bad-mailbox\n  // other\n</bounce-category-patterns>\n",
			tree: `
1 <bounce-category-patterns "">
  2  "/spam|blocked/   spam-related"
  3  "/^[45]\\.1\\.1/ bad-mailbox"
  4  "// other"
`,
		},
		{
			name: "smtp-pattern-list reply lines",
			src: "<smtp-pattern-list throttle>\n  reply /421 .*try again later/  mode=backoff\n" +
				"  reply /\\x23 \\[TS0[1-3]\\]/ mode=backoff,disable-source-ip # why\n</smtp-pattern-list>\n",
			tree: `
1 <smtp-pattern-list "throttle">
  2 reply "/421 .*try again later/  mode=backoff"
  3 reply "/\\x23 \\[TS0[1-3]\\]/ mode=backoff,disable-source-ip"
`,
		},
		{
			name: "missing close at end of file",
			src:  "<virtual-mta vm1>\n<domain x>\nmax-smtp-out 1\n",
			tree: `
1 <virtual-mta "vm1">
  2 <domain "x">
    3 max-smtp-out "1"
`,
			probs: `
t.conf:3: missing </domain> for <domain x> opened at t.conf:2
t.conf:3: missing </virtual-mta> for <virtual-mta vm1> opened at t.conf:1
`,
		},
		{
			name: "close of an outer block closes inner ones",
			src:  "<virtual-mta vm1>\n<domain x>\n</virtual-mta>\nafter 1\n",
			tree: `
4 after "1"
1 <virtual-mta "vm1">
  2 <domain "x">
`,
			probs: `
t.conf:3: missing </domain> for <domain x> opened at t.conf:2
`,
		},
		{
			name: "mismatched and stray closes",
			src:  "</domain>\n<source 0/0>\n</domain>\nx 1\n</source>\n",
			tree: `
2 <source "0/0">
  4 x "1"
`,
			probs: `
t.conf:1: expected no closing tag (no block is open in this file), got </domain>
t.conf:3: expected </source> to close <source 0/0> opened at t.conf:2, got </domain>
`,
		},
		{
			name: "malformed tags and lines, parsing goes on",
			src: "<domain\n< >\n</>\n</domain x>\n<do#main x>\n<domain x> y\n" +
				"bad\"na\"me 1\nvalue \"unterminated # x\nok yes\n<>\n<<a>\n",
			tree: `
9 ok "yes"
`,
			probs: `
t.conf:1: expected a tag like <domain example.com> or </domain>, got "<domain"
t.conf:2: expected a tag like <domain example.com> or </domain>, got "< >"
t.conf:3: expected a closing tag like </domain>, got "</>"
t.conf:4: expected a closing tag like </domain>, got "</domain x>"
t.conf:5: expected a tag like <domain example.com> or </domain>, got "<do"
t.conf:6: expected a tag like <domain example.com> or </domain>, got "<domain x> y"
t.conf:7: expected a directive name, got "bad\"na\"me" (names have no quotes or backslashes)
t.conf:8: expected a closing double quote, got end of line
t.conf:10: expected a tag like <domain example.com> or </domain>, got "<>"
t.conf:11: expected a tag like <domain example.com> or </domain>, got "<<a>"
`,
		},
		{
			name: "unterminated quote drops the whole logical line",
			src:  "a 1 \\\n\"b\nc 2\n",
			tree: `
3 c "2"
`,
			probs: `
t.conf:2: expected a closing double quote, got end of line
`,
		},
		{
			name:  "empty input",
			src:   "",
			tree:  "",
			probs: "",
		},
		{
			name: "include needs a target",
			src:  "include\ninclude https://example.com/x.conf\n",
			probs: `
t.conf:1: expected a file name or glob after include, got nothing
t.conf:2: expected a file name or glob after include, got URL "https://example.com/x.conf" (URLs are not supported)
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root, probs := Parse("t.conf", []byte(tc.src))
			if root.Kind != "" || root.Pos != (Pos{"t.conf", 1}) {
				t.Errorf("root = %q %v, want kind \"\" at t.conf:1", root.Kind, root.Pos)
			}
			checkTree(t, root, probs, "", tc.tree, tc.probs)
		})
	}
}

// writeFiles creates files (relative path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseFileFixture(t *testing.T) {
	// testdata/syntax/include: a glob include at top level (three files, sorted), an include
	// inside <domain> whose file includes another file relative to its own directory.
	path := filepath.Join("testdata", "syntax", "include", "main.conf")
	root, probs := ParseFile(path)
	checkTree(t, root, probs, "", `
1 postmaster "ops@example.net"
02-first.conf:1 first "1"
10-second.conf:1 second "2"
10-second.conf:2 second "2b"
30-third.conf:1 third "3"
8 host-name "mta1.example.net"
02-first.conf:2 <virtual-mta "vm1">
  02-first.conf:3 smtp-source-host "192.0.2.10 out1.example.net"
4 <domain "gmail.com">
  gmail.inc:1 max-msg-rate "3000/h"
  more.inc:1 bounce-after "2d"
  gmail.inc:3 retry-after "10m,1h"
  6 max-smtp-out "10"
`, "")
	if len(root.Blocks) > 1 {
		if got := root.Blocks[1].Directives[1].Pos.File; got != filepath.Join("testdata", "syntax", "include", "domain", "more.inc") {
			t.Errorf("nested include Pos.File = %q", got)
		}
	}
}

func TestParseFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	root, probs := ParseFile(filepath.Join(dir, "nope.conf"))
	checkTree(t, root, probs, dir, "", `
nope.conf:1: cannot read config file: no such file or directory
`)
}

func TestInclude(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		tree  string
		probs string
	}{
		{
			name: "cycle a b a",
			files: map[string]string{
				"main.conf": "include a.conf\nx 1\n",
				"a.conf":    "a 1\ninclude b.conf\n",
				"b.conf":    "b 1\ninclude a.conf\nb 2\n",
			},
			tree: `
a.conf:1 a "1"
b.conf:1 b "1"
b.conf:3 b "2"
2 x "1"
`,
			probs: `
b.conf:2: include cycle: a.conf -> b.conf -> a.conf
`,
		},
		{
			name: "self include through a glob",
			files: map[string]string{
				"main.conf":     "include conf.d/*.conf\n",
				"conf.d/a.conf": "<domain x>\ninclude *.conf\n</domain>\n",
			},
			tree: `
a.conf:1 <domain "x">
`,
			probs: `
conf.d/a.conf:2: include cycle: conf.d/a.conf -> conf.d/a.conf
`,
		},
		{
			name: "missing file, empty glob, bad glob",
			files: map[string]string{
				"main.conf": "include missing.conf\ninclude none/*.conf\ninclude [\nok 1\n",
			},
			tree: `
4 ok "1"
`,
			probs: `
main.conf:1: cannot read included file "missing.conf": no such file or directory
main.conf:3: expected a valid glob after include, got "[": syntax error in pattern
`,
		},
		{
			name: "included file must close what it opens",
			files: map[string]string{
				"main.conf": "<domain x>\ninclude \"in c.conf\"\ninside 1\n</domain>\n",
				"in c.conf": "</domain>\n<domain y>\n",
			},
			tree: `
1 <domain "x">
  3 inside "1"
  in c.conf:2 <domain "y">
`,
			probs: `
in c.conf:1: expected no closing tag (no block is open in this file), got </domain>
in c.conf:2: missing </domain> for <domain y> opened at in c.conf:2
`,
		},
		{
			name: "include inside bounce-category-patterns and a directory",
			files: map[string]string{
				"main.conf": "<bounce-category-patterns>\nINCLUDE extra.pat\ninclude sub\n</bounce-category-patterns>\n",
				"extra.pat": "/^5\\.7\\.1/ policy-related\n",
				"sub/x":     "",
			},
			tree: `
1 <bounce-category-patterns "">
  extra.pat:1  "/^5\\.7\\.1/ policy-related"
`,
			probs: `
main.conf:3: cannot read included file "sub": is a directory
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			root, probs := ParseFile(filepath.Join(dir, "main.conf"))
			checkTree(t, root, probs, dir, tc.tree, tc.probs)
		})
	}
}

// TestIncludeRelativeToParseName checks that Parse resolves includes from the directory of
// its name argument, not the working directory.
func TestIncludeRelativeToParseName(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"etc/part.conf": "part yes\n"})
	root, probs := Parse(filepath.Join(dir, "etc", "volley.conf"), []byte("include part.conf\n"))
	checkTree(t, root, probs, dir, `
part.conf:1 part "yes"
`, "")
}

// benchConfig returns a realistic config of about 200 lines.
func benchConfig() []byte {
	var b strings.Builder
	b.WriteString("postmaster ops@example.net\nhost-name mta1.example.net\nsmtp-listener 0/0:25\n")
	b.WriteString("<source 127.0.0.1>\n  always-allow-relaying yes # local\n  smtp-service yes\n</source>\n")
	for i := range 12 {
		n := strconv.Itoa(i)
		b.WriteString("<virtual-mta vm" + n + ">\n  smtp-source-host 192.0.2." + n + " o" + n + ".example.net\n</virtual-mta>\n")
	}
	for i := range 16 {
		n := strconv.Itoa(i)
		b.WriteString("<domain d" + n + ".example.com>\n  max-smtp-out 10\n  max-msg-rate 3000/h\n" +
			"  retry-after 10m,10m,\\\n    1h,4h\n  smtp-pattern-list throttle\n  bounce-after 4d12h\n" +
			"  dkim-sign yes\n</domain>\n")
	}
	b.WriteString("<smtp-pattern-list throttle>\n  reply /421 .*try again later/ mode=backoff\n" +
		"  reply /\\[TS0[1-3]\\]/ mode=backoff,disable-source-ip\n</smtp-pattern-list>\n")
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	src := benchConfig()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := Parse("bench.conf", src); len(probs) != 0 {
			b.Fatal(probs)
		}
	}
}

func TestBenchConfigSize(t *testing.T) {
	src := benchConfig()
	if n := strings.Count(string(src), "\n"); n < 190 || n > 210 {
		t.Errorf("bench config has %d lines, want about 200", n)
	}
	if _, probs := Parse("bench.conf", src); len(probs) != 0 {
		t.Error(probs)
	}
}
