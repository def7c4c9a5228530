package pickup

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/volleymta/volley/spool"
)

// DefaultMaxRecipients is the x-receiver limit per file when
// Parser.MaxRecipients is zero: PowerMTA's guidance of at most 5000
// recipients per pickup file.
const DefaultMaxRecipients = 5000

// maxSpoolRecipients is the spool's own per-message limit.
const maxSpoolRecipients = 1 << 16

// maxEnvelopeLine bounds an envelope line, line break included: the RFC 5321
// §4.5.3.1.6 text-line limit, which every address and value fits in.
const maxEnvelopeLine = 1000

// maxEnvID is the RFC 3461 §4.4 limit on ENVID.
const maxEnvID = 100

// ErrBSMTP reports a BSMTP pickup file (one starting with HELO, EHLO, MAIL or
// XACK), which Volley does not accept yet.
var ErrBSMTP = errors.New("pickup: BSMTP pickup files are not supported yet")

// ParseError says why a pickup file was rejected. Line is the 1-based line
// the problem is on, or 0 when it concerns the whole file.
type ParseError struct {
	Line   int
	Reason string
}

// Error renders "line 3: x-receiver: empty address", or the bare reason when
// Line is 0.
func (e *ParseError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// Envelope is the envelope of a pickup file: its x- lines.
type Envelope struct {
	// Sender is the x-sender address without angle brackets; "" is the null
	// sender, written "<>".
	Sender string
	// Override is the x-sender-override address ("" for "<>"), valid when
	// HasOverride is set. It replaces Sender as the MAIL FROM.
	Override    string
	HasOverride bool
	// Receivers are the x-receiver addresses in file order, without
	// brackets. Duplicates are kept, as written.
	Receivers []string
	// EnvID is the x-envid value (the DSN ENVID), or "".
	EnvID string
	// Job is the x-job value, or "".
	Job string
	// UTF8 reports a non-ASCII address, which needs SMTPUTF8 (RFC 6531 §3.4).
	UTF8 bool
}

// From returns the envelope sender to spool: the override if there is one.
func (e *Envelope) From() string {
	if e.HasOverride {
		return e.Override
	}
	return e.Sender
}

// Message returns the spool message for e and its parsed body: origin
// "pickup", job, ENVID, SMTPUTF8 for non-ASCII addresses and BODY=8BITMIME
// when the body has 8-bit octets.
func (e *Envelope) Message(body []byte) *spool.Message {
	m := &spool.Message{From: e.From(), EnvID: e.EnvID, Job: e.Job, Origin: "pickup", SMTPUTF8: e.UTF8}
	if !isASCII(body) {
		m.Body = spool.Body8BitMIME
	}
	m.Recipients = make([]spool.Recipient, len(e.Receivers))
	for i, a := range e.Receivers {
		m.Recipients[i].Addr = a
	}
	return m
}

// AppendEnvelope renders e as pickup envelope lines with CRLF line ends and
// bracketed addresses; Parse reads them back to an equal Envelope.
func AppendEnvelope(dst []byte, e *Envelope) []byte {
	dst = appendLine(dst, "x-sender: <", e.Sender, ">")
	if e.HasOverride {
		dst = appendLine(dst, "x-sender-override: <", e.Override, ">")
	}
	if e.EnvID != "" {
		dst = appendLine(dst, "x-envid: ", e.EnvID, "")
	}
	if e.Job != "" {
		dst = appendLine(dst, "x-job: ", e.Job, "")
	}
	for _, r := range e.Receivers {
		dst = appendLine(dst, "x-receiver: <", r, ">")
	}
	return dst
}

func appendLine(dst []byte, pre, v, post string) []byte {
	dst = append(dst, pre...)
	dst = append(dst, v...)
	dst = append(dst, post...)
	return append(dst, '\r', '\n')
}

// Parser parses pickup files. The zero value applies PowerMTA's defaults.
type Parser struct {
	// MaxRecipients bounds the x-receiver lines per file (default
	// DefaultMaxRecipients; at most 65536, the spool's limit).
	MaxRecipients int
	// RemoveDot un-doubles leading dots (`pickup-remove-dot`): a body line
	// starting with ".." loses its first dot. Default false.
	RemoveDot bool
}

// Parse parses a pickup file with the default Parser.
func Parse(r []byte) (Envelope, []byte, error) { return Parser{}.Parse(r) }

// envelope header kinds.
type hdrKind uint8

const (
	hdrNone hdrKind = iota
	hdrSender
	hdrReceiver
	hdrEnvID
	hdrJob
	hdrOverride
	hdrKindCount
)

var hdrNames = [hdrKindCount]string{"", "x-sender", "x-receiver", "x-envid", "x-job", "x-sender-override"}

// Parse parses a PowerMTA pickup file: the envelope lines x-sender (first,
// exactly once), x-receiver (one or more), x-envid, x-job and
// x-sender-override (each at most once), then the RFC 5322 message, which is
// kept unchanged except that bare LF line ends become CRLF, a missing final
// line break is added (the spool holds the wire form, RFC 5321 §2.3.8) and,
// with RemoveDot, doubled leading dots are undone. Header names are
// case-insensitive, values are trimmed and addresses may be bracketed.
//
// The returned body aliases r when no change was needed; otherwise it is a
// new slice. Envelope strings never alias r. A malformed file yields a
// *ParseError; a BSMTP file yields ErrBSMTP.
func (p Parser) Parse(r []byte) (Envelope, []byte, error) {
	var env Envelope
	if len(r) == 0 {
		return env, nil, &ParseError{Reason: "empty file"}
	}
	if i := bytes.IndexByte(r, 0); i >= 0 {
		return env, nil, &ParseError{Line: 1 + bytes.Count(r[:i], []byte{'\n'}), Reason: "NUL byte"}
	}
	maxRcpt := p.MaxRecipients
	if maxRcpt <= 0 {
		maxRcpt = DefaultMaxRecipients
	}
	maxRcpt = min(maxRcpt, maxSpoolRecipients)

	end, err := p.scanEnvelope(r, &env, maxRcpt)
	if err != nil {
		return Envelope{}, nil, err
	}
	body := r[end:]
	if len(bytes.Trim(body, "\r\n")) == 0 {
		return Envelope{}, nil, &ParseError{Reason: "no message after the envelope lines"}
	}
	return env, normalizeBody(body, p.RemoveDot), nil
}

// scanEnvelope fills env from the envelope lines at the start of r and
// returns the offset of the message.
func (p Parser) scanEnvelope(r []byte, env *Envelope, maxRcpt int) (int, error) {
	// First pass: find the envelope's end, so that all its strings come from
	// one string conversion.
	end, lines, rcpts := 0, 0, 0
	for end < len(r) {
		line, next := nextLine(r, end)
		k := kindOf(line)
		if k == hdrNone {
			break
		}
		if k == hdrReceiver {
			rcpts++
		}
		end, lines = next, lines+1
	}
	if lines == 0 {
		first, _ := nextLine(r, 0)
		if isBSMTP(first) {
			return 0, ErrBSMTP
		}
		return 0, &ParseError{Line: 1, Reason: `no x-sender line: the file must start with "x-sender:"`}
	}
	if end < len(r) && (r[end] == ' ' || r[end] == '\t') {
		return 0, &ParseError{Line: lines + 1, Reason: "folded envelope lines are not supported"}
	}
	hdr := string(r[:end])
	env.Receivers = make([]string, 0, min(rcpts, maxRcpt))
	var seen [hdrKindCount]bool
	n := 0
	for pos, ln := 0, 1; pos < end; ln++ {
		line, next := nextLine(hdr, pos)
		pos = next
		k := kindOf(line)
		if err := p.envelopeLine(env, k, line, ln, &seen, &n, maxRcpt); err != nil {
			return 0, err
		}
	}
	if len(env.Receivers) == 0 {
		return 0, &ParseError{Reason: "no x-receiver line"}
	}
	return end, nil
}

// envelopeLine checks one envelope line of kind k and stores its value.
func (p Parser) envelopeLine(env *Envelope, k hdrKind, line string, ln int, seen *[hdrKindCount]bool, n *int, maxRcpt int) error {
	name := hdrNames[k]
	fail := func(reason string) error { return &ParseError{Line: ln, Reason: name + ": " + reason} }
	if len(line) > maxEnvelopeLine-2 {
		return &ParseError{Line: ln, Reason: "envelope line longer than 1000 bytes"}
	}
	if ln == 1 && k != hdrSender {
		return &ParseError{Line: 1, Reason: `no x-sender line: the file must start with "x-sender:", not "` + name + `:"`}
	}
	if k != hdrReceiver && seen[k] {
		return &ParseError{Line: ln, Reason: "second " + name + " line"}
	}
	seen[k] = true
	v := value(line)
	if c, ok := hasControl(v); ok {
		return fail("control character " + strconv.QuoteRune(rune(c)))
	}
	switch k {
	case hdrSender, hdrOverride:
		a, utf, reason := parseAddr(v, true)
		if reason != "" {
			return fail(reason)
		}
		env.UTF8 = env.UTF8 || utf
		if k == hdrSender {
			env.Sender = a
		} else {
			env.Override, env.HasOverride = a, true
		}
	case hdrReceiver:
		if *n++; *n > maxRcpt {
			return &ParseError{Line: ln, Reason: "more than " + strconv.Itoa(maxRcpt) + " x-receiver lines"}
		}
		a, utf, reason := parseAddr(v, false)
		if reason != "" {
			return fail(reason)
		}
		env.UTF8 = env.UTF8 || utf
		env.Receivers = append(env.Receivers, a)
	case hdrEnvID:
		if len(v) > maxEnvID { // RFC 3461 §4.4
			return fail("longer than 100 characters (RFC 3461 §4.4)")
		}
		for i := 0; i < len(v); i++ {
			if v[i] <= ' ' || v[i] > '~' {
				return fail("not printable ASCII (RFC 3461 §4.4)")
			}
		}
		env.EnvID = v
	case hdrJob:
		if !utf8.ValidString(v) {
			return fail("invalid UTF-8")
		}
		env.Job = v
	}
	return nil
}

// nextLine returns the line starting at pos without its line break (LF or
// CRLF) and the offset of the next line.
func nextLine[T string | []byte](s T, pos int) (T, int) {
	i := pos
	for i < len(s) && s[i] != '\n' {
		i++
	}
	line, next := s[pos:i], i
	if i < len(s) {
		next++
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, next
}

// kindOf returns which envelope header line is, matching the name without
// regard to case and allowing blanks before the colon.
func kindOf[T string | []byte](line T) hdrKind {
	for k := hdrSender; k < hdrKindCount; k++ {
		name := hdrNames[k]
		if len(line) <= len(name) || !equalFold(line[:len(name)], name) {
			continue
		}
		i := len(name)
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] == ':' {
			return k
		}
	}
	return hdrNone
}

// value returns the trimmed text after the colon of an envelope line.
func value(line string) string {
	i := 0
	for line[i] != ':' {
		i++
	}
	v := line[i+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

func hasControl(v string) (byte, bool) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// equalFold compares ASCII s with the lowercase name, folding s byte by byte.
func equalFold[T string | []byte](s T, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isBSMTP reports a first line that starts a BSMTP file.
func isBSMTP(line []byte) bool {
	for _, verb := range [...]string{"helo", "ehlo", "mail", "xack"} {
		if len(line) >= len(verb) && equalFold(line[:len(verb)], verb) &&
			(len(line) == len(verb) || line[len(verb)] == ' ') {
			return true
		}
	}
	return false
}

// normalizeBody turns bare LF line ends into CRLF, ends the last line with
// CRLF and, with removeDot, drops the first dot of lines starting with "..".
// It returns body itself when nothing changes.
func normalizeBody(body []byte, removeDot bool) []byte {
	extra, changed := 0, false
	for pos := 0; pos < len(body); {
		if removeDot && hasDoubleDot(body, pos) {
			changed = true
		}
		i := bytes.IndexByte(body[pos:], '\n')
		if i < 0 {
			extra, changed = extra+2, true // unterminated last line
			break
		}
		if i == 0 || body[pos+i-1] != '\r' {
			extra, changed = extra+1, true
		}
		pos += i + 1
	}
	if !changed {
		return body
	}
	out := make([]byte, 0, len(body)+extra)
	for pos := 0; pos < len(body); {
		if removeDot && hasDoubleDot(body, pos) {
			pos++
		}
		i := bytes.IndexByte(body[pos:], '\n')
		if i < 0 {
			out = append(out, body[pos:]...)
			out = append(out, '\r', '\n')
			break
		}
		line := body[pos : pos+i]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
		pos += i + 1
	}
	return out
}

func hasDoubleDot(b []byte, pos int) bool {
	return pos+1 < len(b) && b[pos] == '.' && b[pos+1] == '.'
}

func isASCII[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if b[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Address limits (RFC 5321 §4.5.3.1).
const (
	maxLocalPart = 64  // RFC 5321 §4.5.3.1.1
	maxDomain    = 255 // RFC 5321 §4.5.3.1.2
	maxMailbox   = 254 // RFC 5321 §4.5.3.1.3: a 256-octet path less its brackets
	maxLabel     = 63  // RFC 1035 §2.3.4
)

// parseAddr checks an envelope address, bracketed or not, and returns it
// without brackets, whether it is non-ASCII, and a reason when it is
// malformed. "<>" (the null sender) is accepted only when null is set.
//
// smtpwire keeps its RFC 5321 path parser unexported, so this is a local
// check of the same grammar minus source routes: Mailbox = Local-part "@"
// ( Domain / address-literal ) (RFC 5321 §4.1.2), with RFC 6531 UTF-8.
func parseAddr(v string, null bool) (addr string, utf bool, reason string) {
	a := v
	if len(a) > 0 && a[0] == '<' {
		if a[len(a)-1] != '>' {
			return "", false, "unbalanced angle brackets in " + strconv.Quote(v)
		}
		a = a[1 : len(a)-1]
	} else if len(a) > 0 && a[len(a)-1] == '>' {
		return "", false, "unbalanced angle brackets in " + strconv.Quote(v)
	}
	if a == "" {
		if null && v == "<>" { // RFC 5321 §4.5.5
			return "", false, ""
		}
		if null {
			return "", false, "empty address (write <> for the null sender)"
		}
		return "", false, "empty address"
	}
	if len(a) > maxMailbox {
		return "", false, "address longer than 254 characters (RFC 5321 §4.5.3.1.3)"
	}
	if !utf8.ValidString(a) { // RFC 6531 §3.3
		return "", false, "malformed address " + strconv.Quote(a) + ": invalid UTF-8"
	}
	at := lastAt(a)
	if at < 0 {
		return "", false, "malformed address " + strconv.Quote(a) + ": no @domain"
	}
	if r := checkLocal(a[:at]); r != "" {
		return "", false, "malformed address " + strconv.Quote(a) + ": " + r
	}
	if r := checkDomain(a[at+1:]); r != "" {
		return "", false, "malformed address " + strconv.Quote(a) + ": " + r
	}
	return a, !isASCII(a), ""
}

// lastAt returns the index of the '@' that separates local part and domain:
// the last one outside a quoted local part.
func lastAt(a string) int {
	at, quoted := -1, false
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '@' && !quoted:
			at = i
		}
	}
	return at
}

// checkLocal checks Local-part = Dot-string / Quoted-string (RFC 5321 §4.1.2).
func checkLocal(l string) string {
	if l == "" {
		return "empty local part"
	}
	if len(l) > maxLocalPart {
		return "local part longer than 64 octets (RFC 5321 §4.5.3.1.1)"
	}
	if l[0] == '"' {
		if len(l) < 2 || l[len(l)-1] != '"' {
			return "bad quoted local part"
		}
		for i := 1; i < len(l)-1; i++ {
			c := l[i]
			if c == '\\' { // quoted-pairSMTP = %d92 %d32-126
				if i++; i >= len(l)-1 || l[i] < ' ' || l[i] > '~' {
					return "bad quoted local part"
				}
				continue
			}
			if c < ' ' || c == '"' || c == 0x7f { // qtextSMTP
				return "bad quoted local part"
			}
		}
		return ""
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c == '.' {
			if i == 0 || i == len(l)-1 || l[i-1] == '.' {
				return "misplaced dot in local part"
			}
			continue
		}
		if !isAtext[c] {
			return "character " + strconv.QuoteRune(rune(c)) + " not allowed in local part"
		}
	}
	return ""
}

// checkDomain checks Domain / address-literal (RFC 5321 §4.1.2, §4.1.3).
func checkDomain(d string) string {
	if d == "" {
		return "empty domain"
	}
	if len(d) > maxDomain {
		return "domain longer than 255 octets (RFC 5321 §4.5.3.1.2)"
	}
	if d[0] == '[' {
		if len(d) < 3 || d[len(d)-1] != ']' {
			return "bad address literal"
		}
		for i := 1; i < len(d)-1; i++ {
			if c := d[i]; c <= ' ' || c > '~' || c == '[' || c == ']' || c == '\\' { // dcontent
				return "bad address literal"
			}
		}
		return ""
	}
	label := 0
	for i := 0; i <= len(d); i++ {
		if i == len(d) || d[i] == '.' {
			switch {
			case label == 0:
				return "empty label in domain"
			case d[i-label] == '-' || d[i-1] == '-':
				return "label starts or ends with a hyphen"
			case label > maxLabel && isASCII(d[i-label:i]):
				return "label longer than 63 octets (RFC 1035 §2.3.4)"
			}
			label = 0
			continue
		}
		if c := d[i]; c < 0x80 && !isLdh[c] {
			return "character " + strconv.QuoteRune(rune(c)) + " not allowed in domain"
		}
		label++
	}
	return ""
}

// isAtext holds RFC 5322 §3.2.3 atext, plus UTF-8 octets (RFC 6531 §3.3).
var isAtext = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// isLdh holds the ASCII letters, digits and hyphen of RFC 5321 §4.1.2 Domain.
var isLdh = func() (t [128]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'] = true
	return t
}()
