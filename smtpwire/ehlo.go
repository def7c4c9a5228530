package smtpwire

import (
	"math"
	"strconv"
)

// Extension is a set of SMTP service extensions announced in an EHLO reply
// (RFC 5321 §4.1.1.1, RFC 1869). A bit set rather than a map of keywords, so
// that the client tests a capability with one AND and ParseEHLO never allocates.
type Extension uint32

// Extensions Volley understands, in the order AppendEHLOReply announces them.
const (
	ExtPipelining          Extension = 1 << iota // RFC 2920
	ExtSize                                      // RFC 1870
	Ext8BitMIME                                  // RFC 6152
	ExtSMTPUTF8                                  // RFC 6531
	ExtEnhancedStatusCodes                       // RFC 2034
	ExtChunking                                  // RFC 3030
	ExtBinaryMIME                                // RFC 3030
	ExtDSN                                       // RFC 3461
	ExtStartTLS                                  // RFC 3207
	ExtAuth                                      // RFC 4954
	ExtRequireTLS                                // RFC 8689
	extensionCount         = iota                // number of known extensions; bits from 1<<extensionCount up are unknown
)

// extensionAll is the set of all known extensions.
const extensionAll = Extension(1)<<extensionCount - 1

// ehloKeywords holds the EHLO keyword of each extension, indexed by bit
// number. Keywords are upper case; ParseEHLO folds the peer's case to match.
var ehloKeywords = [...]string{
	"PIPELINING",
	"SIZE",
	"8BITMIME",
	"SMTPUTF8",
	"ENHANCEDSTATUSCODES",
	"CHUNKING",
	"BINARYMIME",
	"DSN",
	"STARTTLS",
	"AUTH",
	"REQUIRETLS",
}

// String returns the EHLO keywords of the set joined by "|", "0" for the empty
// set, and unknown bits in hex. It allocates; it is for logs and tests.
func (e Extension) String() string {
	return string(ehloAppendBitNames(nil, uint64(e), ehloKeywords[:]))
}

// AuthMech is a set of SASL mechanisms announced with the AUTH extension
// (RFC 4954 §3).
type AuthMech uint8

// SASL mechanisms Volley recognises, in the order AppendEHLOReply lists them.
const (
	AuthPlain       AuthMech = 1 << iota // RFC 4616
	AuthLogin                            // draft-murchison-sasl-login; still the most widely offered
	AuthCramMD5                          // RFC 2195
	AuthXOAUTH2                          // Google and Microsoft bearer-token mechanism
	AuthOAuthBearer                      // RFC 7628
	AuthScramSHA1                        // RFC 5802
	AuthScramSHA256                      // RFC 7677
	authMechCount   = iota               // number of known mechanisms
)

// authMechAll is the set of all known mechanisms.
const authMechAll = AuthMech(1)<<authMechCount - 1

// authMechNames holds the SASL name of each mechanism, indexed by bit number
// (RFC 4422 §3.1: names are upper case; matched case-insensitively).
var authMechNames = [...]string{
	"PLAIN",
	"LOGIN",
	"CRAM-MD5",
	"XOAUTH2",
	"OAUTHBEARER",
	"SCRAM-SHA-1",
	"SCRAM-SHA-256",
}

// String returns the mechanism names of the set joined by "|", "0" for the
// empty set, and unknown bits in hex. It allocates; it is for logs and tests.
func (a AuthMech) String() string {
	return string(ehloAppendBitNames(nil, uint64(a), authMechNames[:]))
}

// ehloAppendBitNames appends the names of the bits set in v, joined by "|".
func ehloAppendBitNames(dst []byte, v uint64, names []string) []byte {
	if v == 0 {
		return append(dst, '0')
	}
	start := len(dst)
	for bit, name := range names {
		if v&(1<<bit) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, '|')
		}
		dst = append(dst, name...)
		v &^= 1 << bit
	}
	if v != 0 {
		if len(dst) > start {
			dst = append(dst, '|')
		}
		dst = append(dst, "0x"...)
		dst = strconv.AppendUint(dst, v, 16)
	}
	return dst
}

// Capabilities is what a server announced in its EHLO reply.
type Capabilities struct {
	Ext     Extension
	MaxSize int64    // RFC 1870 SIZE value; 0 when none was announced or the server set no fixed limit
	Auth    AuthMech // RFC 4954 AUTH mechanisms; only meaningful with ExtAuth
}

// ParseEHLO fills caps from a 250 reply to EHLO, replacing what caps held. Line 0
// is the greeting ("domain [text]") and is skipped; each later line is
// "KEYWORD [params]" with the keyword in any case (RFC 5321 §4.1.1.1). The old
// "AUTH=PLAIN LOGIN" form that some servers still send for pre-RFC 2554
// clients is accepted too. Unknown keywords, unknown SASL mechanisms and
// malformed SIZE values are ignored, as the client must work with whatever it
// understands. A reply other than 250 leaves caps empty: the client falls back
// to HELO. ParseEHLO does not allocate.
func ParseEHLO(r *ParsedReply, caps *Capabilities) {
	*caps = Capabilities{}
	if r.Code != C250OK {
		return
	}
	_, rest := replyNextLine(r.Raw) // RFC 5321 §4.1.1.1: ehlo-ok-rsp starts with the domain
	for k := 1; k < r.Lines && len(rest) > 0; k++ {
		var line []byte
		line, rest = replyNextLine(rest)
		ehloParseLine(r.lineText(line), caps)
	}
}

