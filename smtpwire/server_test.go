package smtpwire

import (
	"bytes"
	"strings"
	"testing"
)

// testServerConfig announces everything the session machine supports.
func testServerConfig() *ServerConfig {
	return &ServerConfig{
		Hostname: "mx.example.net",
		Caps: Capabilities{
			Ext: ExtPipelining | ExtSize | Ext8BitMIME | ExtSMTPUTF8 | ExtEnhancedStatusCodes |
				ExtChunking | ExtDSN | ExtStartTLS | ExtAuth,
			MaxSize: 1000,
			Auth:    AuthPlain | AuthLogin,
		},
		MaxRecipients: 3,
		MaxErrors:     50,
	}
}

// testApp is the policy side of a server test: it accepts everything except recipients at
// reject.test, the password "bad", and records what it saw.
type testApp struct {
	messages []string
	users    []string
}

func (a *testApp) decide(s *Server, ev ServerEvent) {
	switch ev {
	case SEvRcpt:
		if bytes.HasSuffix(s.Cmd.Path.Domain, []byte("reject.test")) {
			s.Reply(Reply{C550MailboxUnavail, E571DeliveryNotAuth, "Relaying denied"})
			return
		}
	case SEvMessage:
		a.messages = append(a.messages, string(s.Body))
	case SEvAuth:
		a.users = append(a.users, string(s.AuthUser))
		if string(s.AuthPass) == "bad" {
			s.Reply(Reply{C535AuthInvalid, E578AuthInvalid, "Authentication credentials invalid"})
			return
		}
	case SEvStartTLS:
		s.Accept()
		s.TLSStarted() // the test pretends the handshake succeeded
		return
	}
	s.Accept()
}

// serve runs input through a fresh session, in chunks of size step (0: all at once), and
// returns everything the server wrote. The caller's buffer discipline is the one of a real
// connection: unconsumed bytes are kept and more are appended.
func serve(t *testing.T, cfg *ServerConfig, app *testApp, input string, step int) string {
	t.Helper()
	var s Server
	s.Reset(cfg)
	s.Greet()
	var out, buf []byte
	if step == 0 {
		step = len(input)
	}
	for off := 0; off < len(input) || len(buf) > 0; {
		end := min(off+step, len(input))
		buf = append(buf, input[off:end]...)
		off = end
		for {
			n, ev := s.Feed(buf)
			buf = buf[n:]
			if ev == SEvQuit {
				return string(append(out, s.Out...))
			}
			if ev == SEvNone {
				break
			}
			app.decide(&s, ev)
		}
		out = append(out, s.Out...)
		s.Out = s.Out[:0]
		if off == len(input) {
			break
		}
	}
	return string(out)
}

