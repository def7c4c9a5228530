package smtpwire

import "math"

// BodyType is the MAIL BODY= parameter (RFC 6152 §2, RFC 3030 §3).
type BodyType uint8

// Body types; the zero value means the parameter was not given.
const (
	BodyUnset      BodyType = iota
	Body7Bit                // BODY=7BIT, RFC 6152 §2
	Body8BitMIME            // BODY=8BITMIME, RFC 6152 §2
	BodyBinaryMIME          // BODY=BINARYMIME, RFC 3030 §3
	bodyCount
)

var bodyNames = [bodyCount]string{"", "7BIT", "8BITMIME", "BINARYMIME"}

// String returns the parameter value as written on the wire, or "" for
// BodyUnset.
func (b BodyType) String() string {
	if b < bodyCount {
		return bodyNames[b]
	}
	return "INVALID"
}

// Ret is the MAIL RET= parameter (RFC 3461 §4.3).
type Ret uint8

// RET values; the zero value means the parameter was not given.
const (
	RetUnset Ret = iota
	RetFull      // RET=FULL: return the whole message in a DSN
	RetHdrs      // RET=HDRS: return only the headers
	retCount
)

var retNames = [retCount]string{"", "FULL", "HDRS"}

// String returns the parameter value as written on the wire, or "" for
// RetUnset.
func (r Ret) String() string {
	if r < retCount {
		return retNames[r]
	}
	return "INVALID"
}

// Notify is the RCPT NOTIFY= parameter (RFC 3461 §4.1), a bit set. Zero
// means the parameter was not given. NotifyNever never combines with the
// others on the wire.
type Notify uint8

// NOTIFY bits.
const (
	NotifyNever Notify = 1 << iota
	NotifySuccess
	NotifyFailure
	NotifyDelay
)

// notifyNames holds the wire form of every combination of the four bits,
// so that String and AppendRcptTo need no allocation. Combinations of NEVER
// with another keyword are invalid but still shown as they are.
var notifyNames = [16]string{
	"", "NEVER", "SUCCESS", "NEVER,SUCCESS",
	"FAILURE", "NEVER,FAILURE", "SUCCESS,FAILURE", "NEVER,SUCCESS,FAILURE",
	"DELAY", "NEVER,DELAY", "SUCCESS,DELAY", "NEVER,SUCCESS,DELAY",
	"FAILURE,DELAY", "NEVER,FAILURE,DELAY", "SUCCESS,FAILURE,DELAY", "NEVER,SUCCESS,FAILURE,DELAY",
}

// String returns the parameter value in canonical order (SUCCESS, FAILURE,
// DELAY), or "" when unset. Bits above NotifyDelay are ignored.
func (n Notify) String() string { return notifyNames[n&15] }

// MailParams holds the MAIL parameters Volley implements. Byte slices are
// sub-slices of the parsed line and share its lifetime (see Command).
// ParseCommand accepts every parameter here whatever the server advertised
// in its EHLO reply; the session answers 555 for one whose extension it did
// not offer (RFC 5321 §4.1.1.11), such as BODY=BINARYMIME without CHUNKING
// (RFC 3030 §3).
type MailParams struct {
	Size     int64    // SIZE= (RFC 1870 §3); 0 = not given. A value beyond int64 reads as math.MaxInt64, so it fails the size check with 552 rather than a syntax error (RFC 1870 §6.1)
	Body     BodyType // BODY= (RFC 6152, RFC 3030)
	SMTPUTF8 bool     // SMTPUTF8 (RFC 6531 §3.4)
	Ret      Ret      // RET= (RFC 3461 §4.3)
	EnvID    []byte   // ENVID= value, xtext as written (decode with DecodeXtext); RFC 3461 §4.4
	Auth     []byte   // AUTH= value, xtext as written, "<>" included (RFC 4954 §5)
}

// RcptParams holds the RCPT parameters Volley implements, RFC 3461 §4.1
// and §4.2 (DSN). Byte slices are sub-slices of the parsed line and share
// its lifetime; as for MailParams, the session refuses them when it did not
// advertise DSN.
type RcptParams struct {
	Notify    Notify
	ORCPTType []byte // addr-type before ';', e.g. "rfc822", as written
	ORCPT     []byte // xtext after ';' as written (decode with DecodeXtext)
}

