package bounce

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
)

// Limits that keep a hostile or broken bounce from costing much: bounces
// come from anyone on the network.
const (
	maxDepth = 8        // MIME nesting followed
	maxParts = 64       // parts read per message
	maxText  = 64 << 10 // human-readable text kept
	maxField = 4 << 10  // bytes kept of a header or delivery-status field
)

// report is what a bounce says, gathered from all its parts.
type report struct {
	rcpts    []dsnRcpt // per-recipient blocks of the delivery-status parts
	text     []byte    // the human-readable text, any inline copy of the original cut off
	html     []byte    // text taken from HTML parts, used when there is no plain text
	failed   string    // X-Failed-Recipients (Exim and others)
	to, from string    // the bounce's own To and From: not failed recipients
	subject  string
	nullPath bool   // Return-Path: <>, as a bounce is sent
	attached []byte // the first attached message (the original, or a forwarded bounce)
	parts    int
}

// dsnRcpt is one per-recipient block of a delivery-status part (RFC 3464
// §2.3), values unfolded and trimmed.
type dsnRcpt struct {
	final, orig, action, status, diag string
}

// parseReport reads a bounce message, tolerating the ways real ones break
// RFC 5322 and MIME: bare LF, missing boundaries, missing blank lines.
func parseReport(msg []byte) *report {
	r := &report{}
	if bytes.HasPrefix(msg, []byte("From ")) { // an mbox separator line
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
	}
	hdr, _ := splitHeader(msg)
	r.failed = headerValue(hdr, "X-Failed-Recipients")
	r.to = headerValue(hdr, "To")
	r.from = headerValue(hdr, "From")
	r.subject = headerValue(hdr, "Subject")
	r.nullPath = strings.ReplaceAll(headerValue(hdr, "Return-Path"), " ", "") == "<>"
	r.walk(msg, 0)
	if len(r.rcpts) == 0 && (bytes.Contains(r.text, []byte("Final-Recipient:")) ||
		bytes.Contains(r.text, []byte("Original-Recipient:"))) {
		r.parseStatus(r.text) // delivery-status fields written into the text part
	}
	if len(r.rcpts) == 0 {
		r.embeddedStatus(msg)
	}
	if len(r.rcpts) == 0 {
		r.jsonNotification(r.text)
	}
	if len(r.text) == 0 && len(r.html) > 0 {
		r.text = r.html
	}
	return r
}

// bounceLike reports whether a message without delivery-status fields
// looks like a bounce: sent with the null reverse path or by a mailer
// daemon, naming failed recipients, titled as one, or quoting a reply or
// status code. Other messages (a mailing list's notice) are classified
// only when a rule recognizes a failure in them, so that a reply from a
// person or a newsletter is not.
func (r *report) bounceLike() bool {
	if r.nullPath || r.failed != "" {
		return true
	}
	from := strings.ToLower(r.from)
	subj := strings.ToLower(r.subject)
	for _, w := range []string{"mailer-daemon", "postmaster", "mail delivery", "mailer_daemon"} {
		if strings.Contains(from, w) {
			return true
		}
	}
	for _, w := range []string{"undeliver", "deliver", "failure", "failed", "returned", "bounce", "delay", "rejected", "error", "loop"} {
		if strings.Contains(subj, w) {
			return true
		}
	}
	t := string(r.text)
	return findReply(t) != "" || findStatus(t) != ""
}

// walk reads one entity (header and body) and its parts.
func (r *report) walk(ent []byte, depth int) {
	if r.parts++; r.parts > maxParts || depth > maxDepth {
		return
	}
	hdr, body := splitHeader(ent)
	ct, params := mediaType(headerValue(hdr, "Content-Type"))
	body = decodeBody(body, headerValue(hdr, "Content-Transfer-Encoding"))
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		parts := splitParts(body, params["boundary"])
		if len(parts) == 0 {
			r.addText(body)
			return
		}
		for _, p := range parts {
			r.walk(p, depth+1)
		}
	case strings.HasSuffix(ct, "delivery-status"): // message/ and message/global-, and text/ in the wild
		r.parseStatus(body)
	case ct == "text/rfc822-headers" || ct == "message/global-headers":
		// The original's header: nothing about the failure.
	case strings.HasPrefix(ct, "message/"):
		if r.attached == nil {
			r.attached = body
		}
	case ct == "text/html":
		if len(r.html) < maxText {
			r.html = append(r.html, stripTags(body)...)
		}
	case ct == "" || strings.HasPrefix(ct, "text/"):
		r.addText(body)
	}
}

// addText appends a text part, cut where an inline copy of the original
// message starts.
func (r *report) addText(b []byte) {
	if len(r.text) >= maxText {
		return
	}
	b = cutOriginal(b)
	if len(b) > maxText-len(r.text) {
		b = b[:maxText-len(r.text)]
	}
	r.text = append(r.text, b...)
	r.text = append(r.text, '\n')
}