func TestServerDialogues(t *testing.T) {
	const greet = "220 mx.example.net ESMTP\r\n"
	const ehlo = "250-mx.example.net Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n" +
		"250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-DSN\r\n250-STARTTLS\r\n" +
		"250 AUTH PLAIN LOGIN\r\n"
	cases := []struct {
		name, in, want string
		messages       []string
	}{
		{
			name: "RFC 5321 D.1 transaction",
			in: "EHLO client.example.org\r\nMAIL FROM:<smith@bar.com>\r\nRCPT TO:<jones@foo.com>\r\n" +
				"RCPT TO:<green@reject.test>\r\nRCPT TO:<brown@foo.com>\r\nDATA\r\nBlah blah\r\n..dot\r\n.\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n550 5.7.1 Relaying denied\r\n" +
				"250 2.1.5 Recipient ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Message accepted\r\n221 2.0.0 Bye\r\n",
			messages: []string{"Blah blah\r\n.dot\r\n"},
		},
		{
			name: "HELO session without extensions",
			in:   "HELO old.example.org\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n",
			want: greet + "250 mx.example.net Hello\r\n250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n" +
				"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Message accepted\r\n221 2.0.0 Bye\r\n",
			messages: []string{"x\r\n"},
		},
		{
			name: "sequence errors, then the session goes on",
			in: "MAIL FROM:<a@b.example>\r\nEHLO c\r\nRCPT TO:<c@d.example>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\n" +
				"MAIL FROM:<a@b.example>\r\nDATA\r\nRCPT TO:<x@reject.test>\r\nDATA\r\nRSET\r\nNOOP\r\nQUIT\r\n",
			want: greet + "503 5.5.1 Send HELO/EHLO first\r\n" + ehlo + "503 5.5.1 Need MAIL command\r\n" +
				"503 5.5.1 Need MAIL command\r\n250 2.1.0 Sender ok\r\n503 5.5.1 Nested MAIL command\r\n" +
				"503 5.5.1 Need RCPT command\r\n550 5.7.1 Relaying denied\r\n554 5.5.1 No valid recipients\r\n" +
				"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "syntax errors map to RFC replies",
			in: "FOO bar\r\nEHLO\r\nEHLO c\r\nMAIL FROM:a@b.example\r\nMAIL FROM:<a@@b>\r\nMAIL FROM:<a@b.example> SIZE=x\r\n" +
				"MAIL FROM:<a@b.example> FOO=1\r\nMAIL FROM:<a@b.example> SIZE=5000\r\nMAIL FROM:<>\r\nRCPT TO:<>\r\nQUIT\r\n",
			want: greet + "500 5.5.1 Command unrecognized\r\n501 5.5.4 @\r\n" + ehlo +
				"501 5.5.4 @\r\n553 5.1.7 Bad sender address syntax\r\n501 5.5.4 @\r\n555 5.5.4 Unsupported parameter\r\n" +
				"552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.1.0 Sender ok\r\n" +
				"553 5.1.3 @\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "too many recipients",
			in: "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<1@d.example>\r\nRCPT TO:<2@d.example>\r\n" +
				"RCPT TO:<3@d.example>\r\nRCPT TO:<4@d.example>\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n250 2.1.5 Recipient ok\r\n" +
				"250 2.1.5 Recipient ok\r\n452 4.5.3 Too many recipients\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "SMTPUTF8 address needs the parameter",
			in: "EHLO c\r\nMAIL FROM:<jöran@b.example>\r\nMAIL FROM:<jöran@b.example> SMTPUTF8\r\n" +
				"RCPT TO:<用户@例子.广告>\r\nQUIT\r\n",
			want: greet + ehlo + "553 5.6.7 Address needs SMTPUTF8\r\n250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "BDAT chunks",
			in: "EHLO c\r\nMAIL FROM:<a@b.example> BODY=8BITMIME\r\nRCPT TO:<c@d.example>\r\nBDAT 6\r\nhello\nBDAT 0\r\n" +
				"BDAT 7 LAST\r\nworld\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n250 2.0.0 6 octets received\r\n" +
				"250 2.0.0 6 octets received\r\n250 2.0.0 Message accepted\r\n221 2.0.0 Bye\r\n",
			messages: []string{"hello\nworld\r\n"},
		},
		{
			name: "BDAT without recipients is read, then refused",
			in:   "EHLO c\r\nBDAT 6 LAST\r\nQUIT\r\nMAIL FROM:<a@b.example>\r\nBDAT 3 LAST\r\nabcDATA\r\nQUIT\r\n",
			want: greet + ehlo + "503 5.5.1 Need MAIL command\r\n250 2.1.0 Sender ok\r\n503 5.5.1 Need RCPT command\r\n" +
				"503 5.5.1 Need MAIL command\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "DATA after BDAT is refused",
			in:   "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 2\r\nabDATA\r\nBDAT 0 LAST\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n250 2.0.0 2 octets received\r\n" +
				"503 5.5.1 DATA not allowed after BDAT\r\n250 2.0.0 Message accepted\r\n221 2.0.0 Bye\r\n",
			messages: []string{"ab"},
		},
		{
			name: "oversize DATA is read to the end and refused",
			in: "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n" + strings.Repeat("0123456789\r\n", 100) +
				".\r\nRSET\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n" +
				"552 5.3.4 Message too big for system\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "oversize BDAT is read and refused",
			in: "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 1001 LAST\r\n" + strings.Repeat("x", 1001) +
				"NOOP\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n" +
				"552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "smuggled end of data is message content",
			in: "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhi\n.\nMAIL FROM:<evil@x.example>\r\n" +
				".\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n250 2.1.5 Recipient ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n" +
				"554 5.6.0 Bare CR or LF not allowed in message\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "AUTH PLAIN and LOGIN",
			in: "EHLO c\r\nAUTH PLAIN AHVzZXIAYmFk\r\nAUTH CRAM-MD5\r\nAUTH LOGIN\r\ndXNlcg==\r\nc2VjcmV0\r\nAUTH PLAIN\r\n" +
				"QUIT\r\n",
			want: greet + ehlo + "535 5.7.8 Authentication credentials invalid\r\n504 5.5.4 Unrecognized authentication type\r\n" +
				"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n503 5.5.1 Already authenticated\r\n" +
				"221 2.0.0 Bye\r\n",
		},
		{
			name: "AUTH cancelled and bad base64",
			in:   "EHLO c\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n!!!\r\nAUTH PLAIN dXNlcg==\r\nQUIT\r\n",
			want: greet + ehlo + "334 \r\n501 5.0.0 Authentication cancelled\r\n334 \r\n501 5.5.2 Invalid base64 data\r\n" +
				"501 5.5.2 Invalid PLAIN response\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "STARTTLS resets the session",
			in:   "EHLO c\r\nMAIL FROM:<a@b.example>\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\nEHLO c\r\nSTARTTLS\r\nQUIT\r\n",
			want: greet + ehlo + "250 2.1.0 Sender ok\r\n220 2.0.0 Ready to start TLS\r\n503 5.5.1 Send HELO/EHLO first\r\n" +
				strings.Replace(ehlo, "250-STARTTLS\r\n", "", 1) + "503 5.5.1 TLS already active\r\n221 2.0.0 Bye\r\n",
		},
		{
			name: "VRFY HELP and a long line",
			in:   "VRFY someone\r\nHELP\r\n" + strings.Repeat("x", 3000) + "\r\nNOOP\r\nQUIT\r\n",
			want: greet + "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n214 2.0.0 See RFC 5321\r\n" +
				"500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{0, 1, 7} {
				app := &testApp{}
				got := serve(t, testServerConfig(), app, tc.in, step)
				if !matchDialogue(got, tc.want) {
					t.Fatalf("step %d: transcript\n%s\nwant\n%s", step, got, tc.want)
				}
				if len(app.messages) != len(tc.messages) {
					t.Fatalf("step %d: messages %q, want %q", step, app.messages, tc.messages)
				}
				for i := range tc.messages {
					if app.messages[i] != tc.messages[i] {
						t.Fatalf("step %d: message %d = %q, want %q", step, i, app.messages[i], tc.messages[i])
					}
				}
			}
		})
	}
}

