package smtpwire

import (
	"bytes"
	"unicode/utf8"
)

// Mailbox and path limits (RFC 5321 §4.5.3.1).
const (
	maxLocalPart = 64  // RFC 5321 §4.5.3.1.1
	maxDomain    = 255 // RFC 5321 §4.5.3.1.2
	maxPath      = 256 // RFC 5321 §4.5.3.1.3, brackets and source route included
	maxLabel     = 63  // RFC 1035 §2.3.4, for ASCII labels
)

// Address errors. RFC 5321 §4.2.2 and RFC 3463 §3.2 pair 553 with 5.1.7 for
// the sender and 5.1.3 for a recipient, so each failure has one sentinel per
// side.
var (
	ErrBadSenderAddress    = newError(C553MailboxNameInvalid, E517BadSenderSyntax, "Bad sender address syntax", "bad reverse-path syntax")
	ErrBadRecipientAddress = newError(C553MailboxNameInvalid, E513BadDestSyntax, "Bad recipient address syntax", "bad forward-path syntax")
	ErrSenderTooLong       = newError(C553MailboxNameInvalid, E517BadSenderSyntax, "Sender address too long", "reverse-path over RFC 5321 limits")
	ErrRecipientTooLong    = newError(C553MailboxNameInvalid, E513BadDestSyntax, "Recipient address too long", "forward-path over RFC 5321 limits")
	ErrNullRecipient       = newError(C553MailboxNameInvalid, E513BadDestSyntax, "Null recipient address not allowed", "null forward-path")
)

// Path is a parsed reverse-path (MAIL) or forward-path (RCPT), RFC 5321
// §4.1.2. Its byte slices are sub-slices of the parsed line and share its
// lifetime (see Command).
type Path struct {
	// Null marks "<>", the null reverse-path of bounces (RFC 5321 §4.5.5).
	// It is valid on MAIL only; on RCPT ParseCommand returns
	// ErrNullRecipient.
	Null bool

	// Mailbox is "local@domain" as written, without brackets or source
	// route. A source route ("<@a,@b:user@c>") is accepted and dropped
	// (RFC 5321 §4.1.2, Appendix C: receivers SHOULD ignore it).
	Mailbox []byte

	// Local is the local part as written; a quoted one keeps its quotes
	// and backslashes, since only the final host may interpret it
	// (RFC 5321 §2.4).
	Local []byte

	// Domain is the domain or the address literal with its brackets, as
	// written. It is empty for the special recipient "<Postmaster>"
	// (RFC 5321 §4.1.1.3), which is then also Mailbox and Local.
	Domain []byte

	// UTF8 reports non-ASCII octets in Mailbox (already checked to be
	// valid UTF-8). Such a path needs the SMTPUTF8 parameter on MAIL
	// (RFC 6531 §3.4); the session enforces that, because for RCPT it
	// depends on the transaction's MAIL.
	UTF8 bool
}

// pathErr is the internal result of parsePath; the callers map it to the
// sender or recipient sentinel.
type pathErr uint8

const (
	pathOK         pathErr = iota
	pathNoBrackets         // no "<" ... ">": 501, command syntax
	pathBadMailbox         // bad syntax inside the brackets: 553
	pathTooLong            // over an RFC 5321 §4.5.3.1 limit: 553
	pathNull               // "<>" where a recipient is required: 553
	pathErrCount
)

var senderErrs = [pathErrCount]error{
	pathNoBrackets: ErrSyntaxMailFrom,
	pathBadMailbox: ErrBadSenderAddress,
	pathTooLong:    ErrSenderTooLong,
	pathNull:       ErrBadSenderAddress, // not produced for MAIL
}

var recipientErrs = [pathErrCount]error{
	pathNoBrackets: ErrSyntaxRcptTo,
	pathBadMailbox: ErrBadRecipientAddress,
	pathTooLong:    ErrRecipientTooLong,
	pathNull:       ErrNullRecipient,
}

