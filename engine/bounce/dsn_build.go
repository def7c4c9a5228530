package bounce

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/volleymta/volley/spool"
)

// DefaultMaxFull is Params.MaxFull's default: an original bigger than
// 100 KiB is returned as headers only.
const DefaultMaxFull = 100 << 10

// Errors for input no DSN can be built from.
var (
	ErrNoOutcomes      = errors.New("bounce: no outcomes to report")
	ErrNullSender      = errors.New("bounce: no DSN to the null reverse path")
	ErrBadAction       = errors.New("bounce: outcome without a valid action")
	ErrNoRecipient     = errors.New("bounce: outcome without a recipient address")
	ErrBadReportingMTA = errors.New("bounce: reporting MTA is not a host name")
	ErrBadReturnPath   = errors.New("bounce: return path has control characters or is too long")
	ErrBadFrom         = errors.New("bounce: From header value is not printable ASCII or is too long")
	ErrBadID           = errors.New("bounce: NewID returned no dot-atom-text")
	ErrBoundary        = errors.New("bounce: no MIME boundary free of the content")
)

// Params is the input of Build.
type Params struct {
	// ReportingMTA is our host name: "Reporting-MTA: dns; NAME", the
	// Message-ID's right part and the default From. Required.
	ReportingMTA string
	// Message is the original envelope. From becomes the DSN's To (it must
	// not be null); EnvID, Ret, Body, SMTPUTF8 and Received (Arrival-Date)
	// shape the report. Required.
	Message *spool.Message
	// Outcomes are the recipients of Message this DSN reports on, in order.
	// At least one is required; their actions may differ.
	Outcomes []Outcome
	// Original is the original message (header and body) as spooled, or its
	// header section alone when only headers are to be returned. Optional:
	// without it the DSN has no third part (RFC 6522 §3 allows that).
	Original []byte
	// DefaultRet is what to return when Message.Ret is RetDefault
	// (dsn-return-default; RFC 3461 §4.3 lets the MTA choose): RetHdrs or
	// RetFull. Its zero value means headers, as PowerMTA's DSNs do.
	DefaultRet spool.Ret
	// MaxFull is the largest original returned in full, in bytes; a bigger
	// one is returned as headers only. It also caps the returned headers.
	// 0 means DefaultMaxFull; negative means headers only, always.
	MaxFull int
	// From is the From header's value (custom-dsn-from-header), printable
	// ASCII (RFC 2047-encode a non-ASCII display name). Default
	// "Mail Delivery System <MAILER-DAEMON@ReportingMTA>".
	From string
	// Now returns the Date. Default time.Now.
	Now func() time.Time
	// NewID returns a dot-atom-text unique to this DSN, the Message-ID's left
	// part (<ID@ReportingMTA>), from which the MIME boundary is derived too.
	// Default: crypto/rand.Text, 26 base32 characters (130 random bits).
	NewID func() string
}

// Mail is what the DSN's own SMTP transaction needs. The DSN goes to
// Message.From with the null reverse path, MAIL FROM:<> (RFC 5321 §4.5.5),
// so that no notification is ever sent about it.
type Mail struct {
	// Body is Body8BitMIME when the DSN holds 8-bit octets, else Body7Bit.
	Body spool.BodyType
	// SMTPUTF8 is set when the DSN has UTF-8 headers or RFC 6533 global
	// parts, or goes to a UTF-8 address.
	SMTPUTF8 bool
}

