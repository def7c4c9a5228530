package bounce

import (
	"bytes"
	"unicode/utf8"

	"github.com/volleymta/volley/spool"
)

// maxLine is RFC 5322 §2.1.1's limit on a line, CRLF excluded.
const maxLine = 998

// retKind is what the DSN returns of the original.
type retKind uint8

const (
	retNone    retKind = iota // no original given: no third part
	retHeaders                // text/rfc822-headers or message/global-headers
	retFull                   // message/rfc822 or message/global
)

// retWhy says why only headers are returned, for the text part.
type retWhy uint8

const (
	whyAsked  retWhy = iota // RET=HDRS, the default, or MaxFull < 0
	whyTooBig               // larger than MaxFull
	whyUnsafe               // binary, NUL, bare CR, an over-long line, or 8-bit octets the envelope did not declare
)

// returned is the plan for the third part.
type returned struct {
	kind   retKind
	why    retWhy
	limit  int    // the MaxFull in effect
	header []byte // the original's header section, cut to the limit
	cut    bool   // header was cut
	full   []byte // the original, when kind is retFull
	allow8 bool   // the original's envelope allowed 8-bit octets
	eight  bool   // the part has 8-bit octets: declared 8bit
}

// ReturnDefault maps the dsn-return-default directive's value to
// Params.DefaultRet: "full" to RetFull, "headers" to RetHdrs, and "system"
// (or anything else) to RetDefault, which returns headers.
func ReturnDefault(directive string) spool.Ret {
	switch directive {
	case "full":
		return spool.RetFull
	case "headers":
		return spool.RetHdrs
	}
	return spool.RetDefault
}

// planReturn decides what of p.Original goes back (RFC 3461 §4.3).
func planReturn(p *Params) returned {
	m := p.Message
	if len(p.Original) == 0 {
		return returned{}
	}
	r := returned{kind: retHeaders, limit: p.MaxFull, allow8: m.Body != spool.Body7Bit || m.SMTPUTF8}
	if r.limit == 0 {
		r.limit = DefaultMaxFull
	}
	hlimit := r.limit
	if hlimit < 0 {
		hlimit = DefaultMaxFull
	}
	r.header, r.cut = headerSection(p.Original, hlimit)
	want := m.Ret
	if want == spool.RetDefault {
		want = p.DefaultRet // zero: headers, as PowerMTA
	}
	if want == spool.RetFull && r.limit >= 0 {
		switch eight, ok := scanBody(p.Original); {
		case len(p.Original) > r.limit:
			r.why = whyTooBig
		case m.Body == spool.BodyBinaryMIME || !ok || eight && !r.allow8:
			// RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary only,
			// and we send no binary: such an original goes back as headers.
			r.why = whyUnsafe
		default:
			r.kind, r.full, r.eight = retFull, p.Original, eight
			return r
		}
	}
	r.eight = r.allow8 && !ascii(r.header)
	return r
}

// headerSection returns msg's header section up to and including the line
// break of its last field (the blank line excluded), cut at the last field
// that starts before limit octets.
func headerSection(msg []byte, limit int) ([]byte, bool) {
	end := len(msg)
	for i := 0; i < len(msg); {
		j := bytes.IndexByte(msg[i:], '\n')
		if j == 0 || j == 1 && msg[i] == '\r' { // an empty line ends the header
			end = i
			break
		}
		if j < 0 {
			break
		}
		i += j + 1
	}
	h := msg[:end]
	if len(h) <= limit {
		return h, false
	}
	for i := limit - 1; i > 0; i-- {
		if h[i-1] == '\n' && h[i] != ' ' && h[i] != '\t' {
			return h[:i], true
		}
	}
	return h[:limit], true // one field longer than limit: cut inside it
}

// scanBody reports whether msg has 8-bit octets, and whether it can be
// returned as it is: no NUL, no CR but before LF, no line over maxLine.
func scanBody(msg []byte) (eight, ok bool) {
	col := 0
	for i, c := range msg {
		switch {
		case c == '\n':
			col = 0
			continue
		case c == '\r':
			if i+1 == len(msg) || msg[i+1] != '\n' {
				return eight, false
			}
			continue
		case c == 0:
			return eight, false
		case c >= 0x80:
			eight = true
		}
		if col++; col > maxLine {
			return eight, false
		}
	}
	return eight, true
}

// appendReturned appends the third part's header and content.
func (b *builder) appendReturned(dst []byte) []byte {
	r := &b.ret
	switch {
	case r.kind == retFull && b.global: // RFC 6532 §3.7
		dst = append(dst, "Content-Type: message/global\r\nContent-Description: Returned message\r\n"...)
	case r.kind == retFull:
		dst = append(dst, "Content-Type: message/rfc822\r\nContent-Description: Returned message\r\n"...)
	case b.global: // RFC 6533 §6.3
		dst = append(dst, "Content-Type: message/global-headers\r\nContent-Description: Returned message headers\r\n"...)
	default: // RFC 6522 §4
		dst = append(dst, "Content-Type: text/rfc822-headers\r\nContent-Description: Returned message headers\r\n"...)
	}
	if r.eight {
		dst = append(dst, "Content-Transfer-Encoding: 8bit\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if r.kind == retFull {
		return appendCRLF(dst, r.full)
	}
	return appendHeaderLines(dst, r.header, r.allow8)
}

// appendCRLF appends msg with each bare LF made CRLF; scanBody has vetted
// the rest.
func appendCRLF(dst, msg []byte) []byte {
	for len(msg) > 0 {
		j := bytes.IndexByte(msg, '\n')
		if j < 0 {
			return append(dst, msg...)
		}
		if j > 0 && msg[j-1] == '\r' {
			dst = append(dst, msg[:j+1]...)
		} else {
			dst = append(dst, msg[:j]...)
			dst = append(dst, "\r\n"...)
		}
		msg = msg[j+1:]
	}
	return dst
}

// appendHeaderLines appends a header section made safe to carry: line
// breaks are CRLF, a bare CR is a space, NUL and (unless allow8) 8-bit
// octets are '?' (one per character), and a line reaching maxLine is folded (RFC 5322 §2.1.1;
// unfolding then adds one space). It ends in CRLF.
func appendHeaderLines(dst, h []byte, allow8 bool) []byte {
	col := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '\n':
			dst = append(dst, "\r\n"...)
			col = 0
			continue
		case c == '\r' && i+1 < len(h) && h[i+1] == '\n':
			continue // written with the LF
		case c == '\r':
			c = ' '
		case c >= 0x80 && !allow8:
			_, size := utf8.DecodeRune(h[i:]) // one '?' per character
			i += size - 1
			c = '?'
		case c == 0:
			c = '?'
		}
		if col == maxLine-8 {
			dst = append(dst, "\r\n "...)
			col = 1
		}
		dst = append(dst, c)
		col++
	}
	if col > 0 {
		dst = append(dst, "\r\n"...)
	}
	return dst
}
