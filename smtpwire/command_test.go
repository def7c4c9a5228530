package smtpwire

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// dump renders the set fields of c in a fixed order, so table tests compare
// one readable string instead of a dozen fields.
func dump(c *Command) string {
	var b strings.Builder
	b.WriteString(c.Verb.String())
	q := func(k string, v []byte) {
		if v != nil {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	q("arg", c.Arg)
	q("initial", c.AuthInitial)
	if c.Path.Null {
		b.WriteString(" null")
	}
	q("mailbox", c.Path.Mailbox)
	q("local", c.Path.Local)
	q("domain", c.Path.Domain)
	if c.Path.UTF8 {
		b.WriteString(" utf8")
	}
	if c.Mail.Size != 0 {
		fmt.Fprintf(&b, " size=%d", c.Mail.Size)
	}
	if c.Mail.Body != BodyUnset {
		fmt.Fprintf(&b, " body=%s", c.Mail.Body)
	}
	if c.Mail.SMTPUTF8 {
		b.WriteString(" smtputf8")
	}
	if c.Mail.Ret != RetUnset {
		fmt.Fprintf(&b, " ret=%s", c.Mail.Ret)
	}
	q("envid", c.Mail.EnvID)
	q("auth", c.Mail.Auth)
	if c.Rcpt.Notify != 0 {
		fmt.Fprintf(&b, " notify=%s", c.Rcpt.Notify)
	}
	q("orcpttype", c.Rcpt.ORCPTType)
	q("orcpt", c.Rcpt.ORCPT)
	if c.Verb == VerbBDAT {
		fmt.Fprintf(&b, " chunk=%d", c.ChunkSize)
	}
	if c.Last {
		b.WriteString(" last")
	}
	return b.String()
}

// replyString renders a Reply the way it appears on the wire.
func replyString(r Reply) string {
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, r.Enh.Class, r.Enh.Subject, r.Enh.Detail, r.Text)
}

type parseCase struct {
	name string
	line string
	want string // dump of the command when err is nil
	err  error
}

// runParseCases checks each case through ParseCommand and, on error, that
// the error is an *Error carrying a reply.
func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c Command
			err := ParseCommand([]byte(tc.line), &c)
			if !errors.Is(err, tc.err) {
				t.Fatalf("ParseCommand(%q) error = %v, want %v", tc.line, err, tc.err)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Reply.Code == 0 {
					t.Fatalf("error %v is not an *Error with a reply", err)
				}
				return
			}
			if got := dump(&c); got != tc.want {
				t.Errorf("ParseCommand(%q)\n got %s\nwant %s", tc.line, got, tc.want)
			}
		})
	}
}