// matchDialogue compares a transcript with a pattern in which "@" stands for the rest of
// one reply line (the wording of parse errors is the parser's, tested there).
func matchDialogue(got, want string) bool {
	for {
		i := strings.IndexByte(want, '@')
		if i < 0 {
			return got == want
		}
		if !strings.HasPrefix(got, want[:i]) {
			return false
		}
		got, want = got[i:], want[i+1:]
		j := strings.Index(got, "\r\n")
		if j < 0 {
			return false
		}
		got = got[j+2:]
		if strings.HasPrefix(want, "\r\n") {
			want = want[2:]
		}
	}
}

func TestServerBDATBadSizeEndsSession(t *testing.T) {
	got := serve(t, testServerConfig(), &testApp{}, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 12x LAST\r\nQUIT\r\n", 0)
	if !strings.HasSuffix(got, "250 2.1.5 Recipient ok\r\n501 5.5.4 Syntax: BDAT size [LAST]\r\n") {
		t.Fatalf("transcript:\n%s", got)
	}
}

func TestServerLongAuthLine(t *testing.T) {
	// RFC 4954 §4: an AUTH line may be longer than other commands.
	long := strings.Repeat("QUFB", 700) // 2800 octets of base64, too long for PLAIN's buffer
	got := serve(t, testServerConfig(), &testApp{}, "EHLO c\r\nAUTH PLAIN "+long+"\r\nNOOP\r\n", 0)
	if !strings.Contains(got, "500 5.5.6 Authentication exchange line is too long\r\n250 2.0.0 Ok\r\n") {
		t.Fatalf("transcript:\n%s", got)
	}
}

func TestServerMaxErrors(t *testing.T) {
	cfg := testServerConfig()
	cfg.MaxErrors = 3
	got := serve(t, cfg, &testApp{}, "FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n", 0)
	want := "220 mx.example.net ESMTP\r\n500 5.5.1 Command unrecognized\r\n500 5.5.1 Command unrecognized\r\n" +
		"500 5.5.1 Command unrecognized\r\n421 4.7.0 Too many errors, closing connection\r\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestServerPolicyGates(t *testing.T) {
	cfg := testServerConfig()
	cfg.RequireTLS, cfg.AuthRequiresTLS = true, true
	got := serve(t, cfg, &testApp{}, "EHLO c\r\nAUTH PLAIN AHVzZXIAcHc=\r\nMAIL FROM:<a@b.example>\r\nQUIT\r\n", 0)
	for _, want := range []string{
		"250-DSN\r\n250 STARTTLS\r\n", // no AUTH before TLS
		"538 5.7.11 Encryption required for requested authentication mechanism\r\n",
		"530 5.7.0 Must issue a STARTTLS command first\r\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("transcript lacks %q:\n%s", want, got)
		}
	}
}

