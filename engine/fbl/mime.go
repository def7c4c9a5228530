package fbl

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
)

// Limits that bound the work one message can cause. Reports are small; a
// message past these is not read further (what was read still counts).
const (
	maxFields   = 1000     // header fields per header block
	maxFieldLen = 64 << 10 // octets of one unfolded field value
	maxParts    = 100      // MIME parts per message, all levels
	maxDepth    = 8        // multipart nesting
)

// field is one header field, unfolded, its value trimmed.
type field struct{ name, value string }

// header is a header block: a message's, a MIME part's, or the
// message/feedback-report part's fields, which have the same syntax
// (RFC 5965 §3.1).
type header []field

// get returns the first value of the named field, or "".
func (h header) get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// all returns every value of the named field, in order.
func (h header) all(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.name, name) {
			out = append(out, f.value)
		}
	}
	return out
}

// splitHeader reads the header block at the start of b (RFC 5322 §2.2) and
// returns it with the body after the blank line. It is lenient, as a
// report's copy of an original often is not clean: LF or CRLF, blank
// lines before the block, lines that are not fields (an mbox "From "
// line) are skipped, and with no blank line all of b is header.
func splitHeader(b []byte) (header, []byte) {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	var h header
	var folded []byte // the value of the last field so far, when it is folded
	flush := func() {
		if folded != nil {
			h[len(h)-1].value = strings.TrimSpace(string(folded))
			folded = nil
		}
	}
	for len(b) > 0 {
		line, rest := cutLine(b)
		if len(line) == 0 {
			flush()
			return h, rest
		}
		b = rest
		if line[0] == ' ' || line[0] == '\t' { // RFC 5322 §2.2.3 folding
			if len(h) > 0 && len(folded) < maxFieldLen {
				if folded == nil {
					folded = append(folded, h[len(h)-1].value...)
				}
				folded = append(append(folded, ' '), bytes.TrimSpace(line)...)
			}
			continue
		}
		flush()
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || len(h) >= maxFields {
			continue
		}
		name := bytes.TrimRight(line[:colon], " \t") // obsolete syntax allows space before the colon
		if bytes.ContainsAny(name, " \t") {
			continue
		}
		h = append(h, field{string(name), strings.TrimSpace(string(line[colon+1:]))})
	}
	flush()
	return h, nil
}

// cutLine returns the line at the start of b without its LF or CRLF, and
// the rest after it.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return bytes.TrimSuffix(b, []byte{'\r'}), nil
	}
	return bytes.TrimSuffix(b[:i], []byte{'\r'}), b[i+1:]
}

// contentType returns a Content-Type's media type, lower case, and its
// parameters (RFC 2045 §5.1). Where the standard parser refuses a value
// (duplicate or broken parameters, common in reports), the media type and
// the parameters that can be read are still returned. A missing or empty
// value is text/plain (RFC 2045 §5.2).
func contentType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", nil
	}
	if mt, params, err := mime.ParseMediaType(v); err == nil {
		return mt, params
	}
	mt, rest, _ := strings.Cut(v, ";")
	params := map[string]string{}
	for _, kv := range strings.Split(rest, ";") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if _, dup := params[k]; !dup {
			params[k] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	return strings.ToLower(strings.TrimSpace(mt)), params
}

// decodeBody undoes a Content-Transfer-Encoding (RFC 2045 §6). Unknown
// encodings and identity encodings return b unchanged; so does a body that
// fails to decode, since a damaged report is better read as is than not.
func decodeBody(b []byte, encoding string) []byte {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		if out, ok := decodeBase64(b); ok {
			return out
		}
	case "quoted-printable":
		if out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b))); err == nil {
			return out
		}
	}
	return b
}

// decodeBase64 decodes base64 that may be split into lines, with or
// without padding.
func decodeBase64(b []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			clean = append(clean, c)
		}
	}
	enc := base64.StdEncoding
	if len(clean)%4 != 0 {
		enc = base64.RawStdEncoding
		clean = bytes.TrimRight(clean, "=")
	}
	out := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(out, clean)
	return out[:n], err == nil
}

// splitMultipart returns the body parts of a multipart body (RFC 2046
// §5.1.1): what lies between delimiter lines "--boundary", up to the close
// delimiter "--boundary--" or the end. The line break before a delimiter
// belongs to it. ok is false when no delimiter is found.
func splitMultipart(body []byte, boundary string) (parts [][]byte, ok bool) {
	if boundary == "" {
		return nil, false
	}
	delim := []byte("--" + boundary)
	start := -1 // where the current part starts; -1 before the first delimiter
	for pos := 0; pos < len(body); {
		line, rest := cutLine(body[pos:])
		next := len(body) - len(rest)
		if bytes.HasPrefix(line, delim) {
			tail := bytes.TrimRight(line[len(delim):], " \t")
			closing := bytes.Equal(tail, []byte("--"))
			if len(tail) == 0 || closing {
				if start >= 0 {
					parts = append(parts, trimLineEnd(body[start:pos]))
				}
				if closing || len(parts) >= maxParts {
					return parts, true
				}
				start = next
				ok = true
			}
		}
		pos = next
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts, ok
}

// trimLineEnd drops one trailing LF or CRLF.
func trimLineEnd(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}
