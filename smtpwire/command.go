package smtpwire

import (
	"bytes"
	"encoding/binary"
)

// Verb identifies an SMTP command. The set is what Volley's inbound service
// implements: RFC 5321 §4.1.1 plus BDAT (RFC 3030), STARTTLS (RFC 3207) and
// AUTH (RFC 4954). Anything else parses as VerbUnknown.
type Verb uint8

// Verbs, in RFC 5321 §4.1.1 order followed by the extension verbs.
const (
	VerbUnknown  Verb = iota
	VerbHELO          // RFC 5321 §4.1.1.1
	VerbEHLO          // RFC 5321 §4.1.1.1
	VerbMAIL          // RFC 5321 §4.1.1.2
	VerbRCPT          // RFC 5321 §4.1.1.3
	VerbDATA          // RFC 5321 §4.1.1.4
	VerbBDAT          // RFC 3030 §2
	VerbRSET          // RFC 5321 §4.1.1.5
	VerbNOOP          // RFC 5321 §4.1.1.9
	VerbQUIT          // RFC 5321 §4.1.1.10
	VerbVRFY          // RFC 5321 §4.1.1.6
	VerbHELP          // RFC 5321 §4.1.1.8
	VerbSTARTTLS      // RFC 3207 §4
	VerbAUTH          // RFC 4954 §4
	verbCount
)

var verbNames = [verbCount]string{
	"UNKNOWN", "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT",
	"RSET", "NOOP", "QUIT", "VRFY", "HELP", "STARTTLS", "AUTH",
}

// String returns the verb as it is written on the wire, so that logs and
// traces read like the session; VerbUnknown is "UNKNOWN".
func (v Verb) String() string {
	if v < verbCount {
		return verbNames[v]
	}
	return "INVALID"
}

// Line limits.
const (
	// MaxCommandLine is the RFC 5321 §4.5.3.1.4 command line limit, 512
	// octets including the CRLF. Servers that advertise SMTPUTF8 or
	// parameter-heavy extensions should pass a larger max to NextLine
	// (RFC 5321 §4.5.3.1 allows raising every limit; Postfix uses 2048),
	// because a UTF-8 mailbox plus ORCPT easily exceeds 512 octets.
	MaxCommandLine = 512

	// MaxAuthLine is the longest AUTH command a server must accept,
	// 12288 octets (RFC 4954 §4), since an initial response can be large.
	// A server reading AUTH lines needs NextLine with at least this max,
	// and a client whose AUTH line would be longer must leave out the
	// initial response and send it after the 334 instead.
	MaxAuthLine = 12288
)

// Command-level errors. Each carries the reply the server must send; the
// session goes on after any of them (RFC 5321 §4.2.4: bad commands do not
// end a session).
var (
	ErrEmptyCommand       = newError(C500SyntaxError, E552SyntaxError, "Empty command", "empty command line")
	ErrUnknownCommand     = newError(C500SyntaxError, E551InvalidCommand, "Command unrecognized", "unknown command verb")
	ErrControlOctet       = newError(C500SyntaxError, E552SyntaxError, "Invalid character in command", "control octet in command line")
	ErrCommandLineTooLong = newError(C500SyntaxError, E552SyntaxError, "Line too long", "command line too long")
	ErrSyntaxHello        = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: EHLO domain", "HELO/EHLO without a domain")
	ErrSyntaxMailFrom     = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: MAIL FROM:<address> [parameters]", "bad MAIL FROM syntax")
	ErrSyntaxRcptTo       = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: RCPT TO:<address> [parameters]", "bad RCPT TO syntax")
	ErrSyntaxNoArgs       = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: no arguments allowed", "arguments on a command that takes none")
	ErrSyntaxVRFY         = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: VRFY string", "VRFY without an argument")
	ErrSyntaxBDAT         = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: BDAT size [LAST]", "bad BDAT syntax")
	ErrSyntaxAuth         = newError(C501ParamSyntax, E554InvalidArguments, "Syntax: AUTH mechanism [initial-response]", "bad AUTH syntax")
)