var verbCases = []parseCase{
	{"helo", "HELO relay.example.org", `HELO arg="relay.example.org"`, nil},
	{"ehlo", "EHLO mail.example.com", `EHLO arg="mail.example.com"`, nil},
	{"ehlo lower", "ehlo mail.example.com", `EHLO arg="mail.example.com"`, nil},
	{"ehlo mixed", "eHlO x", `EHLO arg="x"`, nil},
	{"ehlo v4 literal", "EHLO [192.0.2.1]", `EHLO arg="[192.0.2.1]"`, nil},
	{"helo v6 literal", "HELO [IPv6:2001:db8::1]", `HELO arg="[IPv6:2001:db8::1]"`, nil},
	{"ehlo spaces", "EHLO   host.example   ", `EHLO arg="host.example"`, nil},
	{"ehlo several words", "EHLO my host", `EHLO arg="my host"`, nil},
	{"ehlo leading space", "  EHLO x", `EHLO arg="x"`, nil},
	{"ehlo underscore", "EHLO bad_name", `EHLO arg="bad_name"`, nil},
	{"mail", "MAIL FROM:<a@b.example>", `MAIL mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"rcpt", "RCPT TO:<a@b.example>", `RCPT mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"data", "DATA", `DATA`, nil},
	{"data trailing space", "DATA  ", `DATA`, nil},
	{"rset", "RSET", `RSET`, nil},
	{"rset lower", "rset", `RSET`, nil},
	{"quit", "QUIT", `QUIT`, nil},
	{"starttls", "STARTTLS", `STARTTLS`, nil},
	{"starttls lower", "starttls", `STARTTLS`, nil},
	{"noop", "NOOP", `NOOP`, nil},
	{"noop arg", "NOOP hello there", `NOOP arg="hello there"`, nil},
	{"help", "HELP", `HELP`, nil},
	{"help arg", "HELP MAIL", `HELP arg="MAIL"`, nil},
	{"vrfy", "VRFY Smith", `VRFY arg="Smith"`, nil},
	{"vrfy mailbox", "VRFY <smith@example.com>", `VRFY arg="<smith@example.com>"`, nil},
	{"bdat", "BDAT 86", `BDAT chunk=86`, nil},
	{"bdat last", "BDAT 1000 LAST", `BDAT chunk=1000 last`, nil},
	{"bdat last lower", "bdat 0 last", `BDAT chunk=0 last`, nil},
	{"bdat zero", "BDAT 0", `BDAT chunk=0`, nil},
	{"bdat max", "BDAT 9223372036854775807", `BDAT chunk=9223372036854775807`, nil},
	{"bdat spaces", "BDAT  12   LAST ", `BDAT chunk=12 last`, nil},
	{"auth", "AUTH PLAIN", `AUTH arg="PLAIN"`, nil},
	{"auth initial", "AUTH PLAIN AHVzZXIAcGFzcw==", `AUTH arg="PLAIN" initial="AHVzZXIAcGFzcw=="`, nil},
	{"auth empty initial", "AUTH EXTERNAL =", `AUTH arg="EXTERNAL" initial="="`, nil},
	{"auth lower", "auth login", `AUTH arg="login"`, nil},
	{"auth mech chars", "AUTH SCRAM-SHA-256 biwsbj11", `AUTH arg="SCRAM-SHA-256" initial="biwsbj11"`, nil},
	{"auth xoauth2", "AUTH XOAUTH2 dXNlcj1h/+", `AUTH arg="XOAUTH2" initial="dXNlcj1h/+"`, nil},
}

func TestParseCommandVerbs(t *testing.T) { runParseCases(t, verbCases) }

