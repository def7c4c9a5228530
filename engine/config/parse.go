package config

// The lexer and block builder for PowerMTA's config syntax (reference/powermta.md §2.1).
//
// A file is read one physical line at a time. Each line loses its line ending ("\n" or
// "\r\n") and its comment (a "#" outside a double-quoted string up to the end of the line);
// what is left, trimmed, is joined with the following lines while it ends in a backslash. The
// resulting logical line is a tag ("<kind arg>" or "</kind>"), an include, or a directive
// ("name value"). The parser never decides whether a directive exists or belongs in its
// block: that is the model layer's job, so this file holds no list of directive names. The
// only kind it knows by name is <bounce-category-patterns>, whose lines are not
// "name value" pairs (see rawBlockKind).
//
// Every error becomes a Problem and the bad line is skipped, so one pass reports them all.

import (
	"os"
	"strconv"
	"strings"
)

// Parse parses config text. name is used in every Pos and, for include directives, as the
// base for relative paths: an include in "conf/main.conf" of "a.conf" reads "conf/a.conf".
// The returned root block (Kind "") is never nil, even when there are problems; it holds
// whatever could be parsed so a caller may still report on it.
func Parse(name string, src []byte) (*Block, []Problem) {
	p := &parser{fs: osFiles{}}
	return p.parseRoot(name, src)
}

// ParseFile reads and parses the file at path. A file that cannot be read is one Problem at
// line 1 of path (line 1 rather than 0 so every Problem has a line an editor can open).
func ParseFile(path string) (*Block, []Problem) {
	src, err := os.ReadFile(path)
	if err != nil {
		root := &Block{Pos: Pos{File: path, Line: 1}}
		return root, []Problem{{Pos: root.Pos, Msg: "cannot read config file: " + readReason(err)}}
	}
	return Parse(path, src)
}

// parser holds the state of one Parse call, including the files of all includes. It is not
// shared, so Parse is safe to call from many goroutines at once.
type parser struct {
	fs fileSource
	// chain and keys are the files being parsed, outermost first: chain as they are named in
	// Pos values, keys as absolute paths for cycle detection.
	chain    []string
	keys     []string
	problems []Problem
}

// fileState is the parse state of one file. stack[0] is the block the file's content goes
// into (the root, or the block that held the include); the rest are blocks opened in this
// file. A file must close what it opens, so a close tag never pops stack[0].
type fileState struct {
	name  string
	stack []*Block
}

func (f *fileState) current() *Block { return f.stack[len(f.stack)-1] }

func (p *parser) problem(pos Pos, msg string) {
	p.problems = append(p.problems, Problem{Pos: pos, Msg: msg})
}

func (p *parser) parseRoot(name string, src []byte) (*Block, []Problem) {
	root := &Block{Pos: Pos{File: name, Line: 1}}
	p.parseInto(name, src, root)
	return root, p.problems
}

