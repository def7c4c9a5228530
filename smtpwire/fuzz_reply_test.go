package smtpwire

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseReply checks ParseReply's invariants and that a parsed reply,
// re-encoded with AppendReply and parsed again, gives the same values.
func FuzzParseReply(f *testing.F) {
	for _, tc := range replyParseCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range replyErrorCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range replyAppendCases {
		f.Add([]byte(tc.wire))
	}
	for _, tc := range ehloParseCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var r ParsedReply
		n, err := ParseReply(p, &r)
		if err != nil {
			if n != 0 || (err != ErrNeedMore && err != ErrReplySyntax && err != ErrReplyCodeMismatch && err != ErrReplyTooLong) {
				t.Fatalf("ParseReply = %d, %v", n, err)
			}
			return
		}
		fuzzReplyInvariants(t, p, n, &r)
		fuzzReplyRoundTrip(t, &r)
	})
}

// fuzzReplyInvariants checks what every successful ParseReply guarantees.
func fuzzReplyInvariants(t *testing.T, p []byte, n int, r *ParsedReply) {
	t.Helper()
	if n <= 0 || n > len(p) || !bytes.Equal(r.Raw, p[:n]) || r.Raw[n-1] != '\n' {
		t.Fatalf("n = %d of %d, Raw = %q", n, len(p), r.Raw)
	}
	if r.Lines < 1 || r.Lines > MaxReplyLines || bytes.Count(r.Raw, []byte("\n")) != r.Lines {
		t.Fatalf("Lines = %d for %q", r.Lines, r.Raw)
	}
	if r.Code < 200 || r.Code > 599 || string(r.Raw[:3]) != strconv.Itoa(int(r.Code)) {
		t.Fatalf("Code = %d for %q", r.Code, r.Raw)
	}
	if !r.Enh.IsZero() && uint8(r.Enh.Class) != r.Code.Class() {
		t.Fatalf("Enh %v with code %d", r.Enh, r.Code)
	}
	if !bytes.Equal(r.Line(0), r.Text) || r.Line(r.Lines) != nil {
		t.Fatalf("Line(0) = %q, Text = %q", r.Line(0), r.Text)
	}
	var joined []byte
	for i := 0; i < r.Lines; i++ {
		if line := r.Line(i); len(line) > 0 {
			if len(joined) > 0 {
				joined = append(joined, ' ')
			}
			joined = append(joined, line...)
		}
	}
	if got := r.AppendText(nil); !bytes.Equal(got, joined) {
		t.Fatalf("AppendText = %q, lines joined = %q", got, joined)
	}
	// The reply alone parses the same; without its last byte it is incomplete.
	var again ParsedReply
	if m, err := ParseReply(p[:n], &again); m != n || err != nil || !replyEqual(&again, r) {
		t.Fatalf("reparse of p[:n] = %d, %v", m, err)
	}
	if _, err := ParseReply(p[:n-1], &again); err != ErrNeedMore {
		t.Fatalf("p[:n-1]: %v, want ErrNeedMore", err)
	}
}

// fuzzReplyRoundTrip re-encodes r with AppendReply and checks that the result
// parses to the same reply. AppendReply drops '\r' from the text, which can
// turn text into an enhanced code ("2.\r0.0" becomes "2.0.0"), so the reply
// it must give back is r with every '\r' removed, parsed again.
func fuzzReplyRoundTrip(t *testing.T, r *ParsedReply) {
	t.Helper()
	plain := bytes.ReplaceAll(r.Raw, []byte("\r"), nil)
	var rp ParsedReply
	if n, err := ParseReply(plain, &rp); err != nil || n != len(plain) || rp.Code != r.Code || rp.Lines != r.Lines {
		t.Fatalf("%q without CR: %d, %v, %+v", r.Raw, n, err, rp)
	}
	textCR := false
	for i := 0; i < r.Lines; i++ {
		textCR = textCR || bytes.IndexByte(r.Line(i), '\r') >= 0
	}
	if !textCR {
		fuzzReplySame(t, "line endings changed", r, &rp)
	}
	lines := make([]string, rp.Lines)
	for i := range lines {
		lines[i] = string(rp.Line(i))
	}
	wire := AppendReply(nil, Reply{Code: rp.Code, Enh: rp.Enh, Text: strings.Join(lines, "\n")})
	longest := 0
	for _, l := range bytes.SplitAfter(wire, []byte("\n")) {
		longest = max(longest, len(l))
	}
	var r2 ParsedReply
	n, err := ParseReply(wire, &r2)
	if longest > MaxReplyLine {
		// Adding the enhanced code to every line, or CRLF for a bare LF,
		// can push a line that was just within the limit over it.
		if err != ErrReplyTooLong {
			t.Fatalf("re-encoded line of %d octets: %v", longest, err)
		}
		return
	}
	if err != nil || n != len(wire) {
		t.Fatalf("reparse of %q: %d, %v", wire, n, err)
	}
	fuzzReplySame(t, "re-encoded as "+strconv.Quote(string(wire)), &rp, &r2)
}