var verbErrorCases = []parseCase{
	{"empty", "", "", ErrEmptyCommand},
	{"spaces only", "   ", "", ErrEmptyCommand},
	{"unknown", "XYZZY", "", ErrUnknownCommand},
	{"unknown 4 letters", "TURN", "", ErrUnknownCommand},
	{"unknown long", "STARTTLSX", "", ErrUnknownCommand},
	{"verb with colon", "MAIL:FROM:<a@b>", "", ErrUnknownCommand},
	{"etrn", "ETRN example.com", "", ErrUnknownCommand},
	{"nul", "NOOP \x00", "", ErrControlOctet},
	{"nul in verb", "QU\x00T", "", ErrControlOctet},
	{"bare cr", "RSET\r", "", ErrControlOctet},
	{"tab", "EHLO\tx", "", ErrControlOctet},
	{"del", "NOOP \x7f", "", ErrControlOctet},
	{"esc in path", "MAIL FROM:<a\x1b@b>", "", ErrControlOctet},
	{"helo no arg", "HELO", "", ErrSyntaxHello},
	{"ehlo no arg", "EHLO ", "", ErrSyntaxHello},
	{"data arg", "DATA now", "", ErrSyntaxNoArgs},
	{"rset arg", "RSET x", "", ErrSyntaxNoArgs},
	{"quit arg", "QUIT now", "", ErrSyntaxNoArgs},
	{"starttls arg", "STARTTLS x", "", ErrSyntaxNoArgs},
	{"vrfy no arg", "VRFY", "", ErrSyntaxVRFY},
	{"vrfy spaces", "VRFY   ", "", ErrSyntaxVRFY},
	{"bdat no size", "BDAT", "", ErrSyntaxBDAT},
	{"bdat word", "BDAT LAST", "", ErrSyntaxBDAT},
	{"bdat negative", "BDAT -1", "", ErrSyntaxBDAT},
	{"bdat hex", "BDAT 0x10", "", ErrSyntaxBDAT},
	{"bdat overflow", "BDAT 9223372036854775808", "", ErrSyntaxBDAT},
	{"bdat 20 digits", "BDAT 10000000000000000000", "", ErrSyntaxBDAT},
	{"bdat bad marker", "BDAT 10 FIRST", "", ErrSyntaxBDAT},
	{"bdat extra", "BDAT 10 LAST x", "", ErrSyntaxBDAT},
	{"auth no mech", "AUTH", "", ErrSyntaxAuth},
	{"auth bad mech", "AUTH PL@IN", "", ErrSyntaxAuth},
	{"auth long mech", "AUTH ABCDEFGHIJKLMNOPQRSTU", "", ErrSyntaxAuth},
	{"auth bad base64", "AUTH PLAIN abc!", "", ErrSyntaxAuth},
	{"auth extra", "AUTH PLAIN abc def", "", ErrSyntaxAuth},
	{"mail no from", "MAIL", "", ErrSyntaxMailFrom},
	{"mail to", "MAIL TO:<a@b>", "", ErrSyntaxMailFrom},
	{"mail no colon", "MAIL FROM <a@b>", "", ErrSyntaxMailFrom},
	{"mail glued", "MAILFROM:<a@b>", "", ErrUnknownCommand},
	{"mail no brackets", "MAIL FROM:a@b.example", "", ErrSyntaxMailFrom},
	{"mail no close", "MAIL FROM:<a@b.example", "", ErrSyntaxMailFrom},
	{"mail junk after", "MAIL FROM:<a@b.example>x", "", ErrSyntaxMailFrom},
	{"mail empty", "MAIL FROM:", "", ErrSyntaxMailFrom},
	{"rcpt no to", "RCPT", "", ErrSyntaxRcptTo},
	{"rcpt from", "RCPT FROM:<a@b>", "", ErrSyntaxRcptTo},
	{"rcpt no brackets", "RCPT TO:a@b.example", "", ErrSyntaxRcptTo},
	{"rcpt junk after", "RCPT TO:<a@b.example>;", "", ErrSyntaxRcptTo},
	{"rcpt null", "RCPT TO:<>", "", ErrNullRecipient},
	{"mail bad mailbox", "MAIL FROM:<a b@c>", "", ErrBadSenderAddress},
	{"rcpt bad mailbox", "RCPT TO:<a b@c>", "", ErrBadRecipientAddress},
}

func TestParseCommandErrors(t *testing.T) { runParseCases(t, verbErrorCases) }