// splitHeader splits an entity at its first empty line. An entity whose
// first line is not a header field has no header.
func splitHeader(ent []byte) (hdr, body []byte) {
	if len(ent) > 0 && (ent[0] == '\n' || ent[0] == '\r') {
		_, after, _ := bytes.Cut(ent, []byte("\n"))
		return nil, after
	}
	first, _, _ := bytes.Cut(ent, []byte("\n"))
	if c := bytes.IndexByte(first, ':'); c <= 0 || bytes.ContainsAny(first[:c], " \t") {
		return nil, ent
	}
	for i := 0; i < len(ent); {
		j := bytes.IndexByte(ent[i:], '\n')
		if j < 0 {
			return ent, nil
		}
		line := ent[i : i+j]
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return ent[:i], ent[i+j+1:]
		}
		i += j + 1
	}
	return ent, nil
}

// headerValue returns the unfolded value of the first field named name in
// hdr, or "".
func headerValue(hdr []byte, name string) string {
	for i := 0; i < len(hdr); {
		j := bytes.IndexByte(hdr[i:], '\n')
		end := len(hdr)
		if j >= 0 {
			end = i + j
		}
		line := hdr[i:end]
		i = end + 1
		if len(line) <= len(name) || line[len(name)] != ':' || !strings.EqualFold(string(line[:len(name)]), name) {
			continue
		}
		start := i - len(line) - 1 + len(name) + 1
		for i < len(hdr) && (hdr[i] == ' ' || hdr[i] == '\t') { // folded continuation lines
			j := bytes.IndexByte(hdr[i:], '\n')
			if j < 0 {
				i = len(hdr)
				break
			}
			i += j + 1
		}
		return compact(string(hdr[start:min(i, len(hdr))]), maxField)
	}
	return ""
}