// parsePath parses a Path starting at s[i] and returns the index just past
// its closing '>'. rcpt selects forward-path rules: "<>" is an error and
// "<Postmaster>" is allowed (RFC 5321 §4.1.1.3). ascii reports that all of s
// is ASCII, which spares the UTF-8 check.
func parsePath(s []byte, i int, p *Path, rcpt, ascii bool) (int, pathErr) {
	// RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"
	if i >= len(s) || s[i] != '<' || bytes.IndexByte(s[i+1:], '>') < 0 {
		return 0, pathNoBrackets
	}
	start := i
	i++
	if s[i] == '>' { // RFC 5321 §4.1.2: Reverse-path = Path / "<>"
		if rcpt {
			return 0, pathNull
		}
		p.Null = true
		return i + 1, pathOK
	}
	if s[i] == '@' {
		var ok bool
		if i, ok = skipRoute(s, i); !ok {
			return 0, pathBadMailbox
		}
	}
	mb := i
	if rcpt && hasPrefixFold(s[i:], "POSTMASTER>") { // RFC 5321 §4.1.1.3
		i += len("POSTMASTER")
		p.Mailbox, p.Local = s[mb:i], s[mb:i]
		return i + 1, pathOK
	}
	i, ok := scanLocal(s, i)
	if !ok || i >= len(s) || s[i] != '@' {
		return 0, pathBadMailbox
	}
	if i-mb > maxLocalPart {
		return 0, pathTooLong
	}
	p.Local = s[mb:i]
	dom := i + 1
	if i, ok = scanDomainOrLiteral(s, dom); !ok || i >= len(s) || s[i] != '>' {
		return 0, pathBadMailbox
	}
	if i-dom > maxDomain || i+1-start > maxPath {
		return 0, pathTooLong
	}
	p.Domain = s[dom:i]
	p.Mailbox = s[mb:i]
	if !ascii && !isASCII(p.Mailbox) {
		if !utf8.Valid(p.Mailbox) { // RFC 6531 §3.3: UTF-8, not arbitrary 8-bit
			return 0, pathBadMailbox
		}
		p.UTF8 = true
	}
	return i + 1, pathOK
}

// skipRoute skips a source route, A-d-l ":" with A-d-l = At-domain
// *( "," At-domain ) and At-domain = "@" Domain (RFC 5321 §4.1.2), starting at
// the first '@'. The route is validated but otherwise ignored (RFC 5321
// Appendix C).
func skipRoute(s []byte, i int) (int, bool) {
	for {
		if i >= len(s) || s[i] != '@' {
			return i, false
		}
		var ok bool
		if i, ok = scanDomain(s, i+1); !ok || i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ':':
			return i + 1, true
		case ',':
			i++
		default:
			return i, false
		}
	}
}

// scanLocal scans Local-part = Dot-string / Quoted-string (RFC 5321 §4.1.2)
// at s[i] and returns the index after it.
func scanLocal(s []byte, i int) (int, bool) {
	if i < len(s) && s[i] == '"' {
		return scanQuoted(s, i)
	}
	// Dot-string = Atom *("." Atom); Atom = 1*atext
	for {
		j := i
		for j < len(s) && isAtext[s[j]] {
			j++
		}
		if j == i {
			return i, false // empty atom: leading, trailing or double dot
		}
		if i = j; i < len(s) && s[i] == '.' {
			i++
			continue
		}
		return i, true
	}
}

// scanQuoted scans Quoted-string = DQUOTE *QcontentSMTP DQUOTE at s[i]
// (RFC 5321 §4.1.2, extended to UTF-8 by RFC 6531 §3.3).
func scanQuoted(s []byte, i int) (int, bool) {
	for i++; i < len(s); {
		switch b := s[i]; {
		case b == '"':
			return i + 1, true
		case b == '\\': // quoted-pairSMTP = %d92 %d32-126
			if i+1 >= len(s) || s[i+1] < ' ' || s[i+1] > '~' {
				return i, false
			}
			i += 2
		case b >= ' ' && b <= '~' || b >= 0x80: // qtextSMTP, UTF8-non-ascii
			i++
		default:
			return i, false
		}
	}
	return i, false
}

// scanDomainOrLiteral scans ( Domain / address-literal ) at s[i]
// (RFC 5321 §4.1.2 Mailbox).
func scanDomainOrLiteral(s []byte, i int) (int, bool) {
	if i < len(s) && s[i] == '[' {
		return scanAddressLiteral(s, i)
	}
	return scanDomain(s, i)
}