// Parameter errors. RFC 5321 §4.1.1.11 answers an unrecognised parameter
// with 555; a recognised one with a bad value is a 501 syntax error.
var (
	ErrUnknownParam   = newError(C555ParamsUnrecognized, E554InvalidArguments, "Unsupported parameter", "unknown MAIL/RCPT parameter")
	ErrParamSyntax    = newError(C501ParamSyntax, E554InvalidArguments, "Bad parameter syntax", "malformed esmtp-param")
	ErrDuplicateParam = newError(C501ParamSyntax, E554InvalidArguments, "Duplicate parameter", "parameter given twice")
	ErrBadSize        = newError(C501ParamSyntax, E554InvalidArguments, "Bad SIZE value", "SIZE is not a number")
	ErrBadBody        = newError(C501ParamSyntax, E554InvalidArguments, "Bad BODY value", "BODY is not 7BIT, 8BITMIME or BINARYMIME")
	ErrBadSMTPUTF8    = newError(C501ParamSyntax, E554InvalidArguments, "SMTPUTF8 takes no value", "SMTPUTF8 with a value")
	ErrBadRet         = newError(C501ParamSyntax, E554InvalidArguments, "Bad RET value", "RET is not FULL or HDRS")
	ErrBadEnvID       = newError(C501ParamSyntax, E554InvalidArguments, "Bad ENVID value", "ENVID is not xtext of up to 100 characters")
	ErrBadAuthParam   = newError(C501ParamSyntax, E554InvalidArguments, "Bad AUTH value", "MAIL AUTH is not xtext")
	ErrBadNotify      = newError(C501ParamSyntax, E554InvalidArguments, "Bad NOTIFY value", "NOTIFY is not NEVER or a list of SUCCESS, FAILURE, DELAY")
	ErrBadORCPT       = newError(C501ParamSyntax, E554InvalidArguments, "Bad ORCPT value", "ORCPT is not addr-type;xtext of up to 500 characters")

	// ErrBadXtext is returned by DecodeXtext. Its Reply suits a session
	// that decodes a parameter itself.
	ErrBadXtext = newError(C501ParamSyntax, E554InvalidArguments, "Bad xtext value", "malformed xtext")
)

// RFC 3461 value limits, applied to the decoded value so that no address
// that fits is refused for its encoding.
const (
	maxEnvID = 100 // RFC 3461 §4.4
	maxORCPT = 500 // RFC 3461 §4.2
)

// esmtpParam is one esmtp-param = esmtp-keyword ["=" esmtp-value]
// (RFC 5321 §4.1.2), sub-slices of the line.
type esmtpParam struct {
	kw, val []byte
	eq      bool // "=" present
}

// scan reads the esmtp-param at s[i] and returns the index after it.
func (p *esmtpParam) scan(s []byte, i int) (int, error) {
	// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
	j := i
	for j < len(s) && isKeyword[s[j]] {
		j++
	}
	p.kw, p.val, p.eq = s[i:j], nil, false
	if j == i || s[i] == '-' {
		return j, ErrParamSyntax
	}
	if j == len(s) || s[j] == ' ' {
		return j, nil
	}
	if s[j] != '=' {
		return j, ErrParamSyntax
	}
	p.eq = true
	j++
	k := j
	// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF8-non-ascii (RFC 6531 §3.3);
	// ParseCommand has already refused control octets.
	for k < len(s) && s[k] != ' ' && s[k] != '=' {
		k++
	}
	if k == j || k < len(s) && s[k] == '=' {
		return k, ErrParamSyntax
	}
	p.val = s[j:k]
	return k, nil
}

// isKeyword holds the octets of an esmtp-keyword (RFC 5321 §4.1.2).
var isKeyword = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || c == '-'
	}
	return t
}()

// Bits for duplicate detection in parseMailParams and parseRcptParams.
const (
	seenSize = 1 << iota
	seenBody
	seenSMTPUTF8
	seenRet
	seenEnvID
	seenAuth
	seenNotify
	seenORCPT
)