// Command is one parsed command line. ParseCommand fills it; the zero value
// is ready to use and a Command is meant to be reused for every line of a
// session, so parsing costs no allocation.
//
// Every []byte field is a sub-slice of the line given to ParseCommand and is
// valid only while that line's buffer is unchanged. A session that keeps a
// value past the next read (the reverse-path for the spool, say) copies it.
type Command struct {
	Verb Verb

	// Arg is the HELO/EHLO domain or address literal, the VRFY, HELP or
	// NOOP argument, or the AUTH mechanism, each as written with
	// surrounding spaces removed. HELO/EHLO Arg is not validated, because
	// real clients send bare hostnames, underscores and worse; use
	// ValidHelloArg to apply a policy.
	Arg []byte

	// AuthInitial is the AUTH initial response as written: base64 text,
	// or "=" for an empty response (RFC 4954 §4). Nil when none was given.
	AuthInitial []byte

	Path Path       // MAIL reverse-path or RCPT forward-path
	Mail MailParams // MAIL parameters
	Rcpt RcptParams // RCPT parameters

	// ChunkSize is the BDAT chunk size in octets and Last reports the
	// LAST marker (RFC 3030 §2).
	ChunkSize int64
	Last      bool
}

// ParseCommand parses one command line (without its line ending) into c,
// resetting c first. Byte slices in c are sub-slices of line and are valid
// while line is. It returns nil or an *Error whose Reply is what the server
// must answer; the session goes on after any error. On error c.Verb still
// names the verb when it was recognised (a session needs it to know, for
// instance, that a rejected BDAT leaves the chunk length unknown); the other
// fields are then unspecified.
//
// ParseCommand is liberal where deployed clients need it: verbs and
// parameter keywords are case-insensitive, spaces may follow "FROM:"/"TO:"
// and precede or trail the line, and several spaces may separate words.
// It is strict about what could corrupt the session: control octets
// anywhere (a NUL or bare CR) are rejected, as are paths without brackets.
func ParseCommand(line []byte, c *Command) error {
	*c = Command{}
	ctrl, ascii := scanOctets(line)
	if ctrl {
		return ErrControlOctet
	}
	i := skipSP(line, 0)
	if i == len(line) {
		return ErrEmptyCommand
	}
	j := i
	for j < len(line) && line[j] != ' ' {
		j++
	}
	c.Verb = lookupVerb(line[i:j])
	rest := line[j:] // empty or starting with SP
	switch c.Verb {
	case VerbHELO, VerbEHLO: // RFC 5321 §4.1.1.1
		if c.Arg = trimSP(rest); len(c.Arg) == 0 {
			return ErrSyntaxHello
		}
	case VerbMAIL:
		return parseMail(rest, c, ascii)
	case VerbRCPT:
		return parseRcpt(rest, c, ascii)
	case VerbDATA, VerbRSET, VerbQUIT, VerbSTARTTLS: // RFC 5321 §4.1.1.4, §4.1.1.5, §4.1.1.10; RFC 3207 §4
		if len(trimSP(rest)) != 0 {
			return ErrSyntaxNoArgs
		}
	case VerbNOOP, VerbHELP: // RFC 5321 §4.1.1.8, §4.1.1.9: optional String
		if arg := trimSP(rest); len(arg) > 0 {
			c.Arg = arg
		}
	case VerbVRFY: // RFC 5321 §4.1.1.6: "VRFY" SP String
		if c.Arg = trimSP(rest); len(c.Arg) == 0 {
			return ErrSyntaxVRFY
		}
	case VerbBDAT:
		return parseBDAT(rest, c)
	case VerbAUTH:
		return parseAuth(rest, c)
	default:
		return ErrUnknownCommand
	}
	return nil
}

// Verb words folded to upper case and packed big-endian, for lookupVerb.
const (
	keyHELO = 'H'<<24 | 'E'<<16 | 'L'<<8 | 'O'
	keyEHLO = 'E'<<24 | 'H'<<16 | 'L'<<8 | 'O'
	keyMAIL = 'M'<<24 | 'A'<<16 | 'I'<<8 | 'L'
	keyRCPT = 'R'<<24 | 'C'<<16 | 'P'<<8 | 'T'
	keyDATA = 'D'<<24 | 'A'<<16 | 'T'<<8 | 'A'
	keyBDAT = 'B'<<24 | 'D'<<16 | 'A'<<8 | 'T'
	keyRSET = 'R'<<24 | 'S'<<16 | 'E'<<8 | 'T'
	keyNOOP = 'N'<<24 | 'O'<<16 | 'O'<<8 | 'P'
	keyQUIT = 'Q'<<24 | 'U'<<16 | 'I'<<8 | 'T'
	keyVRFY = 'V'<<24 | 'R'<<16 | 'F'<<8 | 'Y'
	keyHELP = 'H'<<24 | 'E'<<16 | 'L'<<8 | 'P'
	keyAUTH = 'A'<<24 | 'U'<<16 | 'T'<<8 | 'H'
)

