package smtpwire

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"
)

// allParseCases gathers every table case, to seed the fuzzers.
func allParseCases() []parseCase {
	var all []parseCase
	for _, cs := range [][]parseCase{
		verbCases, verbErrorCases, pathValidCases, pathInvalidCases,
		mailParamCases, mailParamErrorCases, rcptParamCases, rcptParamErrorCases,
	} {
		all = append(all, cs...)
	}
	return all
}

// within reports whether sub lies inside line's memory (nil always does).
func within(line, sub []byte) bool {
	if sub == nil {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return p >= lo && p+uintptr(len(sub)) <= lo+uintptr(len(line))
}

// FuzzParseCommand checks that ParseCommand never panics, only returns
// *Error values with a 5xx reply, returns sub-slices of its input, resets
// the Command, and that a MAIL, RCPT, HELO/EHLO, BDAT or AUTH line it
// accepts re-encodes (with the client encoders) to a line that parses to
// the same value.
func FuzzParseCommand(f *testing.F) {
	for _, tc := range allParseCases() {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		gc, ga := scanOctets(line)
		if wc, wa := naiveOctets(line); gc != wc || !gc && ga != wa {
			t.Fatalf("scanOctets(%q) = %v, %v; want %v, %v", line, gc, ga, wc, wa)
		}
		var c Command
		err := ParseCommand(line, &c)
		dirty := Command{Verb: VerbAUTH, Arg: []byte("x"), Last: true, ChunkSize: 7,
			Path: Path{Null: true, UTF8: true}, Mail: MailParams{Size: 1, Auth: []byte("a")},
			Rcpt: RcptParams{Notify: NotifyDelay}}
		if err2 := ParseCommand(line, &dirty); err2 != err || dump(&dirty) != dump(&c) {
			t.Fatalf("reused Command differs: %s, %v vs %s, %v", dump(&dirty), err2, dump(&c), err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !e.Reply.Code.Permanent() || e.Reply.Enh.Class != 5 {
				t.Fatalf("error %v is not an *Error with a 5xx reply", err)
			}
			return
		}
		for _, s := range [][]byte{c.Arg, c.AuthInitial, c.Path.Mailbox, c.Path.Local, c.Path.Domain,
			c.Mail.EnvID, c.Mail.Auth, c.Rcpt.ORCPTType, c.Rcpt.ORCPT} {
			if !within(line, s) {
				t.Fatalf("field %q does not lie within the line", s)
			}
		}
		if len(c.Path.Local) > maxLocalPart || len(c.Path.Domain) > maxDomain {
			t.Fatalf("path over limits: %s", dump(&c))
		}
		checkReencode(t, &c)
	})
}

// checkReencode encodes c with the client encoders and checks that the
// server parser reads back the same command.
func checkReencode(t *testing.T, c *Command) {
	t.Helper()
	var wire []byte
	switch c.Verb {
	case VerbMAIL:
		wire = AppendMailFrom(nil, c.Path.Mailbox, &c.Mail)
	case VerbRCPT:
		wire = AppendRcptTo(nil, c.Path.Mailbox, &c.Rcpt)
	case VerbHELO, VerbEHLO:
		wire = AppendHello(nil, c.Verb, string(c.Arg))
		if ValidHelloArg(c.Arg) && len(c.Arg) <= maxPath-4 {
			rcpt := append([]byte("RCPT TO:<a@"), c.Arg...)
			var r Command
			if err := ParseCommand(append(rcpt, '>'), &r); err != nil {
				t.Fatalf("valid HELO argument %q is not a valid domain: %v", c.Arg, err)
			}
		}
	case VerbBDAT:
		wire = AppendBDAT(nil, c.ChunkSize, c.Last)
	case VerbAUTH:
		wire = AppendAuth(nil, string(c.Arg), c.AuthInitial)
	default:
		return
	}
	line, n, err := NextLine(wire, len(wire))
	if err != nil || n != len(wire) {
		t.Fatalf("NextLine(%q) = %d, %v", wire, n, err)
	}
	var c2 Command
	if err := ParseCommand(line, &c2); err != nil {
		t.Fatalf("re-encoded %q does not parse: %v (from %s)", line, err, dump(c))
	}
	same := c2.Verb == c.Verb && bytes.Equal(c2.Arg, c.Arg) && bytes.Equal(c2.AuthInitial, c.AuthInitial) &&
		c2.Path.Null == c.Path.Null && c2.Path.UTF8 == c.Path.UTF8 &&
		bytes.Equal(c2.Path.Mailbox, c.Path.Mailbox) && bytes.Equal(c2.Path.Local, c.Path.Local) &&
		bytes.Equal(c2.Path.Domain, c.Path.Domain) && equalMail(&c2.Mail, &c.Mail) &&
		equalRcpt(&c2.Rcpt, &c.Rcpt) && c2.ChunkSize == c.ChunkSize && c2.Last == c.Last
	if !same {
		t.Fatalf("re-encoded %q parses to %s, want %s", line, dump(&c2), dump(c))
	}
}

// FuzzXtext checks DecodeXtext(AppendXtext(x)) == x, that the encoding is
// valid xtext of printable ASCII, and that any xtext DecodeXtext accepts
// survives decode, encode, decode.
func FuzzXtext(f *testing.F) {
	for _, s := range []string{"", "user@example.org", "a+b=c", "e+3Dmc2@example.com", "\x00\xff", "+2B", "+2b", "+", "a+ZZ", "é"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, x []byte) {
		enc := AppendXtext(nil, x)
		if n, ok := xtextLen(enc); !ok || n != len(x) {
			t.Fatalf("AppendXtext(%q) = %q, not xtext of %d octets", x, enc, len(x))
		}
		dec, err := DecodeXtext(nil, enc)
		if err != nil || !bytes.Equal(dec, x) {
			t.Fatalf("DecodeXtext(AppendXtext(%q)) = %q, %v", x, dec, err)
		}
		dec, err = DecodeXtext([]byte("p"), x)
		if err != nil {
			if !errors.Is(err, ErrBadXtext) || string(dec) != "p" {
				t.Fatalf("DecodeXtext(%q) failed with %v and dst %q", x, err, dec)
			}
			return
		}
		dec = dec[1:]
		if n, _ := xtextLen(x); n != len(dec) {
			t.Fatalf("xtextLen(%q) = %d, decoded %d octets", x, n, len(dec))
		}
		again, err := DecodeXtext(nil, AppendXtext(nil, dec))
		if err != nil || !bytes.Equal(again, dec) {
			t.Fatalf("decode-encode-decode of %q: %q, %v", x, again, err)
		}
	})
}