// TestErrorReplies pins every sentinel to the exact reply the peer sees.
func TestErrorReplies(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{ErrEmptyCommand, "500 5.5.2 Empty command"},
		{ErrUnknownCommand, "500 5.5.1 Command unrecognized"},
		{ErrControlOctet, "500 5.5.2 Invalid character in command"},
		{ErrCommandLineTooLong, "500 5.5.2 Line too long"},
		{ErrSyntaxHello, "501 5.5.4 Syntax: EHLO domain"},
		{ErrSyntaxMailFrom, "501 5.5.4 Syntax: MAIL FROM:<address> [parameters]"},
		{ErrSyntaxRcptTo, "501 5.5.4 Syntax: RCPT TO:<address> [parameters]"},
		{ErrSyntaxNoArgs, "501 5.5.4 Syntax: no arguments allowed"},
		{ErrSyntaxVRFY, "501 5.5.4 Syntax: VRFY string"},
		{ErrSyntaxBDAT, "501 5.5.4 Syntax: BDAT size [LAST]"},
		{ErrSyntaxAuth, "501 5.5.4 Syntax: AUTH mechanism [initial-response]"},
		{ErrBadSenderAddress, "553 5.1.7 Bad sender address syntax"},
		{ErrBadRecipientAddress, "553 5.1.3 Bad recipient address syntax"},
		{ErrSenderTooLong, "553 5.1.7 Sender address too long"},
		{ErrRecipientTooLong, "553 5.1.3 Recipient address too long"},
		{ErrNullRecipient, "553 5.1.3 Null recipient address not allowed"},
		{ErrUnknownParam, "555 5.5.4 Unsupported parameter"},
		{ErrParamSyntax, "501 5.5.4 Bad parameter syntax"},
		{ErrDuplicateParam, "501 5.5.4 Duplicate parameter"},
		{ErrBadSize, "501 5.5.4 Bad SIZE value"},
		{ErrBadBody, "501 5.5.4 Bad BODY value"},
		{ErrBadSMTPUTF8, "501 5.5.4 SMTPUTF8 takes no value"},
		{ErrBadRet, "501 5.5.4 Bad RET value"},
		{ErrBadEnvID, "501 5.5.4 Bad ENVID value"},
		{ErrBadAuthParam, "501 5.5.4 Bad AUTH value"},
		{ErrBadNotify, "501 5.5.4 Bad NOTIFY value"},
		{ErrBadORCPT, "501 5.5.4 Bad ORCPT value"},
		{ErrBadXtext, "501 5.5.4 Bad xtext value"},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if got := replyString(tc.err.Reply); got != tc.want {
				t.Errorf("reply = %q, want %q", got, tc.want)
			}
			if !strings.HasPrefix(tc.err.Error(), "smtpwire: ") {
				t.Errorf("message %q lacks the package prefix", tc.err.Error())
			}
		})
	}
}

// TestAppendixD replays the client side of the RFC 5321 Appendix D
// scenarios.
func TestAppendixD(t *testing.T) {
	scenarios := map[string][]string{
		"D.1 typical": {
			"EHLO bar.com\r\n", "MAIL FROM:<Smith@bar.com>\r\n", "RCPT TO:<Jones@foo.com>\r\n",
			"RCPT TO:<Green@foo.com>\r\n", "RCPT TO:<Brown@foo.com>\r\n", "DATA\r\n", "QUIT\r\n",
		},
		"D.2 aborted": {
			"MAIL FROM:<Smith@bar.com>\r\n", "RCPT TO:<Jones@foo.com>\r\n",
			"RCPT TO:<Green@foo.com>\r\n", "RSET\r\n", "QUIT\r\n",
		},
		"D.3 relayed": {
			"EHLO foo.com\r\n", "MAIL FROM:<JQP@bar.com>\r\n", "RCPT TO:<Jones@XYZ.COM>\r\n",
			"DATA\r\n", "QUIT\r\n",
		},
		"D.4 verifying": {
			"EHLO foo.com\r\n", "VRFY Crispin\r\n", "SEND FROM:<EAK@USC-ISIF.ARPA>\r\n",
			"RCPT TO:<Admin.MRC@foo.com>\r\n", "DATA\r\n", "QUIT\r\n",
		},
	}
	want := map[string]string{
		"EHLO bar.com":                  `EHLO arg="bar.com"`,
		"EHLO foo.com":                  `EHLO arg="foo.com"`,
		"MAIL FROM:<Smith@bar.com>":     `MAIL mailbox="Smith@bar.com" local="Smith" domain="bar.com"`,
		"MAIL FROM:<JQP@bar.com>":       `MAIL mailbox="JQP@bar.com" local="JQP" domain="bar.com"`,
		"RCPT TO:<Jones@foo.com>":       `RCPT mailbox="Jones@foo.com" local="Jones" domain="foo.com"`,
		"RCPT TO:<Green@foo.com>":       `RCPT mailbox="Green@foo.com" local="Green" domain="foo.com"`,
		"RCPT TO:<Brown@foo.com>":       `RCPT mailbox="Brown@foo.com" local="Brown" domain="foo.com"`,
		"RCPT TO:<Jones@XYZ.COM>":       `RCPT mailbox="Jones@XYZ.COM" local="Jones" domain="XYZ.COM"`,
		"RCPT TO:<Admin.MRC@foo.com>":   `RCPT mailbox="Admin.MRC@foo.com" local="Admin.MRC" domain="foo.com"`,
		"VRFY Crispin":                  `VRFY arg="Crispin"`,
		"SEND FROM:<EAK@USC-ISIF.ARPA>": "", // SEND was removed from SMTP: unknown
		"DATA":                          `DATA`,
		"RSET":                          `RSET`,
		"QUIT":                          `QUIT`,
	}
	for name, lines := range scenarios {
		t.Run(name, func(t *testing.T) {
			in := []byte(strings.Join(lines, ""))
			var c Command
			for len(in) > 0 {
				line, n, err := NextLine(in, MaxCommandLine)
				if err != nil {
					t.Fatalf("NextLine: %v", err)
				}
				err = ParseCommand(line, &c)
				w := want[string(line)]
				switch {
				case w == "" && !errors.Is(err, ErrUnknownCommand):
					t.Errorf("%q: error %v, want ErrUnknownCommand", line, err)
				case w != "" && (err != nil || dump(&c) != w):
					t.Errorf("%q: got %s, %v; want %s", line, dump(&c), err, w)
				}
				in = in[n:]
			}
		})
	}
}

