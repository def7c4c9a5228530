package arc

// Gathering this host's Authentication-Results (RFC 8601) into the
// resinfo list an ARC-Authentication-Results carries (RFC 8617 §4.1.1:
// one AAR holds every result of the ADMD, however many A-R fields there
// were).

import (
	"strings"
)

// AuthResults returns the results recorded in msg's
// Authentication-Results header fields whose authserv-id is authServID
// (compared without regard to ASCII case), as one resinfo list
// ("spf=pass smtp.mailfrom=a@b; dkim=pass header.d=b") ready for Seal.
//
// Fields are read top to bottom and their results kept in that order,
// text and comments as written. Entries for method arc are dropped, as
// is the "none" placeholder, since Seal writes arc= itself. Fields of
// other authserv-ids, which RFC 8601 §5 says a receiver must not trust,
// are ignored. The result is "" when there is nothing to report.
func AuthResults(msg []byte, authServID string) string {
	m := parseMessage(toCRLF(msg))
	var out []string
	for _, f := range m.fields {
		if !equalFold(f.name, "Authentication-Results") {
			continue
		}
		id, rest, ok := authServIDOf(f.value)
		if !ok || !strings.EqualFold(id, authServID) {
			continue
		}
		for _, r := range splitResults(rest) {
			if r = squashSpace(r); r == "" || strings.EqualFold(r, "none") || isARCResult(r) {
				continue
			}
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

// authServIDOf splits an A-R value into its authserv-id and the text
// after the ';' that ends it (RFC 8601 §2.2: authserv-id [CFWS
// authres-version] ";"). The id may be a quoted-string.
func authServIDOf(v []byte) (id string, rest []byte, ok bool) {
	p := skipCFWS(v, 0)
	start := p
	if p < len(v) && v[p] == '"' {
		for p++; p < len(v) && v[p] != '"'; p++ {
			if v[p] == '\\' {
				p++
			}
		}
		if p >= len(v) {
			return "", nil, false
		}
		id = string(v[start+1 : p])
		p++
	} else {
		for p < len(v) && !isSpace(v[p]) && v[p] != ';' && v[p] != '(' {
			p++
		}
		id = string(v[start:p])
	}
	if id == "" {
		return "", nil, false
	}
	p = skipCFWS(v, p)
	for p < len(v) && isDigit(v[p]) { // authres-version
		p++
	}
	p = skipCFWS(v, p)
	if p >= len(v) {
		return id, nil, true // no results at all
	}
	if v[p] != ';' {
		return "", nil, false
	}
	return id, v[p+1:], true
}

// splitResults splits a resinfo list at the semicolons that are neither
// inside a comment nor inside a quoted-string.
func splitResults(v []byte) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for p := 0; p < len(v); p++ {
		switch c := v[p]; {
		case c == '\\' && (quoted || depth > 0):
			p++
		case quoted:
			quoted = c != '"'
		case c == '"' && depth == 0:
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ';' && depth == 0:
			out = append(out, string(v[start:p]))
			start = p + 1
		}
	}
	return append(out, string(v[min(start, len(v)):]))
}

// isARCResult reports a resinfo whose method is arc.
func isARCResult(r string) bool {
	p := skipCFWS([]byte(r), 0)
	method := r[p:]
	if i := strings.IndexAny(method, "=/ \t("); i >= 0 {
		method = method[:i]
	}
	return strings.EqualFold(method, "arc")
}

// squashSpace unfolds s and turns each run of whitespace or control
// characters into one space, trimming both ends: the relaxed form, which
// is all the AAR's seal covers, and a guard against CR, LF or other
// controls reaching a header field.
func squashSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
