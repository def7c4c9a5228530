package bounce

import (
	"strings"
	"unicode/utf8"
)

// findStatus returns the first RFC 3463 enhanced status code in s ("5.1.1",
// also qmail's "#5.4.4"), or "". A code inside a longer dotted number (an
// IP address, a version) is not one.
func findStatus(s string) string {
	e, _ := nextStatus(s)
	return e
}

// nextStatus returns the first enhanced status code in s and the offset
// just past it, or "" and 0.
func nextStatus(s string) (string, int) {
	for i := 0; i+5 <= len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' || s[i+1] != '.' || i > 0 && (alnum(s[i-1]) || s[i-1] == '.') {
			continue
		}
		j := i + 2
		sub := digitRun(s, j)
		if sub == 0 || sub > 3 || j+sub >= len(s) || s[j+sub] != '.' {
			continue
		}
		k := j + sub + 1
		det := digitRun(s, k)
		if det == 0 || det > 3 {
			continue
		}
		end := k + det
		if end < len(s) && (alnum(s[end]) || s[end] == '.' && end+1 < len(s) && digit(s[end+1])) {
			continue
		}
		return s[i:end], end
	}
	return "", 0
}

// findReply returns the first SMTP reply code, 4yz or 5yz, in s: three
// digits standing alone and followed by a space, '-', ':' or the end.
func findReply(s string) string {
	for i := 0; i+3 <= len(s); i++ {
		c := s[i]
		if c != '4' && c != '5' || !digit(s[i+1]) || !digit(s[i+2]) || i > 0 && (alnum(s[i-1]) || s[i-1] == '.' || s[i-1] == '-') {
			continue
		}
		if e := i + 3; e == len(s) || s[e] == ' ' || s[e] == '-' || s[e] == ':' || s[e] == '\t' || s[e] == '\r' || s[e] == '\n' {
			return s[i:e]
		}
	}
	return ""
}

func digitRun(s string, i int) int {
	n := 0
	for i+n < len(s) && digit(s[i+n]) {
		n++
	}
	return n
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func alnum(c byte) bool { return digit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' }

// normalize prepares text for the built-in rules, which are written in
// lower case: ASCII letters folded, runs of white space made one space,
// and the continuation prefixes of multi-line replies ("550-5.7.1") taken
// out so that phrases broken across reply lines read whole.
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if space && i+3 < len(s) && (c == '4' || c == '5') && digit(s[i+1]) && digit(s[i+2]) && s[i+3] == '-' {
			j := i + 4 // skip "550-" and an enhanced code right after it
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' {
				j++
			}
			i = j - 1
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// stripType removes the type of a Diagnostic-Code ("smtp; 550 ...").
func stripType(diag string) string {
	if _, text, ok := splitTyped(diag); ok {
		return strings.TrimSpace(text)
	}
	return strings.TrimSpace(diag)
}

// bareAddress returns the address of a recipient field ("rfc822;
// <User@Example.com>" is "User@Example.com").
func bareAddress(v string) string {
	if _, a, ok := splitTyped(v); ok {
		v = a
	}
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	return strings.Trim(v, " \t\"'")
}

// addrSpan is an address found in text, at offset off (-1 when the text
// does not mention it).
type addrSpan struct {
	addr string
	off  int
}

// nextAddress returns the first address in text at or after offset i, and
// the offsets of its start and end; ok is false when there is none. It
// skips "addresses" on lines naming a message ID, which are IDs.
func nextAddress(text string, i int) (addr string, start, end int, ok bool) {
	for ; i < len(text); i++ {
		k := strings.IndexByte(text[i:], '@')
		if k < 0 {
			return "", 0, 0, false
		}
		i += k
		s := i
		for s > 0 && localChar(text[s-1]) {
			s--
		}
		e := i + 1
		for e < len(text) && (alnum(text[e]) || text[e] == '-' || text[e] == '.') {
			e++
		}
		for e > i+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		for s < i && text[s] == '.' {
			s++
		}
		if s < i && strings.Contains(text[i+1:e], ".") && !nearMessageID(text, s) {
			return text[s:e], s, e, true
		}
		i = e - 1
	}
	return "", 0, 0, false
}

// findAddresses returns the first max addresses in text, in order, each
// once (compared without case).
func findAddresses(text string, max int) []addrSpan {
	var out []addrSpan
	seen := map[string]bool{}
	for i := 0; len(out) < max; {
		a, s, e, ok := nextAddress(text, i)
		if !ok {
			break
		}
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, addrSpan{a, s})
		}
		i = e
	}
	return out
}