func TestVerbString(t *testing.T) {
	for v := Verb(0); v < verbCount; v++ {
		s := v.String()
		if v == VerbUnknown {
			if s != "UNKNOWN" {
				t.Errorf("VerbUnknown.String() = %q", s)
			}
			continue
		}
		var c Command
		if lookupVerb([]byte(s)) != v || lookupVerb([]byte(strings.ToLower(s))) != v {
			t.Errorf("lookupVerb(%q) does not give back %d", s, v)
		}
		_ = ParseCommand([]byte(s), &c)
		if c.Verb != v {
			t.Errorf("ParseCommand(%q).Verb = %v, want %v", s, c.Verb, v)
		}
	}
	if got := verbCount.String(); got != "INVALID" {
		t.Errorf("out of range verb = %q", got)
	}
}

// naiveOctets is the byte-at-a-time definition scanOctets must match.
func naiveOctets(s []byte) (ctrl, ascii bool) {
	ascii = true
	for _, b := range s {
		ctrl = ctrl || b < ' ' || b == 0x7f
		ascii = ascii && b < 0x80
	}
	return ctrl, ascii && !ctrl
}

// TestScanOctets puts every octet value at every position of lines of
// several lengths, over backgrounds that stress the SWAR borrows.
func TestScanOctets(t *testing.T) {
	for _, bg := range []byte{'a', ' ', '!', 0x7e, 0x80, 0xff} {
		for n := 1; n <= 19; n++ {
			for pos := 0; pos < n; pos++ {
				for v := 0; v < 256; v++ {
					s := []byte(strings.Repeat(string([]byte{bg}), n))
					s[pos] = byte(v)
					gc, ga := scanOctets(s)
					wc, wa := naiveOctets(s)
					if gc != wc || gc == false && ga != wa {
						t.Fatalf("scanOctets(%q) = %v, %v; want %v, %v", s, gc, ga, wc, wa)
					}
				}
			}
		}
	}
}

