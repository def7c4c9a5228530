package smtpwire

import (
	"bytes"
	"strconv"
	"strings"
)

// MaxReplyLine is the longest reply line ParseReply accepts, in octets, counting
// the reply code and the line ending. RFC 5321 §4.5.3.1.5 says 512, but real
// servers send longer text lines (long URLs, quoted policy text); 4096 accepts
// them while still bounding what a hostile server makes the client buffer.
const MaxReplyLine = 4096

// MaxReplyLines is the largest number of lines ParseReply accepts in one reply.
// RFC 5321 §4.2.1 sets no limit; with MaxReplyLine it bounds a reply at 1 MiB.
const MaxReplyLines = 256

// Reply parse errors. They are *Error values so that the delivery side can
// account for a broken server with the same types it uses for real replies:
// their Reply is 421 4.5.0 ("Other or undefined protocol status", RFC 3463
// §3.6), the client's own verdict, never sent on the wire. 421 because the
// framing is lost: the client must drop the connection and defer the message
// (RFC 5321 §4.2.2 "closing transmission channel").
var (
	// ErrReplySyntax reports a line that does not start with three digits
	// followed by ' ', '-' or the line ending, or whose first digit is not 2-5.
	ErrReplySyntax = newError(C421ServiceUnavail, Enhanced{4, 5, 0},
		"malformed reply from remote server", "reply syntax error")
	// ErrReplyCodeMismatch reports a continuation line whose code differs from
	// the first line's (RFC 5321 §4.2.1: the code MUST be the same on each line).
	ErrReplyCodeMismatch = newError(C421ServiceUnavail, Enhanced{4, 5, 0},
		"inconsistent reply codes from remote server", "reply code changes within a multi-line reply")
	// ErrReplyTooLong reports a line longer than MaxReplyLine or a reply of
	// more than MaxReplyLines lines.
	ErrReplyTooLong = newError(C421ServiceUnavail, Enhanced{4, 5, 0},
		"reply from remote server too long", "reply line or line count over limit")
)

// AppendReply appends r to dst in wire form and returns the extended slice.
//
// Each '\n'-separated line of r.Text becomes one line, "CODE-text" for all but
// the last and "CODE text" for the last (RFC 5321 §4.2.1); a trailing '\n'
// therefore yields an empty last line. When r.Enh is set every line carries it
// after the code, "250-2.1.0 text" (RFC 2034 §4). An empty line is sent as
// "CODE" or "CODE ENH" with no trailing space. '\r' in r.Text is dropped so that
// caller text can never end a line early or inject a reply. The caller keeps
// lines within RFC 5321 §4.5.3.1.5 (512 octets) and r.Code within 200-599;
// AppendReply does not check. It does not allocate when dst has capacity.
func AppendReply(dst []byte, r Reply) []byte {
	// head holds "CODE" + separator + enhanced code; the longest enhanced
	// code, "65535.65535.65535", is 17 bytes.
	var head [24]byte
	head[0] = byte('0' + r.Code/100%10)
	head[1] = byte('0' + r.Code/10%10)
	head[2] = byte('0' + r.Code%10)
	hn := 4
	if !r.Enh.IsZero() {
		hn += len(AppendEnhanced(head[4:4], r.Enh))
	}
	text := r.Text
	for {
		line, rest, more := strings.Cut(text, "\n")
		head[3] = ' '
		if more {
			head[3] = '-' // RFC 5321 §4.2.1: "CODE-" on every line but the last
		}
		switch {
		case len(line) > 0:
			dst = append(dst, head[:hn]...)
			if hn > 4 {
				dst = append(dst, ' ') // RFC 2034 §4: status-code SP text
			}
			dst = replyAppendNoCR(dst, line)
		case !more && hn == 4:
			dst = append(dst, head[:3]...) // bare "CODE" (RFC 5321 §4.2: textstring is optional)
		default:
			dst = append(dst, head[:hn]...)
		}
		dst = append(dst, '\r', '\n')
		if !more {
			return dst
		}
		text = rest
	}
}

// replyAppendNoCR appends s without its '\r' bytes, which would otherwise let
// caller text break the reply framing.
func replyAppendNoCR(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '\r')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i+1:]
	}
}

// AppendEnhanced appends e as "class.subject.detail" (RFC 3463 §2) and returns
// the extended slice. It does not allocate when dst has capacity.
func AppendEnhanced(dst []byte, e Enhanced) []byte {
	dst = replyAppendUint(dst, e.Class)
	dst = append(dst, '.')
	dst = replyAppendUint(dst, e.Subject)
	dst = append(dst, '.')
	return replyAppendUint(dst, e.Detail)
}