// fuzzReplySame fails unless a and b hold the same code, enhanced code and
// line texts.
func fuzzReplySame(t *testing.T, what string, a, b *ParsedReply) {
	t.Helper()
	if a.Code != b.Code || a.Enh != b.Enh || a.Lines != b.Lines || !bytes.Equal(a.Text, b.Text) {
		t.Fatalf("%q %s: got %d %v %d %q, want %d %v %d %q", a.Raw, what,
			b.Code, b.Enh, b.Lines, b.Text, a.Code, a.Enh, a.Lines, a.Text)
	}
	for i := 0; i < a.Lines; i++ {
		if x, y := a.Line(i), b.Line(i); !bytes.Equal(x, y) {
			t.Fatalf("%q %s: Line(%d) = %q, want %q", a.Raw, what, i, y, x)
		}
	}
}

// FuzzParseEHLO compares ParseEHLO with a plain string-based reading of the
// same lines and checks that AppendEHLOReply gives back the same capabilities.
func FuzzParseEHLO(f *testing.F) {
	for _, tc := range ehloParseCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(replyParseCases[2].in))
	f.Fuzz(func(t *testing.T, p []byte) {
		var r ParsedReply
		if _, err := ParseReply(p, &r); err != nil {
			return
		}
		var caps Capabilities
		ParseEHLO(&r, &caps)
		if want := ehloReference(&r); caps != want {
			t.Fatalf("ParseEHLO(%q) = %+v, reference %+v", r.Raw, caps, want)
		}
		if caps != ehloNormalize(caps) {
			t.Fatalf("ParseEHLO(%q) = %+v is not normalized", r.Raw, caps)
		}
		wire := AppendEHLOReply(nil, "mx.example.com", "hi", &caps)
		var r2 ParsedReply
		if _, err := ParseReply(wire, &r2); err != nil {
			t.Fatalf("AppendEHLOReply gave %q: %v", wire, err)
		}
		var caps2 Capabilities
		ParseEHLO(&r2, &caps2)
		if caps2 != caps {
			t.Fatalf("round trip via %q: %+v, want %+v", wire, caps2, caps)
		}
	})
}

// ehloReference reads EHLO capabilities the slow, obvious way, with strings.
func ehloReference(r *ParsedReply) Capabilities {
	keywords := map[string]Extension{
		"PIPELINING": ExtPipelining, "SIZE": ExtSize, "8BITMIME": Ext8BitMIME, "SMTPUTF8": ExtSMTPUTF8,
		"ENHANCEDSTATUSCODES": ExtEnhancedStatusCodes, "CHUNKING": ExtChunking, "BINARYMIME": ExtBinaryMIME,
		"DSN": ExtDSN, "STARTTLS": ExtStartTLS, "AUTH": ExtAuth, "REQUIRETLS": ExtRequireTLS,
	}
	mechs := map[string]AuthMech{
		"PLAIN": AuthPlain, "LOGIN": AuthLogin, "CRAM-MD5": AuthCramMD5, "XOAUTH2": AuthXOAUTH2,
		"OAUTHBEARER": AuthOAuthBearer, "SCRAM-SHA-1": AuthScramSHA1, "SCRAM-SHA-256": AuthScramSHA256,
	}
	isSpace := func(c rune) bool { return c == ' ' || c == '\t' }
	var c Capabilities
	if r.Code != 250 {
		return c
	}
	for i := 1; i < r.Lines; i++ {
		line := strings.TrimLeft(string(r.Line(i)), " \t")
		kw, params, sep := line, "", byte(0)
		if k := strings.IndexAny(line, " \t="); k >= 0 {
			kw, params, sep = line[:k], line[k+1:], line[k]
		}
		ext, ok := keywords[fuzzASCIIUpper(kw)]
		if !ok || (sep == '=' && ext != ExtAuth) {
			continue
		}
		c.Ext |= ext
		fields := strings.FieldsFunc(params, isSpace)
		switch ext {
		case ExtSize:
			c.MaxSize = 0
			if len(fields) > 0 && strings.Trim(fields[0], "0123456789") == "" {
				c.MaxSize, _ = strconv.ParseInt(fields[0], 10, 64)
				c.MaxSize = max(c.MaxSize, 0) // ParseInt returns MaxInt64 on overflow
				if c.MaxSize == 9223372036854775807 && strings.TrimLeft(fields[0], "0") != "9223372036854775807" {
					c.MaxSize = 0
				}
			}
		case ExtAuth:
			for _, f := range fields {
				c.Auth |= mechs[fuzzASCIIUpper(f)]
			}
		}
	}
	return c
}

// fuzzASCIIUpper upper-cases ASCII letters only, as SMTP keywords fold.
func fuzzASCIIUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