func TestNextLine(t *testing.T) {
	long := strings.Repeat("x", 10)
	for _, tc := range []struct {
		name string
		in   string
		max  int
		line string
		n    int
		err  error
	}{
		{"crlf", "QUIT\r\n", 512, "QUIT", 6, nil},
		{"bare lf", "QUIT\n", 512, "QUIT", 5, nil},
		{"two lines", "RSET\r\nQUIT\r\n", 512, "RSET", 6, nil},
		{"empty line", "\r\n", 512, "", 2, nil},
		{"empty bare", "\n", 512, "", 1, nil},
		{"cr inside stays", "A\rB\r\n", 512, "A\rB", 5, nil},
		{"no lf", "QUIT\r", 512, "", 0, ErrNeedMore},
		{"nothing", "", 512, "", 0, ErrNeedMore},
		{"split", "MAIL FROM:<a", 512, "", 0, ErrNeedMore},
		{"exactly max crlf", long + "\r\n", 10, long, 12, nil},
		{"exactly max lf", long + "\n", 10, long, 11, nil},
		{"max no lf", long, 10, "", 0, ErrNeedMore},
		{"max plus cr", long + "\r", 10, "", 0, ErrNeedMore},
		{"max plus one", long + "y", 10, "", 11, ErrCommandLineTooLong},
		{"max plus one lf", long + "y\n", 10, "", 12, ErrCommandLineTooLong},
		{"max plus one crlf", long + "y\r\n", 10, "", 13, ErrCommandLineTooLong},
		{"far lf", long + "yyyy\nQUIT\r\n", 10, "", 15, ErrCommandLineTooLong},
		{"no lf too long", long + "yyyy", 10, "", 14, ErrCommandLineTooLong},
		{"zero max", "\r\n", 0, "", 2, nil},
		{"zero max long", "a\r\n", 0, "", 3, ErrCommandLineTooLong},
		{"negative max", "\n", -5, "", 1, nil},
		{"huge max", "QUIT\r\n", math.MaxInt, "QUIT", 6, nil},
		{"huge max need more", "QUIT\r", math.MaxInt, "", 0, ErrNeedMore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, n, err := NextLine([]byte(tc.in), tc.max)
			if !errors.Is(err, tc.err) || string(line) != tc.line || n != tc.n {
				t.Errorf("NextLine(%q, %d) = %q, %d, %v; want %q, %d, %v",
					tc.in, tc.max, line, n, err, tc.line, tc.n, tc.err)
			}
		})
	}
}

// TestNextLineStream feeds a pipelined session one octet at a time and
// checks that NextLine reassembles the same lines as a single read.
func TestNextLineStream(t *testing.T) {
	wire := "EHLO a\r\nMAIL FROM:<x@y>\nRCPT TO:<z@y>\r\nDATA\r\n"
	want := []string{"EHLO a", "MAIL FROM:<x@y>", "RCPT TO:<z@y>", "DATA"}
	var got []string
	var buf []byte
	for i := 0; i < len(wire); i++ {
		buf = append(buf, wire[i])
		for {
			line, n, err := NextLine(buf, MaxCommandLine)
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(line))
			buf = buf[n:]
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(buf) != 0 {
		t.Errorf("got %q, leftover %q; want %q", got, buf, want)
	}
}

func TestEncodeCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"ehlo", AppendHello(nil, VerbEHLO, "mta1.example.net"), "EHLO mta1.example.net\r\n"},
		{"helo", AppendHello(nil, VerbHELO, "mta1.example.net"), "HELO mta1.example.net\r\n"},
		{"hello other verb", AppendHello(nil, VerbQUIT, "x"), "EHLO x\r\n"},
		{"bdat", AppendBDAT(nil, 65536, false), "BDAT 65536\r\n"},
		{"bdat last", AppendBDAT(nil, 0, true), "BDAT 0 LAST\r\n"},
		{"auth", AppendAuth(nil, "LOGIN", nil), "AUTH LOGIN\r\n"},
		{"auth initial", AppendAuth(nil, "PLAIN", []byte("AGEAYg==")), "AUTH PLAIN AGEAYg==\r\n"},
		{"auth empty", AppendAuth(nil, "EXTERNAL", []byte("=")), "AUTH EXTERNAL =\r\n"},
		{"data", CmdDATA, "DATA\r\n"},
		{"rset", CmdRSET, "RSET\r\n"},
		{"quit", CmdQUIT, "QUIT\r\n"},
		{"noop", CmdNOOP, "NOOP\r\n"},
		{"starttls", CmdSTARTTLS, "STARTTLS\r\n"},
		{"appends", AppendBDAT([]byte("x"), 1, false), "xBDAT 1\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.got) != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// TestEncodeParse checks that what the client encoders write, the server
// parser reads back.
func TestEncodeParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire []byte
		want string
	}{
		{"ehlo", AppendHello(nil, VerbEHLO, "a.example"), `EHLO arg="a.example"`},
		{"helo", AppendHello(nil, VerbHELO, "[10.0.0.1]"), `HELO arg="[10.0.0.1]"`},
		{"bdat", AppendBDAT(nil, 1<<40, true), `BDAT chunk=1099511627776 last`},
		{"auth", AppendAuth(nil, "PLAIN", []byte("AGEAYg==")), `AUTH arg="PLAIN" initial="AGEAYg=="`},
		{"data", CmdDATA, `DATA`},
		{"rset", CmdRSET, `RSET`},
		{"quit", CmdQUIT, `QUIT`},
		{"noop", CmdNOOP, `NOOP`},
		{"starttls", CmdSTARTTLS, `STARTTLS`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line, n, err := NextLine(tc.wire, MaxCommandLine)
			if err != nil || n != len(tc.wire) {
				t.Fatalf("NextLine(%q) = %d, %v", tc.wire, n, err)
			}
			var c Command
			if err := ParseCommand(line, &c); err != nil || dump(&c) != tc.want {
				t.Errorf("ParseCommand(%q) = %s, %v; want %s", line, dump(&c), err, tc.want)
			}
		})
	}
}