// replyAppendUint appends v in decimal, with a fast path for the one to three
// digits of RFC 3463 §2 code parts.
func replyAppendUint(dst []byte, v uint16) []byte {
	switch {
	case v < 10:
		return append(dst, byte('0'+v))
	case v < 100:
		return append(dst, byte('0'+v/10), byte('0'+v%10))
	case v < 1000:
		return append(dst, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
	}
	return strconv.AppendUint(dst, uint64(v), 10)
}

// ParsedReply is a reply read from a server by ParseReply. The zero value is an
// empty reply with no lines; ParseReply overwrites every field on success.
//
// Raw and Text are sub-slices of the input given to ParseReply: they stay valid
// as long as that input buffer is neither overwritten nor reused, so a caller
// that compacts its read buffer must finish with the reply (or copy what it
// keeps) first. Their capacity is clipped, so appending to them copies.
type ParsedReply struct {
	Code  Code
	Enh   Enhanced // from the first line (RFC 2034 §4); zero when it carries none
	Lines int      // number of lines, at least 1 after a successful parse
	Raw   []byte   // the whole reply as received, including line endings
	Text  []byte   // text of the first line, after the code and the enhanced code
}

// Transient reports a 4xx reply: the client may try again later.
func (r *ParsedReply) Transient() bool { return r.Code.Transient() }

// Permanent reports a 5xx reply: the same command will fail again.
func (r *ParsedReply) Permanent() bool { return r.Code.Permanent() }

// Line returns the text of line i (0-based), after the code and, when it
// equals r.Enh, the enhanced code, without the line ending; nil when i is out
// of range. The result is a sub-slice of r.Raw with the same lifetime. Line
// scans from the start of Raw and does not allocate; walk all lines in one
// pass with AppendText instead of calling Line in a loop when cost matters.
func (r *ParsedReply) Line(i int) []byte {
	if i < 0 || i >= r.Lines {
		return nil
	}
	line, rest := replyNextLine(r.Raw)
	for ; i > 0; i-- {
		line, rest = replyNextLine(rest)
	}
	return r.lineText(line)
}

// AppendText appends the text of all lines joined by a single space, skipping
// empty lines, and returns the extended slice. It is meant for logs and
// delivery records, where a multi-line reply must fit on one line. An enhanced
// code the lines carry is not repeated; the caller records r.Enh on its own.
func (r *ParsedReply) AppendText(dst []byte) []byte {
	rest := r.Raw
	sep := false
	for k := 0; k < r.Lines && len(rest) > 0; k++ {
		var line []byte
		line, rest = replyNextLine(rest)
		t := r.lineText(line)
		if len(t) == 0 {
			continue
		}
		if sep {
			dst = append(dst, ' ')
		}
		dst = append(dst, t...)
		sep = true
	}
	return dst
}

// replyNextLine splits raw after its first '\n'; line keeps its line ending.
func replyNextLine(raw []byte) (line, rest []byte) {
	i := bytes.IndexByte(raw, '\n')
	if i < 0 {
		return raw, nil
	}
	return raw[:i+1], raw[i+1:]
}

// lineText returns the text of one raw line of r: after "CODE" and its
// separator, and after an enhanced code equal to r.Enh, without the line
// ending. Lines that carry a different enhanced code keep it in their text, so
// re-encoding the reply with r.Enh on every line gives back the same texts.
func (r *ParsedReply) lineText(line []byte) []byte {
	line = replyTrimEOL(line)
	if len(line) <= 4 {
		return line[len(line):len(line)]
	}
	t := line[4:]
	if !r.Enh.IsZero() {
		if e, k, ok := replyParseEnhanced(t, line[0]); ok && e == r.Enh {
			t = t[k:]
		}
	}
	return t[:len(t):len(t)]
}

// replyTrimEOL removes a trailing "\n" or "\r\n".
func replyTrimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	return line
}