// Build appends the DSN for p to dst (RFC 3464 §2, RFC 6522 §3): a
// multipart/report with report-type delivery-status holding a text/plain
// explanation, the message/delivery-status fields and, when p.Original is
// given, the original as message/rfc822 (RET=FULL) or text/rfc822-headers
// (RET=HDRS). When the original envelope had SMTPUTF8 and the report carries
// non-ASCII text, the RFC 6533 types replace them: global-delivery-status,
// message/global, message/global-headers. Lines end in CRLF and stay within
// 998 octets (RFC 5322 §2.1.1). The result is not dot-stuffed. On error dst
// is returned unchanged.
func Build(dst []byte, p *Params) ([]byte, Mail, error) {
	if err := p.validate(); err != nil {
		return dst, Mail{}, err
	}
	b := builder{p: p, m: p.Message}
	if p.Now != nil {
		b.now = p.Now()
	} else {
		b.now = time.Now()
	}
	if p.NewID != nil {
		b.id = p.NewID()
	} else {
		b.id = rand.Text()
	}
	if !dotAtom(b.id) {
		return dst, Mail{}, ErrBadID
	}
	b.plan()
	start := len(dst)
	uses := boundaryUses
	if b.ret.kind == retNone {
		uses-- // no third part
	}
	for attempt := range 10 { // RFC 2046 §5.1.1: the boundary must not occur in the content
		bd := boundary(&b.bd, b.id, attempt)
		out := b.write(dst[:start], bd)
		if bytes.Count(out[start:], bd) == uses {
			return out, b.mail(out[start:]), nil
		}
	}
	return dst[:start], Mail{}, ErrBoundary
}

// validate checks the input no DSN can be built without.
func (p *Params) validate() error {
	if len(p.Outcomes) == 0 {
		return ErrNoOutcomes
	}
	if p.Message == nil || p.Message.From == "" {
		return ErrNullSender
	}
	if !hostName(p.ReportingMTA) {
		return ErrBadReportingMTA
	}
	if len(p.Message.From) > maxAddr {
		return ErrBadReturnPath
	}
	for i := 0; i < len(p.Message.From); i++ {
		if c := p.Message.From[i]; c < ' ' || c == 0x7f || c == '<' || c == '>' {
			return ErrBadReturnPath
		}
	}
	if len(p.From) > maxAddr {
		return ErrBadFrom
	}
	for i := 0; i < len(p.From); i++ {
		if c := p.From[i]; (c < ' ' && c != '\t') || c >= 0x7f {
			return ErrBadFrom
		}
	}
	for i := range p.Outcomes {
		o := &p.Outcomes[i]
		if !o.Action.valid() {
			return ErrBadAction
		}
		if o.Recipient.Addr == "" {
			return ErrNoRecipient
		}
	}
	return nil
}

// maxAddr bounds the return path and the From value, so that their header
// lines stay within RFC 5322 §2.1.1's 998 octets unfolded.
const maxAddr = 900

// builder carries one Build call's decisions.
type builder struct {
	p      *Params
	m      *spool.Message
	now    time.Time
	id     string
	bd     [boundaryLen]byte
	global bool // RFC 6533 types; non-ASCII text written as UTF-8
	ret    returned
}

// plan decides what is returned and whether the report is global.
func (b *builder) plan() {
	b.ret = planReturn(b.p)
	if !b.m.SMTPUTF8 && ascii(b.m.From) {
		return
	}
	// RFC 6533 §6: the global types where the report carries UTF-8. An
	// all-ASCII report stays message/delivery-status, which every reader and
	// every server without SMTPUTF8 takes.
	b.global = !ascii(b.m.From) || !ascii(b.ret.header)
	for i := 0; i < len(b.p.Outcomes) && !b.global; i++ {
		o := &b.p.Outcomes[i]
		b.global = !ascii(o.Recipient.Addr) || !ascii(o.Recipient.ORCPT) || !ascii(o.Diagnostic) || !ascii(o.RemoteMTA)
	}
}

// boundaryUses is how often Build itself writes the boundary: in
// Content-Type, before each of three parts and at the close.
const boundaryUses = 5

// write appends the whole DSN with boundary bd.
func (b *builder) write(dst, bd []byte) []byte {
	dst = b.topHeader(dst, bd)
	dst = append(dst, "This is a MIME-encapsulated message.\r\n"...)

	dst = delimiter(dst, bd)
	if b.global {
		dst = append(dst, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"...)
	} else {
		dst = append(dst, "Content-Type: text/plain; charset=us-ascii\r\n"...)
	}
	dst = append(dst, "Content-Description: Notification\r\n\r\n"...)
	dst = b.appendText(dst)

	dst = delimiter(dst, bd)
	if b.global { // RFC 6533 §6.1
		dst = append(dst, "Content-Type: message/global-delivery-status\r\nContent-Transfer-Encoding: 8bit\r\n"...)
	} else {
		dst = append(dst, "Content-Type: message/delivery-status\r\n"...)
	}
	dst = append(dst, "Content-Description: Delivery report\r\n\r\n"...)
	dst = b.appendStatus(dst)

	if b.ret.kind != retNone {
		dst = delimiter(dst, bd)
		dst = b.appendReturned(dst)
	}
	dst = append(dst, "\r\n--"...)
	dst = append(dst, bd...)
	return append(dst, "--\r\n"...)
}

// delimiter appends a boundary delimiter line; the CRLF before it belongs to
// it (RFC 2046 §5.1.1).
func delimiter(dst, bd []byte) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, bd...)
	return append(dst, "\r\n"...)
}

