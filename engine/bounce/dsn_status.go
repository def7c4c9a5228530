package bounce

import (
	"strings"
	"unicode/utf8"
)

// appendStatus appends the message/delivery-status content (RFC 3464 §2.1):
// the per-message fields, then a blank line and the per-recipient fields for
// each outcome.
func (b *builder) appendStatus(dst []byte) []byte {
	w := lineWriter{b: dst, width: 78, indent: " ", utf8: b.global}
	m := b.m
	w.str("Reporting-MTA: dns; ") // RFC 3464 §2.2.2
	w.str(b.p.ReportingMTA)
	w.crlf()
	if m.EnvID != "" { // RFC 3464 §2.2.1, decoded from xtext (RFC 3461 §4.4)
		w.str("Original-Envelope-Id: ")
		w.words(m.EnvID)
		w.crlf()
	}
	if !m.Received.IsZero() { // RFC 3464 §2.2.5
		w.str("Arrival-Date: ")
		w.date(m.Received)
		w.crlf()
	}
	for i := range b.p.Outcomes {
		w.crlf()
		appendRecipient(&w, &b.p.Outcomes[i])
	}
	return w.b
}

// appendRecipient appends one outcome's per-recipient fields (RFC 3464 §2.3).
func appendRecipient(w *lineWriter, o *Outcome) {
	if orcpt := o.Recipient.ORCPT; orcpt != "" { // RFC 3464 §2.3.1, RFC 3461 §4.2
		typ, addr := "rfc822", orcpt
		if k := strings.IndexByte(orcpt, ';'); k > 0 && atom(orcpt[:k]) {
			typ, addr = orcpt[:k], strings.TrimLeft(orcpt[k+1:], " ")
		}
		w.str("Original-Recipient: ")
		w.address(typ, addr)
		w.crlf()
	}
	w.str("Final-Recipient: ") // RFC 3464 §2.3.2
	w.address("rfc822", o.Recipient.Addr)
	w.crlf()
	w.str("Action: ") // RFC 3464 §2.3.3
	w.str(o.Action.String())
	w.crlf()
	w.str("Status: ") // RFC 3464 §2.3.4, RFC 3463 §2
	w.str(statusOf(o))
	w.crlf()
	if o.RemoteMTA != "" { // RFC 3464 §2.3.5
		w.str("Remote-MTA: ")
		w.typed(o.RemoteMTA, "dns")
		w.crlf()
	}
	if o.Diagnostic != "" { // RFC 3464 §2.3.6
		w.str("Diagnostic-Code: ")
		def := "X-Volley"
		if replyCode(o.Diagnostic) {
			def = "smtp"
		}
		w.typed(o.Diagnostic, def)
		w.crlf()
	}
	if !o.LastAttempt.IsZero() { // RFC 3464 §2.3.7
		w.str("Last-Attempt-Date: ")
		w.date(o.LastAttempt)
		w.crlf()
	}
	if o.Action == ActionDelayed && !o.WillRetryUntil.IsZero() { // RFC 3464 §2.3.9: delayed only
		w.str("Will-Retry-Until: ")
		w.date(o.WillRetryUntil)
		w.crlf()
	}
}

// statusOf returns o's status code when it is one (RFC 3463 §2: class "."
// subject "." detail); else the enhanced code of an SMTP reply in the
// diagnostic, when its class matches the reply's; else the action's default.
func statusOf(o *Outcome) string {
	if s := strings.TrimSpace(o.Status); validStatus(s) {
		return s
	}
	if _, text, _ := splitTyped(o.Diagnostic); replyCode(text) {
		if text = strings.TrimLeft(text, " "); len(text) > 4 {
			enh, _, _ := strings.Cut(strings.TrimLeft(text[4:], " "), " ")
			if validStatus(enh) && enh[0] == text[0] { // RFC 3463 §2, RFC 2034 §4
				return enh
			}
		}
	}
	switch o.Action {
	case ActionFailed:
		return "5.0.0"
	case ActionDelayed:
		return "4.0.0"
	}
	return "2.0.0"
}