// TestServerPipelinedReplyBatch checks RFC 2920 §3.2: a pipelined group gets its replies
// in one batch, and Feed stops exactly at the end of DATA so the next command is kept.
func TestServerPipelinedReplyBatch(t *testing.T) {
	var s Server
	s.Reset(testServerConfig())
	app := &testApp{}
	in := []byte("EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
	for {
		n, ev := s.Feed(in)
		in = in[n:]
		if ev == SEvNone {
			break
		}
		app.decide(&s, ev)
	}
	if len(in) != 0 || !strings.HasSuffix(string(s.Out), "354 End data with <CR><LF>.<CR><LF>\r\n") {
		t.Fatalf("left %q, out %q", in, s.Out)
	}
	s.Out = s.Out[:0]
	in = []byte("body\r\n.\r\nMAIL FROM:<x@y.example>\r\n")
	n, ev := s.Feed(in)
	if ev != SEvMessage || string(in[n:]) != "MAIL FROM:<x@y.example>\r\n" || string(s.Body) != "body\r\n" {
		t.Fatalf("n=%d ev=%v body=%q", n, ev, s.Body)
	}
	if s.Pending() != SEvMessage {
		t.Fatalf("pending %v", s.Pending())
	}
	if n2, _ := s.Feed(in[n:]); n2 != 0 {
		t.Fatal("Feed consumed input while a decision was pending")
	}
}

func TestServerAllocs(t *testing.T) {
	cfg := testServerConfig()
	cfg.MaxRecipients = 100
	var s Server
	s.Reset(cfg)
	s.Body = make([]byte, 0, 4096)
	s.Out = make([]byte, 0, 4096)
	tx := []byte("MAIL FROM:<a@b.example> SIZE=100\r\nRCPT TO:<c@d.example>\r\nDATA\r\nSubject: x\r\n\r\nhello\r\n.\r\n")
	hello := []byte("EHLO c\r\n")
	n, _ := s.Feed(hello)
	s.Accept()
	s.Feed(hello[n:])
	allocs := testing.AllocsPerRun(100, func() {
		s.Out = s.Out[:0]
		in := tx
		for len(in) > 0 {
			n, ev := s.Feed(in)
			in = in[n:]
			if ev == SEvNone && n == 0 {
				break
			}
			if ev != SEvNone {
				s.Accept()
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("a transaction allocates %v times", allocs)
	}
}

func TestServerEventNames(t *testing.T) {
	for e := ServerEvent(0); e < serverEventCount; e++ {
		if e.String() == "" || e.String() == "invalid" {
			t.Fatalf("event %d has no name", e)
		}
	}
	if serverEventCount.String() != "invalid" {
		t.Fatal("sentinel has a name")
	}
}

func TestReplyOf(t *testing.T) {
	if r := ReplyOf(ErrUnknownCommand); r != ErrUnknownCommand.Reply {
		t.Fatalf("ReplyOf(*Error) = %+v", r)
	}
	if r := ReplyOf(ErrNeedMore); r.Code != C451LocalError || r.Enh != E430SystemOther {
		t.Fatalf("ReplyOf(other) = %+v", r)
	}
}