// topHeader appends the DSN's header section and the blank line after it.
func (b *builder) topHeader(dst, bd []byte) []byte {
	p := b.p
	dst = append(dst, "From: "...)
	if p.From != "" {
		dst = append(dst, p.From...)
	} else {
		dst = append(dst, "Mail Delivery System <MAILER-DAEMON@"...)
		dst = append(dst, p.ReportingMTA...)
		dst = append(dst, '>')
	}
	dst = append(dst, "\r\nTo: <"...)
	dst = append(dst, b.m.From...)
	dst = append(dst, ">\r\nSubject: Delivery Status Notification ("...)
	dst = append(dst, subjectWord(p.Outcomes)...)
	dst = append(dst, ")\r\nDate: "...)
	dst = b.now.AppendFormat(dst, time.RFC1123Z) // RFC 5322 §3.3
	dst = append(dst, "\r\nMessage-ID: <"...)    // RFC 5322 §3.6.4
	dst = append(dst, b.id...)
	dst = append(dst, '@')
	dst = append(dst, p.ReportingMTA...)
	dst = append(dst, ">\r\nAuto-Submitted: auto-replied\r\n"...) // RFC 3834 §5
	dst = append(dst, "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type="...)
	if b.global {
		dst = append(dst, "global-"...) // RFC 6533 §6.1 with RFC 6522 §3
	}
	dst = append(dst, "delivery-status;\r\n\tboundary=\""...)
	dst = append(dst, bd...)
	dst = append(dst, "\"\r\n"...)
	if b.global || b.ret.eight { // RFC 2045 §6.4: a multipart is 8bit if a part is
		dst = append(dst, "Content-Transfer-Encoding: 8bit\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// subjectWord names the most severe action among os, as PowerMTA and
// Postfix subjects do.
func subjectWord(os []Outcome) string {
	word := "Success"
	for i := range os {
		switch os[i].Action {
		case ActionFailed:
			return "Failure"
		case ActionDelayed:
			word = "Delay"
		}
	}
	return word
}

// mail derives the DSN's MAIL parameters from its bytes.
func (b *builder) mail(dsn []byte) Mail {
	var m Mail
	for _, c := range dsn {
		if c >= 0x80 {
			m.Body = spool.Body8BitMIME
			break
		}
	}
	m.SMTPUTF8 = b.global || !ascii(b.m.From)
	return m
}

// boundaryLen is the length of every boundary: "=_volley_dsn_" and 16 hex
// digits. "=_" cannot occur in quoted-printable or base64 text, and the hash
// of the DSN's unique ID keeps it apart from other DSNs' boundaries.
const boundaryLen = 13 + 16

// boundary fills buf with the boundary for id's attempt-th try: the FNV-1a
// hash of id, and of the attempt number after the first try.
func boundary(buf *[boundaryLen]byte, id string, attempt int) []byte {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * prime
	}
	if attempt > 0 {
		h = (h ^ uint64(attempt)) * prime
	}
	n := copy(buf[:], "=_volley_dsn_")
	const hexDigits = "0123456789abcdef"
	for i := boundaryLen - 1; i >= n; i-- {
		buf[i] = hexDigits[h&15]
		h >>= 4
	}
	return buf[:]
}

// dotAtom reports whether s is a dot-atom-text (RFC 5322 §3.2.3) of at most
// 128 octets.
func dotAtom(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<>@[\]`, c) >= 0:
			return false
		}
	}
	return true
}

// hostName reports whether s looks like a host name: letters, digits, '-',
// '_' and '.', at most 255 octets.
func hostName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ascii reports whether s has no octet above 0x7f.
func ascii[S ~string | ~[]byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