// validStatus reports whether s is class.subject.detail, class 2, 4 or 5,
// subject and detail of 1 to 3 digits.
func validStatus(s string) bool {
	if len(s) < 5 || s[1] != '.' || (s[0] != '2' && s[0] != '4' && s[0] != '5') {
		return false
	}
	sub, det, ok := strings.Cut(s[2:], ".")
	return ok && digits(sub) && digits(det)
}

func digits(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// replyCode reports whether s starts with an SMTP reply code.
func replyCode(s string) bool {
	s = strings.TrimLeft(s, " ")
	return len(s) >= 3 && s[0] >= '2' && s[0] <= '5' && digits(s[:3]) && (len(s) == 3 || s[3] == ' ' || s[3] == '-')
}

// splitTyped splits "type; text" (RFC 3464 §2.3.5, §2.3.6) when s starts
// with an atom and a semicolon.
func splitTyped(s string) (typ, text string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	k := strings.IndexByte(s, ';')
	if k <= 0 || !atom(s[:k]) {
		return "", s, false
	}
	return s[:k], s[k+1:], true
}

// typed appends s as "type; text", with type def when s has none.
func (w *lineWriter) typed(s, def string) {
	typ, text, ok := splitTyped(s)
	if !ok {
		typ = def
	}
	w.str(typ)
	w.str("; ")
	w.words(text)
}

// atom reports whether s is an address, MTA-name or diagnostic type: letters,
// digits, '-', '_' and '.'.
func atom(s string) bool {
	return s != "" && len(s) <= 64 && hostName(s)
}

// address appends "type; address" for Original-Recipient and
// Final-Recipient (RFC 3464 §2.3.1, §2.3.2). Non-ASCII or control
// characters take the utf-8 type of RFC 6533 §3 whatever the given type.
func (w *lineWriter) address(typ, addr string) {
	switch {
	case strings.EqualFold(typ, "utf-8"):
	case printable(addr):
		w.str(typ)
		w.str("; ")
		w.words(addr)
		return
	case !strings.EqualFold(typ, "rfc822"):
		w.str(typ) // an unknown type's address: made safe as text
		w.str("; ")
		w.words(addr)
		return
	}
	w.str("utf-8; ")
	if w.utf8 && utf8.ValidString(addr) && printableUTF8(addr) {
		w.piece(addr) // utf-8-address, allowed in message/global-delivery-status
		return
	}
	w.xtextAddr(addr)
}

// xtextAddr appends addr as RFC 6533 §3 utf-8-addr-xtext: QCHAR as it is,
// everything else as \x{HEX}, escapes already there kept.
func (w *lineWriter) xtextAddr(addr string) {
	var buf [12]byte
	for i := 0; i < len(addr); {
		c := addr[i]
		if c == '\\' {
			if n := embeddedChar(addr[i:]); n > 0 {
				w.piece(addr[i : i+n])
				i += n
				continue
			}
		}
		if c > ' ' && c < 0x7f && c != '\\' && c != '+' && c != '=' {
			w.piece(addr[i : i+1])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(addr[i:])
		if c < 0x80 {
			r = rune(c)
		}
		e := append(buf[:0], `\x{`...)
		e = appendHex(e, uint32(r))
		e = append(e, '}')
		w.piece(string(e))
		i += size
	}
}

// embeddedChar returns the length of the \x{HEX} at the start of s, or 0.
func embeddedChar(s string) int {
	if len(s) < 5 || s[1] != 'x' || s[2] != '{' {
		return 0
	}
	for i := 3; i < len(s) && i < 10; i++ {
		switch c := s[i]; {
		case c == '}' && i > 3:
			return i + 1
		case !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'):
			return 0
		}
	}
	return 0
}

// appendHex appends v in upper-case hex, at least two digits.
func appendHex(dst []byte, v uint32) []byte {
	const hexDigits = "0123456789ABCDEF"
	n := 2
	for v>>(4*n) != 0 {
		n++
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[v>>(4*i)&15])
	}
	return dst
}

// printable reports whether s is printable ASCII without white space.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// printableUTF8 reports whether s has no control character or white space.
func printableUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}