// parseMailParams parses [SP Mail-parameters] after the reverse-path
// (RFC 5321 §4.1.1.2). Several spaces between parameters and trailing
// spaces are tolerated.
func parseMailParams(s []byte, m *MailParams) error {
	if len(s) > 0 && s[0] != ' ' {
		return ErrSyntaxMailFrom
	}
	var p esmtpParam
	var seen uint8
	for i := skipSP(s, 0); i < len(s); i = skipSP(s, i) {
		var err error
		if i, err = p.scan(s, i); err != nil {
			return err
		}
		var bit uint8
		switch {
		case equalFold(p.kw, "SIZE"):
			bit, err = seenSize, p.size(m)
		case equalFold(p.kw, "BODY"):
			bit, err = seenBody, p.body(m)
		case equalFold(p.kw, "SMTPUTF8"): // RFC 6531 §3.4: no value
			bit, m.SMTPUTF8 = seenSMTPUTF8, true
			if p.eq {
				err = ErrBadSMTPUTF8
			}
		case equalFold(p.kw, "RET"):
			bit, err = seenRet, p.ret(m)
		case equalFold(p.kw, "ENVID"): // RFC 3461 §4.4: ENVID=xtext
			bit, err = seenEnvID, ErrBadEnvID
			if n, ok := xtextLen(p.val); p.eq && ok && n <= maxEnvID {
				m.EnvID, err = p.val, nil
			}
		case equalFold(p.kw, "AUTH"): // RFC 4954 §5: AUTH=xtext
			bit, err = seenAuth, ErrBadAuthParam
			if _, ok := xtextLen(p.val); p.eq && ok {
				m.Auth, err = p.val, nil
			}
		default:
			return ErrUnknownParam // RFC 5321 §4.1.1.11
		}
		if seen&bit != 0 {
			return ErrDuplicateParam
		}
		if seen |= bit; err != nil {
			return err
		}
	}
	return nil
}

// parseRcptParams parses [SP Rcpt-parameters] after the forward-path
// (RFC 5321 §4.1.1.3).
func parseRcptParams(s []byte, r *RcptParams) error {
	if len(s) > 0 && s[0] != ' ' {
		return ErrSyntaxRcptTo
	}
	var p esmtpParam
	var seen uint8
	for i := skipSP(s, 0); i < len(s); i = skipSP(s, i) {
		var err error
		if i, err = p.scan(s, i); err != nil {
			return err
		}
		var bit uint8
		switch {
		case equalFold(p.kw, "NOTIFY"):
			bit, err = seenNotify, p.notify(r)
		case equalFold(p.kw, "ORCPT"):
			bit, err = seenORCPT, p.orcpt(r)
		default:
			return ErrUnknownParam // RFC 5321 §4.1.1.11
		}
		if seen&bit != 0 {
			return ErrDuplicateParam
		}
		if seen |= bit; err != nil {
			return err
		}
	}
	return nil
}