// mediaType returns the lower-cased media type and its parameters; a value
// the standard parser refuses still yields its type and boundary.
func mediaType(v string) (string, map[string]string) {
	if v == "" {
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if err == nil {
		return mt, params
	}
	mt, rest, _ := strings.Cut(v, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	params = map[string]string{}
	if k := indexFold(rest, "boundary="); k >= 0 {
		b := rest[k+len("boundary="):]
		if strings.HasPrefix(b, `"`) {
			b, _, _ = strings.Cut(b[1:], `"`)
		} else if e := strings.IndexAny(b, "; \t"); e >= 0 {
			b = b[:e]
		}
		params["boundary"] = b
	}
	return mt, params
}

// decodeBody undoes a base64 or quoted-printable transfer encoding; what
// does not decode is kept as it is.
func decodeBody(b []byte, cte string) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		if len(clean)%4 == 1 { // a lone trailing character carries no whole octet
			clean = clean[:len(clean)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, err := base64.RawStdEncoding.Decode(out, clean)
		if err != nil && n == 0 {
			return b
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil && len(out) == 0 {
			return b
		}
		return out
	}
	return b
}

// splitParts returns the bodies of a multipart entity's parts. A missing
// close delimiter ends the last part at the end of the body.
func splitParts(body []byte, boundary string) [][]byte {
	if boundary == "" {
		return nil
	}
	delim := []byte("--" + boundary)
	var parts [][]byte
	start := -1
	for i := 0; i < len(body); {
		end := len(body)
		if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
			end = i + j
		}
		line := bytes.TrimRight(body[i:end], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			if len(rest) == 0 || string(rest) == "--" {
				if start >= 0 {
					parts = append(parts, body[start:i])
				}
				if len(rest) > 0 {
					return parts
				}
				start = end + 1
			}
		}
		i = end + 1
	}
	if start >= 0 && start < len(body) {
		parts = append(parts, body[start:])
	}
	return parts
}

// parseStatus reads delivery-status fields: groups of fields separated by
// empty lines (RFC 3464 §2.1). Any group naming a recipient is a
// per-recipient block, so a missing empty line after the per-message
// fields loses nothing.
func (r *report) parseStatus(b []byte) {
	var cur dsnRcpt
	var last *string // the field a continuation line extends
	flush := func() {
		if (cur.final != "" || cur.orig != "") && len(r.rcpts) < maxDSNRecipients {
			r.rcpts = append(r.rcpts, cur)
		}
		cur, last = dsnRcpt{}, nil
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != nil && len(*last) < maxField {
				*last += " " + string(bytes.TrimSpace(line))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			last = nil
			continue
		}
		v := string(bytes.TrimSpace(value))
		switch strings.ToLower(string(bytes.TrimSpace(name))) {
		case "final-recipient":
			if cur.final != "" { // a new block without the empty line
				flush()
			}
			cur.final, last = v, &cur.final
		case "original-recipient":
			cur.orig, last = v, &cur.orig
		case "action":
			cur.action, last = strings.ToLower(v), &cur.action
		case "status":
			cur.status, last = v, &cur.status
		case "diagnostic-code":
			cur.diag, last = v, &cur.diag
		default:
			last = nil
		}
	}
	flush()
}

// embeddedStatus reads the delivery-status fields of a DSN that a bounce
// carries as plain text (a bounce forwarded inline): from the paragraph
// holding the first Final-Recipient field to the next MIME delimiter.
func (r *report) embeddedStatus(msg []byte) {
	k := lineWithPrefix(msg, "final-recipient:")
	if k < 0 {
		return
	}
	start := bytes.LastIndex(msg[:k], []byte("\n\n"))
	if crlf := bytes.LastIndex(msg[:k], []byte("\n\r\n")); crlf > start {
		start = crlf
	}
	if start < 0 {
		start = k
	}
	end := len(msg)
	if e := bytes.Index(msg[k:], []byte("\n--")); e >= 0 {
		end = k + e
	}
	r.parseStatus(msg[start:end])
}

// lineWithPrefix returns the offset of the line break before the first
// line of b that starts with prefix, in any case, or -1.
func lineWithPrefix(b []byte, prefix string) int {
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		if rest := b[i+1:]; len(rest) >= len(prefix) && strings.EqualFold(string(rest[:len(prefix)]), prefix) {
			return i
		}
		j := bytes.IndexByte(b[i+1:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return -1
}

// cutOriginal returns text up to the line where an inline copy of the
// original message begins, as qmail, Exim, Yahoo and others include it
// after a separator line.
func cutOriginal(b []byte) []byte {
	for i := 0; i < len(b); {
		end := len(b)
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			end = i + j
		}
		if originalMarker(b[i:end]) || i > 0 && originalHeader(b[i:end]) {
			return b[:i]
		}
		i = end + 1
	}
	return b
}

// markerPhrases name the copy of the original in the separator lines of
// free-form bounces.
var markerPhrases = []string{
	"copy of the message", "copy of your message", "original message", "returned message",
	"unsent message", "message headers follow", "headers of the original", "header of the original",
	"original mail", "undelivered message", "message text follows", "your message follows",
	"content-type: message/rfc822",
}

// originalMarker reports whether line introduces the original message: a
// line of dashes or a short "... follows" line naming it.
func originalMarker(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) < 8 || len(line) > 100 {
		return false
	}
	low := strings.ToLower(string(line))
	named := false
	for _, p := range markerPhrases {
		if strings.Contains(low, p) {
			named = true
			break
		}
	}
	if !named {
		return false
	}
	c := line[0]
	return c == '-' || c == '=' || c == '*' || c == '_' || c == '[' || c == '|' ||
		strings.HasSuffix(low, "follows.") || strings.HasSuffix(low, "follows") ||
		strings.HasSuffix(low, "follows:") || strings.HasSuffix(low, "following.") ||
		strings.HasSuffix(low, ":") || strings.HasPrefix(low, "content-type:")
}

// originalHeader reports whether line is the first field of an original
// message's header copied into the text without a separator.
func originalHeader(line []byte) bool {
	return len(line) > 12 && (strings.EqualFold(string(line[:9]), "received:") || strings.EqualFold(string(line[:12]), "return-path:"))
}

// stripTags returns the text of an HTML body: tags become spaces, common
// entities their characters.
func stripTags(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for _, c := range b {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
			out = append(out, ' ')
		case !in:
			out = append(out, c)
		}
	}
	r := strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'")
	return []byte(r.Replace(string(out)))
}

// jsonNotification reads the recipients of a JSON bounce notification
// (Amazon SES, also wrapped in an SNS envelope, where the notification is
// an escaped string): each object of "bouncedRecipients" with its
// emailAddress, action, status and diagnosticCode. It scans for the keys
// rather than decoding, so a notification cut or folded by a mail system
// still yields its recipients.
func (r *report) jsonNotification(text []byte) {
	k := bytes.Index(text, []byte(`bouncedRecipients`))
	if k < 0 {
		return
	}
	t := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\/`, `/`).Replace(string(text[k:]))
	if e := strings.IndexByte(t, ']'); e >= 0 {
		t = t[:e]
	}
	for _, obj := range strings.Split(t, "}") {
		d := dsnRcpt{
			final:  jsonString(obj, "emailAddress"),
			action: strings.ToLower(jsonString(obj, "action")),
			status: jsonString(obj, "status"),
			diag:   jsonString(obj, "diagnosticCode"),
		}
		if d.final != "" && len(r.rcpts) < maxDSNRecipients {
			r.rcpts = append(r.rcpts, d)
		}
	}
}

// jsonString returns the string value of "key" in obj, or "".
func jsonString(obj, key string) string {
	k := strings.Index(obj, `"`+key+`"`)
	if k < 0 {
		return ""
	}
	v := strings.TrimLeft(obj[k+len(key)+2:], " \t\r\n:")
	if !strings.HasPrefix(v, `"`) {
		return ""
	}
	v = v[1:]
	if e := strings.IndexByte(v, '"'); e >= 0 {
		return v[:e]
	}
	return ""
}
