package arc

// Tag lists (RFC 6376 §3.2) and the ARC signature header fields built on
// them: ARC-Message-Signature (RFC 8617 §4.1.2) and ARC-Seal (§4.1.3).

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
)

// tag is one tag=value pair. name and value point into the parsed input;
// value has the whitespace around it removed but keeps inner FWS. start
// and end delimit the whole value area, from just after '=' to just
// before the ';' or the end of input, surrounding whitespace included:
// the span RFC 6376 §3.7 empties for b=.
type tag struct {
	name, value []byte
	start, end  int
}

var (
	errTagSyntax = errors.New("malformed tag list")
	errTagDup    = errors.New("duplicate tag in tag list")
)

// parseTags parses s as a tag-list into dst[:0]. An empty tag-spec (two
// semicolons in a row), a bad tag name, a value with a control character
// and a repeated name all make the whole list invalid (RFC 6376 §3.2).
// Whitespace is SP, HTAB, CR and LF, so folded header values and DNS text
// with line breaks parse alike. Bytes above 0x7F are allowed in values
// (RFC 8617 §4.1.4, EAI).
func parseTags(s []byte, dst []tag) ([]tag, error) {
	tags := dst[:0]
	for pos := 0; pos < len(s); {
		semi := bytes.IndexByte(s[pos:], ';')
		end := len(s)
		if semi >= 0 {
			end = pos + semi
		}
		spec := s[pos:end]
		if len(trimSpace(spec)) == 0 {
			if semi >= 0 || len(tags) == 0 && len(spec) > 0 {
				return nil, errTagSyntax // ";;", or a lone ";"
			}
			break // whitespace after a final ';'
		}
		t, err := parseTagSpec(spec, pos)
		if err != nil {
			return nil, err
		}
		tags = append(tags, t)
		pos = end + 1
	}
	if hasDupNames(tags) {
		return nil, errTagDup
	}
	return tags, nil
}

// parseTagSpec parses one tag-spec found at offset off of the list.
func parseTagSpec(spec []byte, off int) (tag, error) {
	eq := bytes.IndexByte(spec, '=')
	if eq < 0 {
		return tag{}, errTagSyntax
	}
	name := trimSpace(spec[:eq])
	if !validTagName(name) {
		return tag{}, errTagSyntax
	}
	value := trimSpace(spec[eq+1:])
	for _, c := range value {
		if c < 0x21 && !isSpace(c) || c == 0x7f {
			return tag{}, errTagSyntax
		}
	}
	return tag{name: name, value: value, start: off + eq + 1, end: off + len(spec)}, nil
}

// validTagName is tag-name = ALPHA *ALNUMPUNC.
func validTagName(n []byte) bool {
	if len(n) == 0 || !isAlpha(n[0]) {
		return false
	}
	for _, c := range n[1:] {
		if !isAlpha(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// hasDupNames reports a repeated tag name. Short lists, the normal case,
// are checked pairwise; long ones are sorted first so that a hostile
// list of thousands of tags is not quadratic.
func hasDupNames(tags []tag) bool {
	if len(tags) <= 32 {
		for i := range tags {
			for j := i + 1; j < len(tags); j++ {
				if bytes.Equal(tags[i].name, tags[j].name) {
					return true
				}
			}
		}
		return false
	}
	names := make([][]byte, len(tags))
	for i := range tags {
		names[i] = tags[i].name
	}
	slices.SortFunc(names, bytes.Compare)
	for i := 1; i < len(names); i++ {
		if bytes.Equal(names[i-1], names[i]) {
			return true
		}
	}
	return false
}

// lookupTag returns the tag called name (case-sensitive, RFC 6376 §3.2).
func lookupTag(tags []tag, name string) (tag, bool) {
	for _, t := range tags {
		if string(t.name) == name {
			return t, true
		}
	}
	return tag{}, false
}

// decodeBase64 decodes a base64 tag value after removing the FWS it may
// contain (RFC 6376 §3.5, b= and bh=). Padding is required.
func decodeBase64(v []byte) ([]byte, bool) {
	if hasSpace(v) {
		clean := make([]byte, 0, len(v))
		for _, c := range v {
			if !isSpace(c) {
				clean = append(clean, c)
			}
		}
		v = clean
	}
	if len(v) == 0 || len(v)%4 != 0 {
		return nil, false
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(v)))
	n, err := base64.StdEncoding.Decode(out, v)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// parseNumber reads a decimal tag value of at most maxDigits digits.
func parseNumber(v []byte, maxDigits int) (int64, bool) {
	if len(v) == 0 || len(v) > maxDigits {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// validDomain accepts a domain name or selector: dot-separated labels of
// letters, digits, '-' and '_' (selectors and _domainkey use it), or
// UTF-8 U-labels (RFC 8617 §4.1.4); no empty label, at most 253 bytes.
func validDomain(d []byte) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	label := 0
	for _, c := range d {
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case isAlpha(c), isDigit(c), c == '-', c == '_', c >= 0x80:
		default:
			return false
		}
		if label++; label > 63 {
			return false
		}
	}
	return label > 0
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func hasSpace(b []byte) bool {
	for _, c := range b {
		if isSpace(c) {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
