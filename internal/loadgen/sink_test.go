package loadgen

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
	"github.com/volleymta/volley/internal/testcert"
	"github.com/volleymta/volley/smtpwire"
)

// startSink runs a sink with o and the rules on a free 127.0.0.1 port until
// the test ends.
func startSink(t testing.TB, o SinkOptions, rules ...string) *Sink {
	t.Helper()
	for _, r := range rules {
		rule, err := ParseRule(r)
		if err != nil {
			t.Fatal(err)
		}
		o.Replies = append(o.Replies, rule)
	}
	s := NewSink(o)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s
}

// rawClient is a test's hand-driven SMTP connection.
type rawClient struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dial(t testing.TB, s *Sink) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(emul.Scale(10 * time.Second)))
	t.Cleanup(func() { c.Close() })
	return &rawClient{t: t, c: c, r: bufio.NewReader(c)}
}

func (rc *rawClient) send(s string) {
	rc.t.Helper()
	if _, err := rc.c.Write([]byte(s)); err != nil {
		rc.t.Fatal(err)
	}
}

// expect reads one reply and checks that it starts with want (a code, or
// a code and text); it returns the reply's lines.
func (rc *rawClient) expect(want string) string {
	rc.t.Helper()
	var all strings.Builder
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatalf("reading a reply (want %q): %v (so far %q)", want, err, all.String())
		}
		all.WriteString(line)
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	if !strings.HasPrefix(all.String(), want) {
		rc.t.Fatalf("reply %q, want %q", all.String(), want)
	}
	return all.String()
}

// expectClosed checks that the sink closed the connection.
func (rc *rawClient) expectClosed() {
	rc.t.Helper()
	if line, err := rc.r.ReadString('\n'); err == nil {
		rc.t.Fatalf("read %q, want the connection closed", line)
	}
}

func TestSinkGreetingAndEHLO(t *testing.T) {
	s := startSink(t, SinkOptions{Hostname: "mx.sink.test"})
	rc := dial(t, s)
	rc.expect("220 mx.sink.test ESMTP")
	rc.send("MAIL FROM:<a@x.test>\r\n")
	rc.expect("503 5.5.1")
	rc.send("EHLO client.test\r\n")
	ehlo := rc.expect("250-mx.sink.test\r\n")
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SIZE 67108864", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "DSN"} {
		if !strings.Contains(ehlo, "250-"+ext+"\r\n") && !strings.Contains(ehlo, "250 "+ext+"\r\n") {
			t.Errorf("EHLO reply lacks %s:\n%s", ext, ehlo)
		}
	}
	if strings.Contains(ehlo, "STARTTLS") {
		t.Error("STARTTLS offered without a TLS config")
	}
	rc.send("RCPT TO:<b@x.test>\r\n")
	rc.expect("503 5.5.1")
	rc.send("DATA\r\n")
	rc.expect("503 5.5.1")
	rc.send("MAIL FROM:<a@x.test> SIZE=999999999999\r\n")
	rc.expect("552 5.3.4")
	rc.send("NOOP\r\nVRFY x\r\nXYZZY\r\nSTARTTLS\r\nQUIT\r\n")
	rc.expect("250")
	rc.expect("252")
	rc.expect("500 5.5.2")
	rc.expect("502")
	rc.expect("221")
	rc.expectClosed()
}

// TestSinkPipelined sends two whole transactions in one write (the second
// with a refused and an accepted recipient) and checks the replies, the
// counters and the dot-unstuffing of the saved message.
func TestSinkPipelined(t *testing.T) {
	dir := t.TempDir()
	s := startSink(t, SinkOptions{Save: dir}, "rcpt:/^bad@/=550 5.1.1 no such user")
	rc := dial(t, s)
	rc.expect("220")
	rc.send("EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<bad@x.test>\r\nDATA\r\n" +
		"MAIL FROM:<a@x.test> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<bad@x.test>\r\nRCPT TO:<good@x.test> NOTIFY=NEVER\r\nDATA\r\n")
	rc.expect("250-")
	rc.expect("250 2.1.0")
	rc.expect("550 5.1.1 no such user")
	rc.expect("554 5.5.1") // DATA after every RCPT failed (RFC 2920 §3.1)
	rc.expect("250 2.1.0")
	rc.expect("550 5.1.1")
	rc.expect("250 2.1.5")
	rc.expect("354")
	rc.send("Subject: dots\r\n\r\n..leading dot\r\nplain\r\n.\r\nQUIT\r\n")
	rc.expect("250 2.0.0")
	rc.expect("221")
	c := s.Counters()
	if c.Messages != 1 || c.Recipients != 1 || c.Saved != 1 || c.Replies["rcpt"]["550"] != 2 || c.Replies["rcpt"]["250"] != 1 ||
		c.Scripted["rcpt"] != 2 || c.Bytes != int64(len("Subject: dots\r\n\r\n.leading dot\r\nplain\r\n")) {
		t.Errorf("counters %+v", c)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("saved %v, want one file", files)
	}
	got, _ := os.ReadFile(files[0])
	want := "X-Sink-From: <a@x.test>\r\nX-Sink-To: <good@x.test>\r\nSubject: dots\r\n\r\n.leading dot\r\nplain\r\n"
	if string(got) != want {
		t.Errorf("saved %q, want %q", got, want)
	}
}