// scanDomain scans Domain = sub-domain *("." sub-domain) at s[i], where
// sub-domain = Let-dig [Ldh-str] (RFC 5321 §4.1.2) or a U-label
// (RFC 6531 §3.3). U-labels are only checked for octets >= 0x80 in place of
// letters; IDNA validity is beyond a wire codec.
func scanDomain(s []byte, i int) (int, bool) {
	for {
		j, or := i, byte(0)
		for j < len(s) && isLdh[s[j]] {
			or |= s[j]
			j++
		}
		if j == i || s[i] == '-' || s[j-1] == '-' { // Let-dig first and last
			return i, false
		}
		if or < 0x80 && j-i > maxLabel {
			return i, false
		}
		if i = j; i < len(s) && s[i] == '.' {
			i++
			continue
		}
		return i, true
	}
}

// scanAddressLiteral scans "[" ( IPv4-address-literal / IPv6-address-literal ) "]"
// at s[i] (RFC 5321 §4.1.3). General-address-literal is refused: no
// Standardized-tag other than "IPv6" has ever been registered.
func scanAddressLiteral(s []byte, i int) (int, bool) {
	n := bytes.IndexByte(s[i:], ']')
	if n < 0 {
		return i, false
	}
	lit := s[i+1 : i+n]
	if hasPrefixFold(lit, "IPV6:") { // ABNF literals are case-insensitive (RFC 5234 §2.3)
		return i + n + 1, validIPv6(lit[len("IPv6:"):])
	}
	return i + n + 1, validIPv4(lit)
}

// validIPv4 reports IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT
// with a value of 0 to 255 (RFC 5321 §4.1.3).
func validIPv4(b []byte) bool {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if len(b) == 0 || b[0] != '.' {
				return false
			}
			b = b[1:]
		}
		v, n := 0, 0
		for n < len(b) && n < 4 && '0' <= b[n] && b[n] <= '9' {
			v = v*10 + int(b[n]-'0')
			n++
		}
		if n == 0 || n > 3 || v > 255 {
			return false
		}
		b = b[n:]
	}
	return len(b) == 0
}

// validIPv6 reports the IPv6-addr forms of RFC 5321 §4.1.3 (full,
// compressed, and either with a trailing IPv4 address), checking shape and
// group counts without the net package. Like net.ParseIP it lets "::"
// stand for a single group, which RFC 5952 §4.2.2 forbids writing but
// which clients do write.
func validIPv6(b []byte) bool {
	groups, ellipsis, i := 0, false, 0
	if len(b) >= 2 && b[0] == ':' && b[1] == ':' {
		ellipsis, i = true, 2
	}
	for i < len(b) {
		j := i
		for j < len(b) && j-i <= 4 && isHex(b[j]) {
			j++
		}
		if j < len(b) && b[j] == '.' { // IPv6v4: the last 32 bits as IPv4
			if !validIPv4(b[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 { // IPv6-hex = 1*4HEXDIG
			return false
		}
		groups++
		if i = j; i == len(b) {
			break
		}
		if b[i] != ':' || i+1 == len(b) {
			return false
		}
		if i++; b[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			i++
		}
	}
	if ellipsis {
		return groups <= 7
	}
	return groups == 8
}

// ValidHelloArg reports whether arg is a syntactically valid HELO/EHLO
// argument, Domain / address-literal (RFC 5321 §4.1.1.1), with ASCII
// labels only. ParseCommand does not require it, because many deployed
// clients send bare or invalid names; a session applies it as policy
// (Postfix's reject_invalid_helo_hostname).
func ValidHelloArg(arg []byte) bool {
	if len(arg) == 0 || len(arg) > maxDomain || !isASCII(arg) {
		return false
	}
	i, ok := scanDomainOrLiteral(arg, 0)
	return ok && i == len(arg)
}

// isASCII reports whether s has no octet >= 0x80.
func isASCII(s []byte) bool {
	for _, b := range s {
		if b >= 0x80 {
			return false
		}
	}
	return true
}

// isHex reports a hexadecimal digit of either case.
func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// isAtext holds RFC 5322 §3.2.3 atext plus the octets >= 0x80 that
// RFC 6531 §3.3 admits as UTF8-non-ascii (validated as UTF-8 afterwards).
var isAtext = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || c >= 0x80
	}
	for _, c := range []byte("!#$%&'*+-/=?^_`{|}~") {
		t[c] = true
	}
	return t
}()

// isLdh holds the octets of a domain label: letters, digits, hyphen
// (RFC 5321 §4.1.2 Ldh-str) and the octets >= 0x80 of U-labels
// (RFC 6531 §3.3).
var isLdh = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || c == '-' || c >= 0x80
	}
	return t
}()