func localChar(c byte) bool {
	return alnum(c) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// nearMessageID reports whether the line holding offset off names a
// message ID shortly before it.
func nearMessageID(text string, off int) bool {
	start := max(0, off-80)
	if k := strings.LastIndexByte(text[start:off], '\n'); k >= 0 {
		start += k + 1
	}
	before := text[start:off]
	return indexFold(before, "message-id") >= 0 || indexFold(before, "message id") >= 0 ||
		indexFold(before, "in-reply-to") >= 0
}

// notRecipient reports whether addr is a mail system's own address or one
// of the bounce's own header addresses, which free-form bounces mention
// besides the failed recipients.
func notRecipient(addr string, own []string) bool {
	low := strings.ToLower(addr)
	local, _, _ := strings.Cut(low, "@")
	switch {
	case strings.Contains(local, "mailer-daemon"), strings.Contains(local, "mailer_daemon"),
		local == "mail-daemon", local == "noreply", local == "no-reply":
		return true
	}
	for _, o := range own {
		if strings.Contains(strings.ToLower(o), low) {
			return true
		}
	}
	return false
}

// segment is what a free-form bounce says about one recipient.
type segment struct {
	rcpt string
	text string
}

// segments splits text at the first mention of each recipient: each
// recipient gets the lines from its first mention up to the next
// mention of another recipient. A recipient never mentioned gets no text.
func segments(text string, rcpts []addrSpan) []segment {
	out := make([]segment, 0, len(rcpts))
	for _, a := range rcpts {
		if a.off < 0 {
			out = append(out, segment{rcpt: a.addr})
			continue
		}
		next := len(text)
		for _, b := range rcpts {
			if b.off > a.off && b.off < next {
				next = b.off
			}
		}
		start := strings.LastIndexByte(text[:a.off], '\n') + 1
		end := strings.LastIndexByte(text[:next], '\n') + 1
		if next == len(text) || end <= start {
			end = len(text)
		}
		out = append(out, segment{rcpt: a.addr, text: text[start:min(end, start+maxSegment)]})
	}
	return out
}

// recipientText returns the part of text about addr: from the line of its
// first mention to the line of the next other address, or "" when text
// does not mention it. lower is text in lower case.
func recipientText(text, lower, addr string) string {
	if addr == "" {
		return ""
	}
	k := strings.Index(lower, strings.ToLower(addr))
	if k < 0 {
		return ""
	}
	start := strings.LastIndexByte(text[:k], '\n') + 1
	end := len(text)
	for i := k + len(addr); ; {
		a, s, e, ok := nextAddress(text, i)
		if !ok {
			break
		}
		if !strings.EqualFold(a, addr) {
			if l := strings.LastIndexByte(text[:s], '\n') + 1; l > start {
				end = l
			}
			break
		}
		i = e
	}
	return text[start:min(end, start+maxSegment)]
}

// lowerASCII returns s with ASCII letters in lower case; other bytes,
// and so the offsets, stay as they are.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// indexFold is strings.Index without regard to ASCII case.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

// compact collapses white space and cuts s to at most n bytes, at a
// character boundary.
func compact(s string, n int) string {
	if limit := 16 * n; len(s) > limit { // enough to fill n after white space is collapsed, mostly
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit]
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