// ehloParseLine adds one EHLO keyword line (RFC 5321 §4.1.1.1:
// ehlo-line = ehlo-keyword *( SP ehlo-param )) to caps.
func ehloParseLine(t []byte, caps *Capabilities) {
	t = ehloTrimSpace(t)
	kw, params, oldAuth := t, t[len(t):], false
	for i, c := range t {
		if c == ' ' || c == '\t' || c == '=' {
			kw, params, oldAuth = t[:i], t[i+1:], c == '='
			break
		}
	}
	for bit, name := range ehloKeywords {
		if !ehloEqualFold(kw, name) {
			continue
		}
		ext := Extension(1) << bit
		if oldAuth && ext != ExtAuth {
			return // only AUTH ever had the "KEYWORD=params" form
		}
		caps.Ext |= ext
		switch ext {
		case ExtSize:
			caps.MaxSize = ehloParseSize(params)
		case ExtAuth:
			caps.Auth |= ehloParseAuth(params)
		}
		return
	}
}

// ehloParseSize reads the SIZE parameter (RFC 1870 §4: size-param = 1*DIGIT,
// 0 meaning no fixed maximum). A missing, malformed or out-of-range value gives
// 0: the client then sends without a declared limit and lets the server judge.
func ehloParseSize(params []byte) int64 {
	tok, _ := ehloNextToken(params)
	if len(tok) == 0 {
		return 0
	}
	var v int64
	for _, c := range tok {
		d := int64(c - '0')
		if c < '0' || c > '9' || v > (math.MaxInt64-d)/10 {
			return 0
		}
		v = v*10 + d
	}
	return v
}

// ehloParseAuth reads the mechanism list of an AUTH line (RFC 4954 §3:
// "AUTH" 1*(SP sasl-mech)); names are compared without case.
func ehloParseAuth(params []byte) AuthMech {
	var m AuthMech
	for len(params) > 0 {
		var tok []byte
		tok, params = ehloNextToken(params)
		for bit, name := range authMechNames {
			if ehloEqualFold(tok, name) {
				m |= AuthMech(1) << bit
				break
			}
		}
	}
	return m
}

// ehloNextToken returns the first space- or tab-separated token of b and what
// follows it.
func ehloNextToken(b []byte) (tok, rest []byte) {
	b = ehloTrimSpace(b)
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

// ehloTrimSpace drops leading spaces and tabs.
func ehloTrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// ehloEqualFold reports whether b equals upper, which must be upper case,
// folding only ASCII letters in b (RFC 5321 §2.4: keywords are case-insensitive).
func ehloEqualFold(b []byte, upper string) bool {
	if len(b) != len(upper) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// AppendEHLOReply appends the server's 250 reply to EHLO and returns the
// extended slice: first "250-<host> <greeting>" (just "<host>" when greeting
// is empty), then one line per known extension in caps in the fixed order of
// the Ext constants. SIZE carries MaxSize when it is above 0, AUTH the
// mechanisms of caps.Auth; MaxSize and Auth are ignored without ExtSize and
// ExtAuth. EHLO lines carry no enhanced codes (RFC 2034 §4). host is
// required. '\r' and '\n' in host and greeting are dropped so configuration
// cannot break the framing. Server code builds the reply once per configuration.
func AppendEHLOReply(dst []byte, host, greeting string, caps *Capabilities) []byte {
	ext := caps.Ext & extensionAll
	dst = ehloAppendHead(dst, ext != 0)
	dst = ehloAppendClean(dst, host) // RFC 5321 §4.1.1.1: ehlo-ok-rsp = "250" SP Domain [ SP ehlo-greet ]
	if greeting != "" {
		dst = append(dst, ' ')
		dst = ehloAppendClean(dst, greeting)
	}
	dst = append(dst, '\r', '\n')
	for bit, name := range ehloKeywords {
		e := Extension(1) << bit
		if ext&e == 0 {
			continue
		}
		ext &^= e
		dst = ehloAppendHead(dst, ext != 0)
		dst = append(dst, name...)
		switch {
		case e == ExtSize && caps.MaxSize > 0:
			dst = append(dst, ' ') // RFC 1870 §4
			dst = strconv.AppendInt(dst, caps.MaxSize, 10)
		case e == ExtAuth:
			for mb, mech := range authMechNames {
				if caps.Auth&(AuthMech(1)<<mb) != 0 {
					dst = append(dst, ' ') // RFC 4954 §3
					dst = append(dst, mech...)
				}
			}
		}
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// ehloAppendHead appends "250-" when more lines follow and "250 " otherwise
// (RFC 5321 §4.2.1).
func ehloAppendHead(dst []byte, more bool) []byte {
	if more {
		return append(dst, "250-"...)
	}
	return append(dst, "250 "...)
}

// ehloAppendClean appends s without '\r' and '\n'.
func ehloAppendClean(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\r' && c != '\n' {
			dst = append(dst, c)
		}
	}
	return dst
}
