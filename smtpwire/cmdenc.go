package smtpwire

import "strconv"

// Fixed client commands, built once (RFC 5321 §4.1.1.4, §4.1.1.5,
// §4.1.1.10, §4.1.1.9; RFC 3207 §4). Callers must not modify them.
var (
	CmdDATA     = []byte("DATA\r\n")
	CmdRSET     = []byte("RSET\r\n")
	CmdQUIT     = []byte("QUIT\r\n")
	CmdNOOP     = []byte("NOOP\r\n")
	CmdSTARTTLS = []byte("STARTTLS\r\n")
)

// The encoders below write what a client sends. They do not validate their
// input: the outbound side builds commands from values it parsed or
// checked when the message was injected, and a second check per recipient
// would cost time on the hottest client path. Each appends to dst and
// returns the extended slice, so with enough capacity they never allocate.

// AppendHello appends "EHLO domain\r\n", or "HELO domain\r\n" when v is
// VerbHELO (RFC 5321 §4.1.1.1). Any other v writes EHLO.
func AppendHello(dst []byte, v Verb, domain string) []byte {
	if v == VerbHELO {
		dst = append(dst, "HELO "...)
	} else {
		dst = append(dst, "EHLO "...)
	}
	dst = append(dst, domain...)
	return append(dst, "\r\n"...)
}

// AppendMailFrom appends "MAIL FROM:<from>" and the parameters set in p
// (nil means none), then CRLF (RFC 5321 §4.1.1.2). An empty from writes the
// null reverse-path "<>". Parameters go out upper case in a fixed order,
// SIZE BODY SMTPUTF8 RET ENVID AUTH, so that the same envelope always
// encodes to the same bytes; EnvID and Auth must already be xtext
// (see AppendXtext).
func AppendMailFrom(dst []byte, from []byte, p *MailParams) []byte {
	dst = append(dst, "MAIL FROM:<"...)
	dst = append(dst, from...)
	dst = append(dst, '>')
	if p != nil {
		dst = appendMailParams(dst, p)
	}
	return append(dst, "\r\n"...)
}

// appendMailParams appends the set MAIL parameters, each after a SP.
func appendMailParams(dst []byte, p *MailParams) []byte {
	if p.Size > 0 { // RFC 1870 §3
		dst = append(dst, " SIZE="...)
		dst = strconv.AppendInt(dst, p.Size, 10)
	}
	if p.Body != BodyUnset && p.Body < bodyCount { // RFC 6152 §2, RFC 3030 §3
		dst = append(dst, " BODY="...)
		dst = append(dst, bodyNames[p.Body]...)
	}
	if p.SMTPUTF8 { // RFC 6531 §3.4
		dst = append(dst, " SMTPUTF8"...)
	}
	if p.Ret != RetUnset && p.Ret < retCount { // RFC 3461 §4.3
		dst = append(dst, " RET="...)
		dst = append(dst, retNames[p.Ret]...)
	}
	if len(p.EnvID) > 0 { // RFC 3461 §4.4
		dst = append(dst, " ENVID="...)
		dst = append(dst, p.EnvID...)
	}
	if len(p.Auth) > 0 { // RFC 4954 §5
		dst = append(dst, " AUTH="...)
		dst = append(dst, p.Auth...)
	}
	return dst
}

// AppendRcptTo appends "RCPT TO:<to>" and the parameters set in p (nil
// means none), then CRLF (RFC 5321 §4.1.1.3). NOTIFY goes first, in the
// canonical keyword order of Notify.String, then ORCPT. ORCPT is written
// when p.ORCPTType or p.ORCPT is set, with type "rfc822" when ORCPTType is
// empty (RFC 3461 §4.2); p.ORCPT must already be xtext.
func AppendRcptTo(dst []byte, to []byte, p *RcptParams) []byte {
	dst = append(dst, "RCPT TO:<"...)
	dst = append(dst, to...)
	dst = append(dst, '>')
	if p != nil {
		if p.Notify&15 != 0 { // RFC 3461 §4.1
			dst = append(dst, " NOTIFY="...)
			dst = append(dst, notifyNames[p.Notify&15]...)
		}
		if len(p.ORCPTType) > 0 || len(p.ORCPT) > 0 { // RFC 3461 §4.2
			dst = append(dst, " ORCPT="...)
			if len(p.ORCPTType) > 0 {
				dst = append(dst, p.ORCPTType...)
			} else {
				dst = append(dst, "rfc822"...)
			}
			dst = append(dst, ';')
			dst = append(dst, p.ORCPT...)
		}
	}
	return append(dst, "\r\n"...)
}

// AppendBDAT appends "BDAT size\r\n", or "BDAT size LAST\r\n" for the last
// chunk (RFC 3030 §2).
func AppendBDAT(dst []byte, size int64, last bool) []byte {
	dst = append(dst, "BDAT "...)
	dst = strconv.AppendInt(dst, size, 10)
	if last {
		dst = append(dst, " LAST"...)
	}
	return append(dst, "\r\n"...)
}

// AppendAuth appends "AUTH mech [initial]\r\n" (RFC 4954 §4). initial is
// the base64 text as it goes on the wire: nil or empty for none, "=" for
// an empty response. A caller whose line would exceed MaxAuthLine sends
// the response after the 334 challenge instead.
func AppendAuth(dst []byte, mech string, initial []byte) []byte {
	dst = append(dst, "AUTH "...)
	dst = append(dst, mech...)
	if len(initial) > 0 {
		dst = append(dst, ' ')
		dst = append(dst, initial...)
	}
	return append(dst, "\r\n"...)
}
