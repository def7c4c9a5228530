package pickup

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

const testMsg = "From: a@example.com\r\nSubject: hi\r\n\r\nHello.\r\n"

// parseCase is one table case; fuzz_test.go seeds its corpus from them.
type parseCase struct {
	name      string
	in        string
	removeDot bool
	maxRcpt   int
	env       Envelope // when err == ""
	body      string   // when err == ""
	err       string   // the whole error text
}

var parseCases = []parseCase{
	{name: "minimal", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\n" + testMsg,
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: testMsg},
	{name: "all lines, brackets, case, blanks", in: "X-Sender:   <bounce@example.com>  \r\nX-RECEIVER: <b@example.net>\r\n" +
		"x-Envid: env-1\r\nx-job :\tjob 42 \r\nx-sender-override: <o@example.org>\r\nx-receiver: c@example.net\r\n" + testMsg,
		env: Envelope{Sender: "bounce@example.com", Override: "o@example.org", HasOverride: true,
			Receivers: []string{"b@example.net", "c@example.net"}, EnvID: "env-1", Job: "job 42"}, body: testMsg},
	{name: "LF line ends", in: "x-sender: a@example.com\nx-receiver: b@example.net\nSubject: x\n\nbody\n",
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: "Subject: x\r\n\r\nbody\r\n"},
	{name: "mixed line ends, no final break", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\nSubject: x\r\n\nbody",
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: "Subject: x\r\n\r\nbody\r\n"},
	{name: "null sender", in: "x-sender: <>\r\nx-receiver: b@example.net\r\n" + testMsg,
		env: Envelope{Receivers: []string{"b@example.net"}}, body: testMsg},
	{name: "null override", in: "x-sender: a@example.com\r\nx-sender-override: <>\r\nx-receiver: b@example.net\r\n" + testMsg,
		env: Envelope{Sender: "a@example.com", HasOverride: true, Receivers: []string{"b@example.net"}}, body: testMsg},
	{name: "x- message headers stay", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nX-Mailer: m\r\nx-receiver: c@example.net\r\n\r\nb\r\n",
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: "X-Mailer: m\r\nx-receiver: c@example.net\r\n\r\nb\r\n"},
	{name: "utf8 address", in: "x-sender: a@example.com\r\nx-receiver: <jöran@bücher.example>\r\n" + testMsg,
		env: Envelope{Sender: "a@example.com", Receivers: []string{"jöran@bücher.example"}, UTF8: true}, body: testMsg},
	{name: "quoted local part, literal", in: "x-sender: \"a b\"@example.com\r\nx-receiver: x@[192.0.2.1]\r\n" + testMsg,
		env: Envelope{Sender: `"a b"@example.com`, Receivers: []string{"x@[192.0.2.1]"}}, body: testMsg},
	{name: "dots kept without remove-dot", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nS: x\r\n\r\n..a\r\n.b\r\n",
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: "S: x\r\n\r\n..a\r\n.b\r\n"},
	{name: "remove-dot", removeDot: true, in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nS: x\r\n\r\n..a\r\n.b\r\n..\r\n...\nx..\r\n",
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net"}}, body: "S: x\r\n\r\n.a\r\n.b\r\n.\r\n..\r\nx..\r\n"},
	{name: "max recipients reached", maxRcpt: 2, in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nx-receiver: b@example.net\r\n" + testMsg,
		env: Envelope{Sender: "a@example.com", Receivers: []string{"b@example.net", "b@example.net"}}, body: testMsg},

	{name: "empty", in: "", err: "empty file"},
	{name: "no sender", in: "Subject: x\r\n\r\nb\r\n", err: `line 1: no x-sender line: the file must start with "x-sender:"`},
	{name: "receiver first", in: "x-receiver: b@example.net\r\nx-sender: a@example.com\r\n" + testMsg,
		err: `line 1: no x-sender line: the file must start with "x-sender:", not "x-receiver:"`},
	{name: "no receiver", in: "x-sender: a@example.com\r\n" + testMsg, err: "no x-receiver line"},
	{name: "no message", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\n", err: "no message after the envelope lines"},
	{name: "no message, blank lines", in: "x-sender: a@example.com\nx-receiver: b@example.net\n\n\r\n", err: "no message after the envelope lines"},
	{name: "empty receiver", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nx-receiver:  \r\n" + testMsg,
		err: "line 3: x-receiver: empty address"},
	{name: "empty sender", in: "x-sender:\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: "line 1: x-sender: empty address (write <> for the null sender)"},
	{name: "null receiver", in: "x-sender: a@example.com\r\nx-receiver: <>\r\n" + testMsg, err: "line 2: x-receiver: empty address"},
	{name: "no domain", in: "x-sender: a@example.com\r\nx-receiver: bob\r\n" + testMsg,
		err: `line 2: x-receiver: malformed address "bob": no @domain`},
	{name: "space in address", in: "x-sender: a@example.com\r\nx-receiver: b c@example.net\r\n" + testMsg,
		err: `line 2: x-receiver: malformed address "b c@example.net": character ' ' not allowed in local part`},
	{name: "display name", in: "x-sender: a@example.com\r\nx-receiver: Bob <b@example.net>\r\n" + testMsg,
		err: `line 2: x-receiver: unbalanced angle brackets in "Bob <b@example.net>"`},
	{name: "unbalanced", in: "x-sender: <a@example.com\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: `line 1: x-sender: unbalanced angle brackets in "<a@example.com"`},
	{name: "bad domain", in: "x-sender: a@example.com\r\nx-receiver: b@-example.net\r\n" + testMsg,
		err: `line 2: x-receiver: malformed address "b@-example.net": label starts or ends with a hyphen`},
	{name: "double dot local", in: "x-sender: a..b@example.com\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: `line 1: x-sender: malformed address "a..b@example.com": misplaced dot in local part`},
	{name: "bad override", in: "x-sender: a@example.com\r\nx-sender-override: nope\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: `line 2: x-sender-override: malformed address "nope": no @domain`},
	{name: "second sender", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nx-sender: c@example.com\r\n" + testMsg,
		err: "line 3: second x-sender line"},
	{name: "second job", in: "x-sender: a@example.com\r\nx-job: 1\r\nx-job: 2\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: "line 3: second x-job line"},
	{name: "too many receivers", maxRcpt: 2, in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nx-receiver: c@example.net\r\nx-receiver: d@example.net\r\n" + testMsg,
		err: "line 4: more than 2 x-receiver lines"},
	{name: "NUL in body", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\nSubject: x\r\n\r\na\x00b\r\n",
		err: "line 5: NUL byte"},
	{name: "control in job", in: "x-sender: a@example.com\r\nx-job: a\rb\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: `line 2: x-job: control character '\r'`},
	{name: "envid too long", in: "x-sender: a@example.com\r\nx-envid: " + strings.Repeat("e", 101) + "\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: "line 2: x-envid: longer than 100 characters (RFC 3461 §4.4)"},
	{name: "envid with space", in: "x-sender: a@example.com\r\nx-envid: a b\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: "line 2: x-envid: not printable ASCII (RFC 3461 §4.4)"},
	{name: "folded", in: "x-sender: a@example.com\r\nx-receiver: b@example.net\r\n c@example.net\r\n" + testMsg,
		err: "line 3: folded envelope lines are not supported"},
	{name: "long local part", in: "x-sender: a@example.com\r\nx-receiver: " + strings.Repeat("l", 65) + "@example.net\r\n" + testMsg,
		err: `line 2: x-receiver: malformed address "` + strings.Repeat("l", 65) + `@example.net": local part longer than 64 octets (RFC 5321 §4.5.3.1.1)`},
	{name: "long line", in: "x-sender: a@example.com\r\nx-job: " + strings.Repeat("j", 1000) + "\r\nx-receiver: b@example.net\r\n" + testMsg,
		err: "line 2: envelope line longer than 1000 bytes"},
	{name: "invalid utf8", in: "x-sender: a@example.com\r\nx-receiver: b\xff@example.net\r\n" + testMsg,
		err: `line 2: x-receiver: malformed address "b\xff@example.net": invalid UTF-8`},
	{name: "BSMTP", in: "EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n", err: ErrBSMTP.Error()},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			p := Parser{RemoveDot: tc.removeDot, MaxRecipients: tc.maxRcpt}
			env, body, err := p.Parse([]byte(tc.in))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Parse: no error, want %q", tc.err)
				}
				if err.Error() != tc.err {
					t.Fatalf("Parse error\n got %q\nwant %q", err.Error(), tc.err)
				}
				var pe *ParseError
				if !errors.As(err, &pe) && !errors.Is(err, ErrBSMTP) {
					t.Fatalf("error %T is neither *ParseError nor ErrBSMTP", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(env, tc.env) {
				t.Errorf("envelope\n got %+v\nwant %+v", env, tc.env)
			}
			if string(body) != tc.body {
				t.Errorf("body\n got %q\nwant %q", body, tc.body)
			}
		})
	}
}

func TestParseDefaultMaxRecipients(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-sender: a@example.com\r\n")
	for range DefaultMaxRecipients {
		b.WriteString("x-receiver: r@example.net\r\n")
	}
	b.WriteString(testMsg)
	if _, _, err := Parse([]byte(b.String())); err != nil {
		t.Fatalf("%d receivers: %v", DefaultMaxRecipients, err)
	}
	more := strings.Replace(b.String(), "x-sender: a@example.com\r\n", "x-sender: a@example.com\r\nx-receiver: r@example.net\r\n", 1)
	_, _, err := Parse([]byte(more))
	if want := "line 5002: more than 5000 x-receiver lines"; err == nil || err.Error() != want {
		t.Fatalf("%d receivers: got %v, want %q", DefaultMaxRecipients+1, err, want)
	}
}

// TestParseBodyAliases checks that a body already in wire form is returned
// without a copy.
func TestParseBodyAliases(t *testing.T) {
	in := []byte("x-sender: a@example.com\r\nx-receiver: b@example.net\r\n" + testMsg)
	_, body, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if &body[0] != &in[len(in)-len(testMsg)] {
		t.Error("body was copied")
	}
}

func TestEnvelopeMessage(t *testing.T) {
	env, body, err := Parse([]byte("x-sender: a@example.com\r\nx-sender-override: o@example.org\r\nx-envid: E1\r\nx-job: J\r\n" +
		"x-receiver: b@example.net\r\nx-receiver: c@bücher.example\r\nSubject: é\r\n\r\nx\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := env.Message(body)
	want := &spool.Message{From: "o@example.org", EnvID: "E1", Job: "J", Origin: "pickup", SMTPUTF8: true, Body: spool.Body8BitMIME,
		Recipients: []spool.Recipient{{Addr: "b@example.net"}, {Index: 0, Addr: "c@bücher.example"}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Message\n got %+v\nwant %+v", m, want)
	}
}

func TestAppendEnvelopeRoundTrip(t *testing.T) {
	for _, tc := range parseCases {
		if tc.err != "" {
			continue
		}
		r := AppendEnvelope(nil, &tc.env)
		env, body, err := Parse(append(r, testMsg...))
		if err != nil {
			t.Fatalf("%s: reparse %q: %v", tc.name, r, err)
		}
		if !reflect.DeepEqual(env, tc.env) || !bytes.Equal(body, []byte(testMsg)) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", tc.name, env, tc.env)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	in := benchFile()
	n := testing.AllocsPerRun(100, func() {
		if _, _, err := Parse(in); err != nil {
			t.Fatal(err)
		}
	})
	// One string for the envelope lines, one slice for the receivers.
	if n > 2 {
		t.Errorf("Parse: %v allocs per run, want at most 2", n)
	}
}