// parseInto parses one file's text, adding its directives and blocks to base.
func (p *parser) parseInto(name string, src []byte, base *Block) {
	p.chain = append(p.chain, name)
	p.keys = append(p.keys, absKey(name))
	defer func() {
		p.chain = p.chain[:len(p.chain)-1]
		p.keys = p.keys[:len(p.keys)-1]
	}()

	f := &fileState{name: name, stack: []*Block{base}}
	rest := string(src)
	line := 0
	var parts []string // pieces of a logical line continued with backslashes
	start := 0         // line number of the logical line's first physical line
	for len(rest) > 0 {
		var raw string
		raw, rest, _ = strings.Cut(rest, "\n")
		line++
		content, ok := stripComment(strings.TrimSuffix(raw, "\r"))
		if !ok {
			p.problem(Pos{name, line}, "expected a closing double quote, got end of line")
			parts = parts[:0]
			continue
		}
		content = trimSpace(content)
		more := strings.HasSuffix(content, `\`)
		if more {
			content = trimSpace(content[:len(content)-1])
		}
		if len(parts) == 0 {
			start = line
		}
		if content != "" {
			parts = append(parts, content)
		}
		if more && len(rest) > 0 {
			continue
		}
		if len(parts) > 0 {
			p.logicalLine(f, strings.Join(parts, " "), Pos{name, start})
		}
		parts = parts[:0]
	}
	for len(f.stack) > 1 {
		b := f.current()
		p.problem(Pos{name, max(line, 1)}, "missing </"+b.Kind+"> for "+tagText(b)+" opened at "+b.Pos.String())
		f.stack = f.stack[:len(f.stack)-1]
	}
}

// logicalLine handles one non-empty logical line.
func (p *parser) logicalLine(f *fileState, text string, pos Pos) {
	if text[0] == '<' {
		p.tag(f, text, pos)
		return
	}
	word, value := splitWord(text)
	name := lowerASCII(word)
	if name == "include" {
		p.include(f, unquote(value), pos)
		return
	}
	cur := f.current()
	if rawBlockKind(cur.Kind) {
		cur.Directives = append(cur.Directives, Directive{Value: text, Pos: pos})
		return
	}
	if strings.ContainsAny(name, `"\`) {
		p.problem(pos, "expected a directive name, got "+quoteMsg(word)+" (names have no quotes or backslashes)")
		return
	}
	cur.Directives = append(cur.Directives, Directive{Name: name, Value: unquote(value), Pos: pos})
}

// rawBlockKind reports whether lines in a block of this kind are kept whole. In
// <bounce-category-patterns> each line is "/REGEX/ category", and the regex may hold spaces,
// so splitting off a "name" would cut it apart. Such a line becomes a Directive with Name ""
// and Value the whole trimmed line (comment removed, continuations joined, quotes kept as
// written); the model layer splits it. An include line is still an include.
func rawBlockKind(kind string) bool { return kind == "bounce-category-patterns" }

// tag handles "<kind arg>", "<kind>" and "</kind>".
func (p *parser) tag(f *fileState, text string, pos Pos) {
	if len(text) < 3 || text[len(text)-1] != '>' {
		p.problem(pos, "expected a tag like <domain example.com> or </domain>, got "+quoteMsg(text))
		return
	}
	if text[1] == '/' {
		kind := trimSpace(text[2 : len(text)-1])
		if !validKind(kind) {
			p.problem(pos, "expected a closing tag like </domain>, got "+quoteMsg(text))
			return
		}
		p.closeTag(f, lowerASCII(kind), pos)
		return
	}
	kind, arg := splitWord(trimSpace(text[1 : len(text)-1]))
	if !validKind(kind) {
		p.problem(pos, "expected a tag like <domain example.com> or </domain>, got "+quoteMsg(text))
		return
	}
	b := &Block{Kind: lowerASCII(kind), Arg: unquote(arg), Pos: pos}
	cur := f.current()
	cur.Blocks = append(cur.Blocks, b)
	f.stack = append(f.stack, b)
}

// closeTag closes the innermost open block of this kind. When the close matches an outer
// block, the blocks inside it were left open: each is reported, naming the line that opened
// it, and closed here. A close that matches no block opened in this file is reported and
// ignored.
func (p *parser) closeTag(f *fileState, kind string, pos Pos) {
	for i := len(f.stack) - 1; i >= 1; i-- {
		if f.stack[i].Kind != kind {
			continue
		}
		for j := len(f.stack) - 1; j > i; j-- {
			b := f.stack[j]
			p.problem(pos, "missing </"+b.Kind+"> for "+tagText(b)+" opened at "+b.Pos.String())
		}
		f.stack = f.stack[:i]
		return
	}
	if len(f.stack) > 1 {
		b := f.current()
		p.problem(pos, "expected </"+b.Kind+"> to close "+tagText(b)+" opened at "+b.Pos.String()+", got </"+kind+">")
		return
	}
	p.problem(pos, "expected no closing tag (no block is open in this file), got </"+kind+">")
}

// tagText renders a block's opening tag for messages.
func tagText(b *Block) string {
	if b.Arg == "" {
		return "<" + b.Kind + ">"
	}
	return "<" + b.Kind + " " + b.Arg + ">"
}

// validKind reports whether s can be a tag kind: letters, digits, '-', '_' and '.'.
func validKind(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// stripComment returns line without its comment. A '#' starts a comment unless it is inside
// a double-quoted string; a backslash escapes '"' and '\' both inside and outside strings,
// so `\"` never opens or closes one. ok is false when a string is not closed on this line.
func stripComment(line string) (content string, ok bool) {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			if i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
				i++
			}
		case '"':
			inQuote = !inQuote
		case '#':
			if !inQuote {
				return line[:i], true
			}
		}
	}
	return line, !inQuote
}

// unquote returns s without its quotes when s is exactly one double-quoted string, with \"
// and \\ unescaped (other backslashes are kept: regexes in quotes keep their escapes).
// Anything else, including `"a" "b"`, is returned as written.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s)-1 && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			c = s[i]
		case c == '\\' && i+1 == len(s)-1:
			return s // the final quote is escaped: not one string
		case c == '"':
			return s // the string ends before the end of s
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitWord splits s at its first run of white space.
func splitWord(s string) (word, rest string) {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return s[:i], trimSpace(s[i+1:])
		}
	}
	return s, ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// trimSpace trims the white space isSpace knows. strings.TrimSpace would also trim Unicode
// spaces, which the lexer does not split on, so names and values would not round-trip.
func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// lowerASCII lower-cases ASCII letters only, so names keep their bytes otherwise; config
// names are ASCII and strings.ToLower would rewrite invalid UTF-8.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// quoteMsg quotes text found in the config for a message, shortening very long lines.
func quoteMsg(s string) string {
	const maxLen = 80
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return strconv.Quote(s)
}