// TestSinkBDAT sends a message in three BDAT chunks pipelined with the
// envelope (RFC 3030), then a BDAT without recipients, whose chunk must be
// read and refused without losing the session.
func TestSinkBDAT(t *testing.T) {
	dir := t.TempDir()
	s := startSink(t, SinkOptions{Save: dir})
	rc := dial(t, s)
	rc.expect("220")
	msg := "Subject: chunks\r\n\r\n.no stuffing in BDAT\r\nQUIT\r\nend\r\n"
	a, b, c := msg[:10], msg[10:30], msg[30:]
	rc.send("EHLO c.test\r\nMAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<r@x.test>\r\n" +
		fmt.Sprintf("BDAT %d\r\n%sBDAT %d\r\n%sBDAT %d LAST\r\n%s", len(a), a, len(b), b, len(c), c))
	rc.expect("250-")
	rc.expect("250 2.1.0")
	rc.expect("250 2.1.5")
	rc.expect(fmt.Sprintf("250 2.0.0 %d octets", len(a)))
	rc.expect(fmt.Sprintf("250 2.0.0 %d octets", len(b)))
	rc.expect("250 2.0.0 ok")
	rc.send("MAIL FROM:<a@x.test>\r\nBDAT 6 LAST\r\nRSET\r\nNOOP\r\nBDAT 0 LAST\r\nDATA\r\n")
	rc.expect("250 2.1.0")
	rc.expect("554 5.5.1") // no recipients; "RSET\r\n" was the chunk
	rc.expect("250")       // NOOP
	rc.expect("503 5.5.1") // BDAT without MAIL
	rc.expect("503 5.5.1") // DATA without MAIL
	rc.send("BDAT x\r\n")
	rc.expect("501")
	rc.expectClosed()
	got, err := os.ReadFile(only(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if want := "X-Sink-From: <a@x.test>\r\nX-Sink-To: <r@x.test>\r\n" + msg; string(got) != want {
		t.Errorf("saved %q, want %q", got, want)
	}
	if cs := s.Counters(); cs.Messages != 1 || cs.Bytes != int64(len(msg)) {
		t.Errorf("counters %+v", cs)
	}
}

// TestSinkVolleyClientBDAT delivers with Volley's own client session
// (smtpwire.Client), which sends BDAT when the server offers CHUNKING.
func TestSinkVolleyClientBDAT(t *testing.T) {
	dir := t.TempDir()
	s := startSink(t, SinkOptions{Save: dir})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(emul.Scale(10 * time.Second)))
	body := "From: <a@x.test>\r\nSubject: volley client\r\n\r\n.a line with a dot\r\n"
	tx := &smtpwire.Transaction{From: []byte("a@x.test"), To: [][]byte{[]byte("r1@x.test"), []byte("r2@x.test")}, Body: []byte(body)}
	var cl smtpwire.Client
	cl.Reset(&smtpwire.ClientConfig{Hostname: "volley.test", UseChunking: true})
	var log []string
	buf := make([]byte, 4096)
	var in []byte
	for done := false; !done; {
		if len(cl.Out) > 0 {
			if bytes.Contains(cl.Out, []byte("DATA\r\n")) {
				t.Error("the client sent DATA though the sink offers CHUNKING")
			}
			if _, err := c.Write(cl.Out); err != nil {
				t.Fatal(err)
			}
			cl.Out = cl.Out[:0]
		}
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (events %v)", err, log)
		}
		in = append(in, buf[:n]...)
		for {
			k, ev := cl.Feed(in)
			in = in[k:]
			if ev == smtpwire.CEvNone {
				break
			}
			log = append(log, fmt.Sprintf("%v/%v/%d", ev, cl.Stage, cl.Reply.Code))
			switch ev {
			case smtpwire.CEvReady:
				if cl.Caps.Ext&smtpwire.ExtChunking == 0 {
					t.Fatal("the client did not see CHUNKING")
				}
				if err := cl.Send(tx); err != nil {
					t.Fatal(err)
				}
			case smtpwire.CEvDone:
				cl.Quit()
			case smtpwire.CEvClosed, smtpwire.CEvFailed:
				done = true
			}
		}
	}
	want := "ready/hello/250 rcpt/rcpt/250 rcpt/rcpt/250 done/body/250 closed/quit/221"
	if got := strings.Join(log, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	got, _ := os.ReadFile(only(t, dir))
	if want := "X-Sink-From: <a@x.test>\r\nX-Sink-To: <r1@x.test>\r\nX-Sink-To: <r2@x.test>\r\n" + body; string(got) != want {
		t.Errorf("saved %q, want %q", got, want)
	}
}

// only returns the one file in dir, failing if there is not exactly one.
func only(t testing.TB, dir string) string {
	t.Helper()
	files, err := os.ReadDir(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("%s holds %v (%v), want one file", dir, files, err)
	}
	return filepath.Join(dir, files[0].Name())
}

// TestSinkConnectRule refuses every connection in its greeting and closes.
func TestSinkConnectRule(t *testing.T) {
	s := startSink(t, SinkOptions{}, "connect:/^127\\./=554 5.7.1 no service for you")
	rc := dial(t, s)
	rc.expect("554 5.7.1 no service for you")
	rc.expectClosed()
	if c := s.Counters(); c.Connections != 1 || c.Replies["connect"]["554"] != 1 || c.Scripted["connect"] != 1 {
		t.Errorf("counters %+v", c)
	}
}

// TestSink421Closes checks that a 421 at RCPT ends the session after it.
func TestSink421Closes(t *testing.T) {
	s := startSink(t, SinkOptions{}, "rcpt:every:2=421 4.7.0 slow down")
	rc := dial(t, s)
	rc.expect("220")
	rc.send("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<r1@x>\r\nRCPT TO:<r2@x>\r\nRCPT TO:<r3@x>\r\n")
	rc.expect("250-")
	rc.expect("250 2.1.0")
	rc.expect("250 2.1.5")
	rc.expect("421 4.7.0 slow down")
	rc.expectClosed()
}

// TestSinkEHLORule answers EHLO by a rule: a 2xx one-liner offers no
// extensions, a 5xx leaves the session without a hello.
func TestSinkEHLORule(t *testing.T) {
	s := startSink(t, SinkOptions{}, "ehlo:/^old/=250 hello, old friend", "ehlo:/^bad/=550 5.7.1 go away")
	rc := dial(t, s)
	rc.expect("220")
	rc.send("EHLO old.test\r\nMAIL FROM:<a@x>\r\nEHLO bad.test\r\nMAIL FROM:<a@x>\r\nHELO\r\nQUIT\r\n")
	rc.expect("250 hello, old friend\r\n")
	rc.expect("250 2.1.0")
	rc.expect("550 5.7.1 go away")
	rc.expect("503 5.5.1")
	rc.expect("501")
	rc.expect("221")
}

// TestSinkDelay waits Delay before each reply after the data only.
func TestSinkDelay(t *testing.T) {
	const delay = 60 * time.Millisecond
	s := startSink(t, SinkOptions{Delay: delay})
	start := time.Now()
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 4, Connections: 1})
	if r.Accepted != 4 {
		t.Fatalf("result %+v", r)
	}
	if d := time.Since(start); d < 4*delay {
		t.Errorf("4 messages took %v, want at least %v", d, 4*delay)
	}
	if r.Latency.P50 < delay {
		t.Errorf("p50 latency %v, under the delay %v", r.Latency.P50, delay)
	}
}