// lookupVerb maps a command word to its Verb, ignoring ASCII case
// (RFC 5321 §2.4: verbs are case-insensitive).
func lookupVerb(w []byte) Verb {
	switch len(w) {
	case 4:
		k := uint32(upper(w[0]))<<24 | uint32(upper(w[1]))<<16 | uint32(upper(w[2]))<<8 | uint32(upper(w[3]))
		switch k {
		case keyHELO:
			return VerbHELO
		case keyEHLO:
			return VerbEHLO
		case keyMAIL:
			return VerbMAIL
		case keyRCPT:
			return VerbRCPT
		case keyDATA:
			return VerbDATA
		case keyBDAT:
			return VerbBDAT
		case keyRSET:
			return VerbRSET
		case keyNOOP:
			return VerbNOOP
		case keyQUIT:
			return VerbQUIT
		case keyVRFY:
			return VerbVRFY
		case keyHELP:
			return VerbHELP
		case keyAUTH:
			return VerbAUTH
		}
	case 8:
		if equalFold(w, "STARTTLS") {
			return VerbSTARTTLS
		}
	}
	return VerbUnknown
}

// parseMail parses the part of a MAIL command after the verb:
// "FROM:" Reverse-path [SP Mail-parameters] (RFC 5321 §4.1.1.2).
func parseMail(rest []byte, c *Command, ascii bool) error {
	i := skipSP(rest, 0)
	if i == 0 || !hasPrefixFold(rest[i:], "FROM:") {
		return ErrSyntaxMailFrom
	}
	i = skipSP(rest, i+len("FROM:")) // "MAIL FROM: <a@b>" is common; accept it
	end, perr := parsePath(rest, i, &c.Path, false, ascii)
	if perr != pathOK {
		return senderErrs[perr]
	}
	return parseMailParams(rest[end:], &c.Mail)
}

// parseRcpt parses the part of a RCPT command after the verb:
// "TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
// [SP Rcpt-parameters] (RFC 5321 §4.1.1.3).
func parseRcpt(rest []byte, c *Command, ascii bool) error {
	i := skipSP(rest, 0)
	if i == 0 || !hasPrefixFold(rest[i:], "TO:") {
		return ErrSyntaxRcptTo
	}
	i = skipSP(rest, i+len("TO:"))
	end, perr := parsePath(rest, i, &c.Path, true, ascii)
	if perr != pathOK {
		return recipientErrs[perr]
	}
	return parseRcptParams(rest[end:], &c.Rcpt)
}

// parseBDAT parses SP chunk-size [SP end-marker] (RFC 3030 §2). A size that
// is not a number or does not fit in int64 is a syntax error; the session
// then cannot know how many octets follow and should close the connection.
func parseBDAT(rest []byte, c *Command) error {
	size, last := splitWord(trimSP(rest))
	if len(size) == 0 || len(size) > 19 {
		return ErrSyntaxBDAT
	}
	var n int64
	for _, b := range size {
		if b < '0' || b > '9' {
			return ErrSyntaxBDAT
		}
		n = n*10 + int64(b-'0')
		if n < 0 { // 19 digits may overflow
			return ErrSyntaxBDAT
		}
	}
	c.ChunkSize = n
	if len(last) == 0 {
		return nil
	}
	if !equalFold(last, "LAST") { // RFC 3030 §2: end-marker = "LAST"
		return ErrSyntaxBDAT
	}
	c.Last = true
	return nil
}

// parseAuth parses SP sasl-mech [SP initial-response] (RFC 4954 §4).
// The mechanism must be 1 to 20 characters of letters, digits, '-' and '_'
// (RFC 4422 §3.1; lower case is accepted, matching is the session's job),
// and the initial response base64 or "=".
func parseAuth(rest []byte, c *Command) error {
	mech, resp := splitWord(trimSP(rest))
	if len(mech) == 0 || len(mech) > 20 {
		return ErrSyntaxAuth
	}
	for _, b := range mech {
		if !isAlnum(b) && b != '-' && b != '_' {
			return ErrSyntaxAuth
		}
	}
	c.Arg = mech
	if len(resp) == 0 {
		return nil
	}
	for _, b := range resp {
		if !isAlnum(b) && b != '+' && b != '/' && b != '=' {
			return ErrSyntaxAuth
		}
	}
	c.AuthInitial = resp
	return nil
}