// ParseReply parses one complete, possibly multi-line, reply from the start of
// p into r and returns the number of bytes it used. Bytes after the reply (the
// next pipelined reply) are left alone.
//
// It returns ErrNeedMore when p holds no complete reply yet: the caller appends
// more input and calls again with the same start. Each call rescans p from the
// start, so a caller fed in small pieces should call again only after a read
// that brought a '\n'. Errors are found as early as the bytes allow: a bad code
// fails before its line ends, a line fails once MaxReplyLine bytes hold no '\n'.
//
// It is as lenient as real servers require (RFC 5321 §4.2 is the strict form):
// bare LF line endings, a bare "250" line, any second and third digit, and lines
// up to MaxReplyLine octets. Errors: ErrReplySyntax, ErrReplyCodeMismatch,
// ErrReplyTooLong. r is written only on success; its slices borrow p (see
// ParsedReply). ParseReply does not allocate.
func ParseReply(p []byte, r *ParsedReply) (n int, err error) {
	lines, firstEnd := 0, 0
	for {
		end, more, err := replyScanLine(p, n)
		if err != nil {
			return 0, err
		}
		if lines++; lines == 1 {
			firstEnd = end
		}
		n = end
		if !more {
			break
		}
		if lines == MaxReplyLines {
			return 0, ErrReplyTooLong
		}
	}
	code := Code(p[0]-'0')*100 + Code(p[1]-'0')*10 + Code(p[2]-'0')
	first := replyTrimEOL(p[:firstEnd])
	text := first[len(first):]
	if len(first) > 4 {
		text = first[4:]
	}
	// RFC 3463 §2, RFC 2034 §4: an enhanced code, if any, starts the text.
	enh, k, ok := replyParseEnhanced(text, p[0])
	if ok {
		text = text[k:]
	}
	*r = ParsedReply{
		Code:  code,
		Enh:   enh,
		Lines: lines,
		Raw:   p[:n:n],
		Text:  text[:len(text):len(text)],
	}
	return n, nil
}

// replyScanLine checks the reply line starting at p[off:] and finds its end.
// It returns the offset just past the line ending and whether the line is a
// continuation ("CODE-"). Lines after the first must repeat p[:3].
func replyScanLine(p []byte, off int) (end int, more bool, err error) {
	h := p[off:]
	if err := replyCheckHead(h, p, off); err != nil {
		return 0, false, err
	}
	// RFC 5321 §4.5.3.1.5: bound the line before scanning for its end.
	window := h
	if len(window) > MaxReplyLine {
		window = window[:MaxReplyLine]
	}
	i := bytes.IndexByte(window, '\n')
	if i < 0 {
		if len(h) >= MaxReplyLine {
			return 0, false, ErrReplyTooLong
		}
		return 0, false, ErrNeedMore
	}
	line := replyTrimEOL(h[:i+1])
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return 0, false, ErrReplySyntax
	}
	return off + i + 1, len(line) > 3 && line[3] == '-', nil
}

// replyCheckHead checks the code and separator of a line as far as h holds
// them, so that garbage fails without waiting for a line ending. For a line
// after the first (off > 0) the code must equal the first line's, p[:3].
func replyCheckHead(h, p []byte, off int) error {
	for k := 0; k < 3 && k < len(h); k++ {
		c := h[k]
		// RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39; only the first
		// digit is checked, as servers send codes like 571.
		if c < '0' || c > '9' || (k == 0 && (c < '2' || c > '5')) {
			return ErrReplySyntax
		}
		if off > 0 && c != p[k] {
			return ErrReplyCodeMismatch // RFC 5321 §4.2.1
		}
	}
	if len(h) > 3 {
		switch h[3] {
		case ' ', '-', '\r', '\n':
		default:
			return ErrReplySyntax
		}
	}
	return nil
}

// replyParseEnhanced reads an enhanced status code at the start of t, the
// text after "CODE " or "CODE-", for a reply whose code starts with the digit
// class. It returns the code and the bytes it spans including one following
// SP; ok is false when t does not start with one, and t is then plain text.
func replyParseEnhanced(t []byte, class byte) (e Enhanced, n int, ok bool) {
	// RFC 3463 §2: status-code = class "." subject "." detail, class 2, 4 or 5,
	// subject and detail 1*3digit. RFC 2034 §4: class equals the code's first digit.
	if len(t) < 5 || t[0] != class || t[1] != '.' || (class != '2' && class != '4' && class != '5') {
		return Enhanced{}, 0, false
	}
	subject, i := replyDigits(t, 2)
	if i == 2 || i >= len(t) || t[i] != '.' {
		return Enhanced{}, 0, false
	}
	detail, j := replyDigits(t, i+1)
	if j == i+1 {
		return Enhanced{}, 0, false
	}
	if j < len(t) {
		if t[j] != ' ' {
			return Enhanced{}, 0, false // "2.1.0x" is text, not a code
		}
		j++
	}
	return Enhanced{Class: uint16(class - '0'), Subject: subject, Detail: detail}, j, true
}

// replyDigits reads up to three decimal digits of t from i and returns their
// value and the index after them; the index equals i when there is none.
func replyDigits(t []byte, i int) (v uint16, end int) {
	for end = i; end < len(t) && end < i+3 && t[end] >= '0' && t[end] <= '9'; end++ {
		v = v*10 + uint16(t[end]-'0')
	}
	return v, end
}