// size parses SIZE=size-value, size-value = 1*20DIGIT (RFC 1870 §3).
func (p *esmtpParam) size(m *MailParams) error {
	if !p.eq || len(p.val) > 20 {
		return ErrBadSize
	}
	var n uint64
	for _, b := range p.val {
		if b < '0' || b > '9' {
			return ErrBadSize
		}
		d := uint64(b - '0')
		if n > (math.MaxInt64-d)/10 { // saturate: 20 digits exceed int64
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	m.Size = int64(n)
	return nil
}

// body parses BODY=7BIT|8BITMIME (RFC 6152 §2) or BINARYMIME (RFC 3030 §3).
func (p *esmtpParam) body(m *MailParams) error {
	switch {
	case equalFold(p.val, "7BIT"):
		m.Body = Body7Bit
	case equalFold(p.val, "8BITMIME"):
		m.Body = Body8BitMIME
	case equalFold(p.val, "BINARYMIME"):
		m.Body = BodyBinaryMIME
	default:
		return ErrBadBody
	}
	return nil
}

// ret parses RET=FULL|HDRS (RFC 3461 §4.3).
func (p *esmtpParam) ret(m *MailParams) error {
	switch {
	case equalFold(p.val, "FULL"):
		m.Ret = RetFull
	case equalFold(p.val, "HDRS"):
		m.Ret = RetHdrs
	default:
		return ErrBadRet
	}
	return nil
}

// notify parses NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
// (RFC 3461 §4.1). A keyword repeated in the list is tolerated.
func (p *esmtpParam) notify(r *RcptParams) error {
	if equalFold(p.val, "NEVER") {
		r.Notify = NotifyNever
		return nil
	}
	var n Notify
	v := p.val
	for len(v) > 0 || n == 0 {
		item := v
		if k := indexByte(v, ','); k >= 0 {
			item, v = v[:k], v[k+1:]
			if len(v) == 0 { // trailing comma
				return ErrBadNotify
			}
		} else {
			v = nil
		}
		switch {
		case equalFold(item, "SUCCESS"):
			n |= NotifySuccess
		case equalFold(item, "FAILURE"):
			n |= NotifyFailure
		case equalFold(item, "DELAY"):
			n |= NotifyDelay
		default: // includes NEVER in a list and empty items
			return ErrBadNotify
		}
	}
	r.Notify = n
	return nil
}

// orcpt parses ORCPT=addr-type ";" xtext, addr-type = atom (RFC 3461 §4.2).
func (p *esmtpParam) orcpt(r *RcptParams) error {
	k := indexByte(p.val, ';')
	if k <= 0 {
		return ErrBadORCPT
	}
	for _, b := range p.val[:k] {
		if b >= 0x80 || !isAtext[b] {
			return ErrBadORCPT
		}
	}
	if n, ok := xtextLen(p.val[k+1:]); !ok || n > maxORCPT {
		return ErrBadORCPT
	}
	r.ORCPTType, r.ORCPT = p.val[:k], p.val[k+1:]
	return nil
}

// indexByte is bytes.IndexByte for the short values here, kept local so the
// call inlines.
func indexByte(s []byte, c byte) int {
	for i, b := range s {
		if b == c {
			return i
		}
	}
	return -1
}

// xtextLen validates x as xtext and returns its decoded length
// (RFC 3461 §4): xchar is "!" to "~" except "+" and "=", and hexchar is "+"
// and two hex digits. Lower-case hex is accepted, being unambiguous.
func xtextLen(x []byte) (int, bool) {
	n := 0
	for i := 0; i < len(x); i++ {
		if !isXchar[x[i]] {
			if x[i] != '+' || i+2 >= len(x) || !isHex(x[i+1]) || !isHex(x[i+2]) {
				return 0, false
			}
			i += 2
		}
		n++
	}
	return n, true
}

// isXchar holds the octets that stand for themselves in xtext (RFC 3461 §4).
var isXchar = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '+' && c != '='
	}
	return t
}()

// AppendXtext appends src encoded as xtext (RFC 3461 §4) to dst: octets
// outside "!" to "~", and "+" and "=", become "+" and two upper-case hex
// digits.
func AppendXtext(dst, src []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, b := range src {
		if !isXchar[b] {
			dst = append(dst, '+', hex[b>>4], hex[b&15])
			continue
		}
		dst = append(dst, b)
	}
	return dst
}

// DecodeXtext appends the decoded form of the xtext src (RFC 3461 §4) to
// dst. On malformed input (a "+" without two hex digits, or an octet that
// xtext cannot hold) it returns dst unchanged and ErrBadXtext.
func DecodeXtext(dst, src []byte) ([]byte, error) {
	if _, ok := xtextLen(src); !ok {
		return dst, ErrBadXtext
	}
	for i := 0; i < len(src); i++ {
		b := src[i]
		if b == '+' {
			b = unhex(src[i+1])<<4 | unhex(src[i+2])
			i += 2
		}
		dst = append(dst, b)
	}
	return dst, nil
}

// unhex returns the value of a hex digit already validated by isHex.
func unhex(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b <= 'F':
		return b - 'A' + 10
	}
	return b - 'a' + 10
}