// FuzzNextLine checks NextLine's contract: a returned line is the prefix
// before the first LF without its CR and within max; ErrNeedMore only when
// no LF is present and the line could still fit; ErrCommandLineTooLong
// consumes through an LF or all input, and only when no line fits.
func FuzzNextLine(f *testing.F) {
	for _, s := range []string{"QUIT\r\n", "QUIT\n", "RSET\r\nQUIT\r\n", "\r\n", "QUIT\r", "", "0123456789\r\n", "0123456789y\n", "A\rB\r\n"} {
		f.Add([]byte(s), uint16(10))
		f.Add([]byte(s), uint16(MaxCommandLine))
	}
	f.Fuzz(func(t *testing.T, p []byte, m uint16) {
		max := int(m % 1024)
		line, n, err := NextLine(p, max)
		lf := bytes.IndexByte(p, '\n')
		switch {
		case err == nil:
			want := p[:lf]
			want = bytes.TrimSuffix(want, []byte("\r"))
			if lf < 0 || n != lf+1 || !bytes.Equal(line, want) || len(line) > max || !within(p, line) {
				t.Fatalf("NextLine(%q, %d) = %q, %d", p, max, line, n)
			}
		case errors.Is(err, ErrNeedMore):
			if lf >= 0 || n != 0 || len(p) > max+1 || len(p) == max+1 && p[max] != '\r' {
				t.Fatalf("NextLine(%q, %d) = ErrNeedMore, n %d", p, max, n)
			}
		case errors.Is(err, ErrCommandLineTooLong):
			if lf >= 0 && n != lf+1 || lf < 0 && n != len(p) || n == 0 {
				t.Fatalf("NextLine(%q, %d) = too long, n %d, first LF at %d", p, max, n, lf)
			}
			if lf >= 0 && len(bytes.TrimSuffix(p[:lf], []byte("\r"))) <= max {
				t.Fatalf("NextLine(%q, %d) = too long, but the line fits", p, max)
			}
		default:
			t.Fatalf("NextLine(%q, %d): unexpected error %v", p, max, err)
		}
	})
}