// TestZeroAllocs checks the hot paths allocate nothing (STYLE.md §6).
func TestZeroAllocs(t *testing.T) {
	lines := [][]byte{
		[]byte("EHLO mail.example.com"),
		[]byte("MAIL FROM:<bounce-123@news.example.com> SIZE=20480 BODY=8BITMIME"),
		[]byte("MAIL FROM:<> RET=HDRS ENVID=QQ314159 SMTPUTF8 AUTH=<>"),
		[]byte("RCPT TO:<user@example.org> NOTIFY=FAILURE ORCPT=rfc822;user@example.org"),
		[]byte("RCPT TO:<\"a b\"@[IPv6:2001:db8::1]>"),
		[]byte("BDAT 1024 LAST"),
		[]byte("AUTH PLAIN AGEAYg=="),
		[]byte("XYZZY"),
		[]byte("RCPT TO:<>"),
	}
	var c Command
	wire := []byte("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")
	buf := make([]byte, 0, 512)
	mp := MailParams{Size: 20480, Body: Body8BitMIME, EnvID: []byte("QQ314159")}
	rp := RcptParams{Notify: NotifyFailure | NotifyDelay, ORCPTType: []byte("rfc822"), ORCPT: []byte("u@example.org")}
	xt := []byte("a+b=c d")
	for name, f := range map[string]func(){
		"ParseCommand": func() {
			for _, l := range lines {
				_ = ParseCommand(l, &c)
			}
		},
		"NextLine":       func() { _, _, _ = NextLine(wire, MaxCommandLine) },
		"AppendHello":    func() { buf = AppendHello(buf[:0], VerbEHLO, "mta.example") },
		"AppendMailFrom": func() { buf = AppendMailFrom(buf[:0], []byte("a@b"), &mp) },
		"AppendRcptTo":   func() { buf = AppendRcptTo(buf[:0], []byte("a@b"), &rp) },
		"AppendBDAT":     func() { buf = AppendBDAT(buf[:0], 1<<20, true) },
		"AppendAuth":     func() { buf = AppendAuth(buf[:0], "PLAIN", xt) },
		"AppendXtext":    func() { buf = AppendXtext(buf[:0], xt) },
		"DecodeXtext":    func() { buf, _ = DecodeXtext(buf[:0], []byte("a+2Bb+3Dc")) },
		"ValidHelloArg":  func() { _ = ValidHelloArg([]byte("[IPv6:::ffff:1.2.3.4]")) },
		"Strings": func() {
			_, _, _, _ = VerbMAIL.String(), Body8BitMIME.String(), RetFull.String(), NotifyFailure.String()
		},
	} {
		t.Run(name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, f); n != 0 {
				t.Errorf("%s allocates %.1f times per run", name, n)
			}
		})
	}
}