// TestSinkSaveParses blasts messages into a saving sink and reads every
// file back as a mail message.
func TestSinkSaveParses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	s := startSink(t, SinkOptions{Save: dir})
	const n = 25
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: n, Connections: 3, Rcpts: 3, Size: 3000,
		From: "sender@src.test", To: []string{"first@dst.test"}})
	if r.Accepted != n {
		t.Fatalf("result %+v", r)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") {
			t.Errorf("left %s behind", e.Name())
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(f)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		body := new(bytes.Buffer)
		body.ReadFrom(m.Body)
		f.Close()
		h := m.Header
		if h.Get("X-Sink-From") != "<sender@src.test>" || len(h["X-Sink-To"]) != 3 || h["X-Sink-To"][0] != "<first@dst.test>" ||
			h["X-Sink-To"][1] != "<rcpt2@dst.test>" || h.Get("Message-Id") == "" || h.Get("Date") == "" || h.Get("Subject") == "" {
			t.Errorf("%s: header %v", e.Name(), h)
		}
		if _, err := h.Date(); err != nil {
			t.Errorf("%s: Date: %v", e.Name(), err)
		}
		if to, err := h.AddressList("To"); err != nil || len(to) != 3 {
			t.Errorf("%s: To %v, %v", e.Name(), to, err)
		}
		if body.Len() != 3000 {
			t.Errorf("%s: body of %d bytes, want 3000", e.Name(), body.Len())
		}
		seen[h.Get("X-Blast-Seq")] = true
	}
	if len(seen) != n || s.Counters().Saved != n {
		t.Errorf("saved %d distinct X-Blast-Seq values (counter %d), want %d", len(seen), s.Counters().Saved, n)
	}
}

// TestSinkSTARTTLS blasts over STARTTLS into a sink that offers it.
func TestSinkSTARTTLS(t *testing.T) {
	pem := testcert.WritePEM(t, "sink.test") // the certificate and its key in one file
	cert, err := tls.LoadX509KeyPair(pem, pem)
	if err != nil {
		t.Fatal(err)
	}
	s := startSink(t, SinkOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 20, Connections: 2, StartTLS: true})
	if r.Accepted != 20 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
	if c := s.Counters(); c.TLS != 2 || c.Messages != 20 {
		t.Errorf("counters %+v, want 2 TLS connections", c)
	}
}