// NextLine returns the next line in p without its ending ("\r\n" or a bare
// "\n" are accepted for commands, RFC 5321 §2.3.8 notwithstanding, because
// some clients send bare LF) and n, the octets consumed including the
// ending. line is a sub-slice of p, valid while p is.
//
// max is the longest line returned, not counting its ending: NextLine
// returns ErrNeedMore when p has no LF and the line could still end within
// max octets (len(p) <= max, or max+1 with a final CR), and
// ErrCommandLineTooLong when no LF occurs within the first max+2 octets or
// the line before the first LF is longer than max. With max =
// MaxCommandLine a line of up to 512 octets plus CRLF is accepted, two more
// than RFC 5321 §4.5.3.1.4 asks; being liberal there costs nothing.
//
// On ErrCommandLineTooLong n is the count of octets to discard: through the
// LF when p holds one, else all of p. In the second case the server keeps
// discarding input up to and including the next LF, then replies with
// ErrCommandLineTooLong's Reply and reads the next command.
func NextLine(p []byte, max int) (line []byte, n int, err error) {
	if max < 0 {
		max = 0
	}
	lim := len(p) // RFC 5321 §4.5.3.1.4: check the limit before scanning further
	if max < lim-2 {
		lim = max + 2
	}
	if i := bytes.IndexByte(p[:lim], '\n'); i >= 0 {
		line = p[:i]
		if i > 0 && p[i-1] == '\r' {
			line = p[:i-1]
		}
		if len(line) > max {
			return nil, i + 1, ErrCommandLineTooLong
		}
		return line, i + 1, nil
	}
	if len(p) <= max || len(p)-1 == max && p[max] == '\r' {
		return nil, 0, ErrNeedMore
	}
	if i := bytes.IndexByte(p[lim:], '\n'); i >= 0 {
		return nil, lim + i + 1, ErrCommandLineTooLong
	}
	return nil, len(p), ErrCommandLineTooLong
}

// scanOctets reports whether s holds an octet below SP or DEL, and whether
// s is all ASCII. No control octet may appear in a command (RFC 5321
// §4.1.1: arguments are printable), and a stray NUL or CR would confuse
// whatever logs or relays the value; knowing the line is ASCII spares the
// UTF-8 check of the mailbox. It tests 8 octets per step with the
// "has less than" and "has zero byte" bit tricks, which can misreport a
// lane only after a lane that truly matched, so the answer is exact.
func scanOctets(s []byte) (ctrl, ascii bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var or uint64
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		del := x ^ 0x7f*ones // zero lanes where x has DEL
		if ((x-' '*ones)&^x|(del-ones)&^del)&highs != 0 {
			return true, false
		}
		or |= x
	}
	for ; i < len(s); i++ {
		if b := s[i]; b < ' ' || b == 0x7f {
			return true, false
		}
		or |= uint64(s[i])
	}
	return false, or&highs == 0
}

// skipSP returns the index of the first non-SP octet in s at or after i.
func skipSP(s []byte, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

// trimSP returns s without leading and trailing SP octets.
func trimSP(s []byte) []byte {
	s = s[skipSP(s, 0):]
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// splitWord splits s (already trimmed) at its first run of SP into the first
// word and the rest; rest is what follows the spaces.
func splitWord(s []byte) (word, rest []byte) {
	i := bytes.IndexByte(s, ' ')
	if i < 0 {
		return s, nil
	}
	return s[:i], s[skipSP(s, i):]
}

// upper folds an ASCII lower-case letter to upper case and leaves every
// other octet alone.
func upper(b byte) byte { return upperTab[b] }

// upperTab maps each octet to its ASCII upper-case form; a table lookup
// beats the compare-and-branch in the keyword loops.
var upperTab = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		t[c] = byte(c)
		if 'a' <= c && c <= 'z' {
			t[c] = byte(c - ('a' - 'A'))
		}
	}
	return t
}()

// equalFold reports whether s equals up, an upper-case ASCII constant,
// ignoring ASCII case in s.
func equalFold(s []byte, up string) bool {
	return len(s) == len(up) && hasPrefixFold(s, up)
}

// hasPrefixFold reports whether s begins with up, an upper-case ASCII
// constant, ignoring ASCII case in s.
func hasPrefixFold(s []byte, up string) bool {
	if len(s) < len(up) {
		return false
	}
	for i := 0; i < len(up); i++ {
		if upper(s[i]) != up[i] {
			return false
		}
	}
	return true
}

// isAlnum reports an ASCII letter or digit.
func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}
