package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/volleymta/volley/internal/testcert"
	"github.com/volleymta/volley/internal/testpeer"
	"github.com/volleymta/volley/spool"
)

// Interop tests: the real volleyd binary against real SMTP clients (swaks,
// Python's smtplib) and a real load balancer (haproxy), checked by what the
// clients saw and by what is in the spool after the daemon has exited.
// Helpers are in helpers_test.go, the Python clients in testdata/.

// swaksBody is the message swaks sends: 8-bit text and dot lines.
const swaksBody = "Subject: swaks test\r\n\r\nGrüße aus Köln\r\n.leading dot\r\n..two dots\r\nlast line\r\n"

// TestSwaksSend exists because this is the daemon's whole job in one line:
// a client on this host hands over a message, gets 250 only once it is
// durable, and the spool then holds it with the right envelope and a
// Received field naming the client.
func TestSwaksSend(t *testing.T) {
	d := startVolleyd(t, "", `
<source 127.0.0.1>
    always-allow-relaying yes
</source>
`)
	cases := []struct {
		name  string
		to    string
		extra []string
	}{
		{"plain", "one@example.org", nil},
		{"pipelined", "two@example.org", []string{"--pipeline"}},
		{"two recipients", "three@example.org,four@example.net", []string{"--pipeline"}},
	}
	for _, tc := range cases {
		r := swaks(t, d.addr, swaksBody, append([]string{"--to", tc.to}, tc.extra...)...)
		if r.code != 0 || !strings.Contains(r.out, "<-  250 ") || strings.Contains(r.out, "<** ") {
			t.Fatalf("%s: swaks exited %d:\n%s", tc.name, r.code, r.out)
		}
	}

	msgs := readSpool(t, d)
	if len(msgs) != len(cases) {
		t.Fatalf("%d messages in the spool, want %d", len(msgs), len(cases))
	}
	for i, tc := range cases {
		m := msgs[i]
		if m.From != "sender@swaks.test" || !slices.Equal(m.rcpts(), strings.Split(tc.to, ",")) {
			t.Errorf("%s: envelope %q -> %q, want sender@swaks.test -> %q", tc.name, m.From, m.rcpts(), tc.to)
		}
		checkReceived(t, m, "swaks.test", "127.0.0.1")
		// swaks ends the data with its own CRLF before the final dot.
		if !strings.HasSuffix(strings.TrimRight(string(m.body), "\r\n"), strings.TrimRight(swaksBody, "\r\n")) {
			t.Errorf("%s: body %q does not end with what swaks sent, %q", tc.name, m.body, swaksBody)
		}
	}
}

// TestSwaksAuth exists because AUTH is how a client that may not relay by
// address earns relaying: with a plaintext and a bcrypt <smtp-user>, by
// AUTH PLAIN and LOGIN. A wrong password must get 535 and no relaying, and
// no AUTH at all 550 5.7.1.
func TestSwaksAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-b"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	d := startVolleyd(t, "", `
<source 0/0>
    always-allow-relaying        no
    allow-unencrypted-plain-auth yes
</source>
<smtp-user alice>
    password s3cret-a
</smtp-user>
<smtp-user bob>
    password `+string(hash)+`
</smtp-user>
`)
	cases := []struct {
		name, user, pass, mech string
		code                   int    // swaks's exit status: 28 AUTH failed, 24 no RCPT accepted
		reply                  string // a reply swaks must have seen
	}{
		{"plaintext user, PLAIN", "alice", "s3cret-a", "PLAIN", 0, "<-  235 "},
		{"plaintext user, LOGIN", "alice", "s3cret-a", "LOGIN", 0, "<-  235 "},
		{"bcrypt user, PLAIN", "bob", "s3cret-b", "PLAIN", 0, "<-  235 "},
		{"bcrypt user, LOGIN", "bob", "s3cret-b", "LOGIN", 0, "<-  235 "},
		{"plaintext user, wrong password", "alice", "wrong", "PLAIN", 28, "<** 535 "},
		{"bcrypt user, wrong password", "bob", "s3cret-a", "LOGIN", 28, "<** 535 "},
		{"unknown user", "carol", "s3cret-a", "PLAIN", 28, "<** 535 "},
		{"no AUTH", "", "", "", 24, "<** 550 5.7.1 "},
	}
	accepted := 0
	for i, tc := range cases {
		extra := []string{"--to", fmt.Sprintf("rcpt%d@example.org", i)}
		if tc.user != "" {
			extra = append(extra, "--auth", tc.mech, "--auth-user", tc.user, "--auth-password", tc.pass)
		}
		r := swaks(t, d.addr, swaksBody, extra...)
		if r.code != tc.code || !strings.Contains(r.out, tc.reply) {
			t.Errorf("%s: swaks exited %d, want %d with %q:\n%s", tc.name, r.code, tc.code, tc.reply, r.out)
		}
		if tc.code == 0 {
			accepted++
		}
	}

	msgs := readSpool(t, d)
	if len(msgs) != accepted {
		t.Fatalf("%d messages in the spool, want the %d authenticated ones", len(msgs), accepted)
	}
	for i, m := range msgs {
		if want := fmt.Sprintf("rcpt%d@example.org", i); !slices.Equal(m.rcpts(), []string{want}) {
			t.Errorf("message %d: recipients %q, want %s", i, m.rcpts(), want)
		}
		checkReceived(t, m, "swaks.test", "127.0.0.1")
		if !strings.Contains(m.received(), "with ESMTPA") {
			t.Errorf("message %d: Received %q does not say ESMTPA (RFC 3848)", i, m.received())
		}
	}
}

// TestSMTPLibBDAT exists because swaks (20201014) cannot send BDAT: Python
// drives CHUNKING (RFC 3030) by hand, with a chunk per reply, a binary
// body, and a pipelined transaction; a source with allow-chunking no (it
// defaults to yes) is not offered it and is refused. The spool must hold the chunks' octets
// exactly, with no dot-unstuffing.
func TestSMTPLibBDAT(t *testing.T) {
	d := startVolleyd(t, "", `
<source 127.0.0.0/8>
    always-allow-relaying yes
    allow-chunking        no
</source>
<source 127.0.0.1>
    allow-chunking        yes
</source>
`)
	host, port := hostPort(d.addr)
	pyScript(t, "bdat.py", host, port)

	msgs := readSpool(t, d)
	want := []struct {
		from, to, body string
		typ            spool.BodyType
	}{
		{"one@py.test", "rcpt1@example.org",
			"Subject: bdat one\r\n\r\nfirst chunk\r\n.not stuffed\r\nbinary \x00\xff end\r\n", spool.BodyBinaryMIME},
		{"two@py.test", "rcpt2@example.org", "Subject: bdat two\r\n\r\npipelined\r\n", spool.Body7Bit},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages in the spool, want %d (the refused BDAT must not be stored)", len(msgs), len(want))
	}
	for i, w := range want {
		m := msgs[i]
		if m.From != w.from || !slices.Equal(m.rcpts(), []string{w.to}) || m.Body != w.typ {
			t.Errorf("message %d: %q -> %q body type %d, want %q -> %q type %d", i, m.From, m.rcpts(), m.Body, w.from, w.to, w.typ)
		}
		checkReceived(t, m, "py.test", "127.0.0.1")
		if !strings.HasSuffix(string(m.body), "\r\n"+w.body) {
			t.Errorf("message %d: body %q, want the Received field then %q", i, m.body, w.body)
		}
	}
}

// TestOversize exists because max-message-size must refuse big mail with
// 552 5.3.4 however it comes (announced with SIZE, or only found out while
// reading DATA) without ending the session, and must store none of it.
func TestOversize(t *testing.T) {
	const limit = 10 << 10 // max-message-size 10k
	d := startVolleyd(t, "", `
<source 127.0.0.1>
    always-allow-relaying yes
    max-message-size      10k
</source>
`)
	// swaks sends no SIZE parameter: the whole 50 KB is read, then refused.
	big := "Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 5*limit/100)
	r := swaks(t, d.addr, big, "--to", "big@example.org")
	if r.code != 26 || !strings.Contains(r.out, "<** 552 5.3.4 ") {
		t.Fatalf("swaks with a 50 KB message exited %d, want 26 (refused after data) and 552 5.3.4:\n%s", r.code, r.out)
	}
	// swaks cannot send twice on one connection; smtplib checks the session
	// goes on after each refusal.
	host, port := hostPort(d.addr)
	pyScript(t, "oversize.py", host, port, strconv.Itoa(limit))

	msgs := readSpool(t, d)
	if len(msgs) != 1 || msgs[0].From != "small@py.test" {
		t.Fatalf("spool holds %d messages (first from %q), want only the small one", len(msgs), fromOf(msgs))
	}
}

func fromOf(msgs []stored) string {
	if len(msgs) == 0 {
		return ""
	}
	return msgs[0].From
}

// TestSMTPLibSession exists to prove a long session with a mainstream
// client library: 20 transactions on one connection, each reply checked by
// the client, one of them SMTPUTF8 (allow-smtputf8), then RSET, NOOP and
// QUIT; all 20 must be in the spool, dot lines unstuffed.
func TestSMTPLibSession(t *testing.T) {
	d := startVolleyd(t, "", `
<source 127.0.0.1>
    always-allow-relaying yes
    allow-smtputf8        yes
</source>
`)
	host, port := hostPort(d.addr)
	pyScript(t, "session.py", host, port)

	msgs := readSpool(t, d)
	if len(msgs) != 20 {
		t.Fatalf("%d messages in the spool, want 20", len(msgs))
	}
	for i, m := range msgs[:19] {
		n := i + 1
		from, to := fmt.Sprintf("sender%d@py.test", n), fmt.Sprintf("rcpt%d@example.org", n)
		if m.From != from || !slices.Equal(m.rcpts(), []string{to}) || m.SMTPUTF8 {
			t.Errorf("message %d: %q -> %q (SMTPUTF8 %v), want %q -> %q", n, m.From, m.rcpts(), m.SMTPUTF8, from, to)
		}
		if want := fmt.Sprintf("\r\n.leading dot %d\r\n", n); !strings.Contains(string(m.body), want) {
			t.Errorf("message %d: body %q lacks %q", n, m.body, want)
		}
		checkReceived(t, m, "py.test", "127.0.0.1")
	}
	m := msgs[19]
	if m.From != "jöran@py.test" || !slices.Equal(m.rcpts(), []string{"用户@example.org"}) || !m.SMTPUTF8 ||
		m.Body != spool.Body8BitMIME {
		t.Errorf("SMTPUTF8 message: %q -> %q (SMTPUTF8 %v, body type %d), want jöran@py.test -> 用户@example.org, SMTPUTF8, 8BITMIME",
			m.From, m.rcpts(), m.SMTPUTF8, m.Body)
	}
	if !strings.HasSuffix(string(m.body), "\r\nGrüße aus Köln\r\n") {
		t.Errorf("SMTPUTF8 message: body %q", m.body)
	}
}

// haproxyConfig relays a v2 and a v1 PROXY frontend to volleyd.
const haproxyConfig = `global
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe_v2
    bind 127.0.0.1:%d
    default_backend be_v2
backend be_v2
    server volleyd %s send-proxy-v2
frontend fe_v1
    bind 127.0.0.1:%d
    default_backend be_v1
backend be_v1
    server volleyd %s send-proxy
`

// TestHAProxy exists because behind a load balancer every connection comes
// from the balancer's address: with accept-proxy-protocol on the listener's
// source, the client's own address from the PROXY header (v2 and v1) must
// drive the policy and the Received field. 127.0.0.5 may relay, 127.0.0.6
// may not; a peer that sends no header is not served at all.
func TestHAProxy(t *testing.T) {
	bin := testpeer.Need(t, "haproxy", "haproxy", "/usr/sbin/haproxy")
	d := startVolleyd(t, "lb", `
<source 0/0>
    always-allow-relaying no
</source>
<source 127.0.0.5>
    always-allow-relaying yes
</source>
<source lb>
    accept-proxy-protocol yes
</source>
`)
	// Picked while volleyd listens, so neither can be volleyd's port.
	v2, v1 := freePort(t), freePort(t)
	for v1 == v2 {
		v1 = freePort(t)
	}
	startHAProxy(t, bin, fmt.Sprintf(haproxyConfig, v2, d.addr, v1, d.addr), v2, v1)

	cases := []struct {
		name     string
		frontend int
		client   string
		code     int    // swaks's exit status: 24 is no RCPT accepted
		reply    string // a reply swaks must have seen
	}{
		{"v2, relaying client", v2, "127.0.0.5", 0, "<-  250 "},
		{"v2, other client", v2, "127.0.0.6", 24, "<** 550 5.7.1 "},
		{"v1, relaying client", v1, "127.0.0.5", 0, "<-  250 "},
		{"v1, other client", v1, "127.0.0.6", 24, "<** 550 5.7.1 "},
	}
	var wantTo []string
	for i, tc := range cases {
		to := fmt.Sprintf("rcpt%d@example.org", i)
		r := swaks(t, "127.0.0.1:"+strconv.Itoa(tc.frontend), swaksBody,
			"--local-interface", tc.client, "--to", to)
		if r.code != tc.code || !strings.Contains(r.out, tc.reply) {
			t.Errorf("%s: swaks exited %d, want %d with %q:\n%s", tc.name, r.code, tc.code, tc.reply, r.out)
		}
		if tc.code == 0 {
			wantTo = append(wantTo, to)
		}
	}

	// Straight to volleyd, without a header: closed unanswered.
	c, err := net.DialTimeout("tcp", d.addr, peerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(peerTimeout))
	if _, err := io.WriteString(c, "EHLO direct.test\r\n"); err != nil {
		t.Fatal(err)
	}
	// Closed at once (EOF, or a reset), not left to time out, and unanswered.
	if line, err := bufio.NewReader(c).ReadString('\n'); line != "" || (err != io.EOF && !errors.Is(err, syscall.ECONNRESET)) {
		t.Errorf("a connection without a PROXY header got %q, %v; want it closed with no reply", line, err)
	}

	msgs := readSpool(t, d)
	if len(msgs) != len(wantTo) {
		t.Fatalf("%d messages in the spool, want %d", len(msgs), len(wantTo))
	}
	for i, m := range msgs {
		if !slices.Equal(m.rcpts(), []string{wantTo[i]}) {
			t.Errorf("message %d: recipients %q, want %s", i, m.rcpts(), wantTo[i])
		}
		checkReceived(t, m, "swaks.test", "127.0.0.5")
	}
}

// startHAProxy runs haproxy in the foreground (-db) with cfg until cleanup,
// and waits until every frontend port accepts.
func startHAProxy(t *testing.T, bin, cfg string, ports ...int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := startProcess(exec.Command(bin, "-db", "-f", path))
	if err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	t.Cleanup(func() { _ = p.stop(syscall.SIGKILL) })
	for _, port := range ports {
		if err := p.waitListening("127.0.0.1:" + strconv.Itoa(port)); err != nil {
			t.Fatalf("haproxy: %v\n%s", err, p.logs)
		}
	}
}

// TestSwaksStartTLS: swaks upgrades with STARTTLS (TLS 1.2 and 1.3) and
// then authenticates, which the source allows only under TLS; in the clear
// AUTH is not offered; a TLS 1.1-only client cannot upgrade. Stored messages
// say ESMTPSA and the TLS version.
func TestSwaksStartTLS(t *testing.T) {
	d := startVolleyd(t, "", `
smtp-server-tls-certificate `+testcert.WritePEM(t, "test.example")+`
<source 0/0>
    always-allow-relaying no
    allow-starttls        yes
</source>
<smtp-user alice>
    password s3cret-a
</smtp-user>
`)
	auth := []string{"--to", "x@example.org", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret-a"}
	for _, proto := range []string{"tlsv1_3", "tlsv1_2"} {
		r := swaks(t, d.addr, "Subject: "+proto+"\r\n\r\nover TLS\r\n", append([]string{"--tls", "--tls-protocol", proto}, auth...)...)
		if r.code != 0 || !strings.Contains(r.out, "250 2.0.0 OK queued as") {
			t.Fatalf("swaks --tls %s: exit %d\n%s", proto, r.code, r.out)
		}
	}
	if r := swaks(t, d.addr, "Subject: clear\r\n\r\nx\r\n", auth...); r.code == 0 || strings.Contains(r.out, "250 2.0.0 OK queued") {
		t.Fatalf("AUTH in the clear succeeded (exit %d)\n%s", r.code, r.out)
	}
	if r := swaks(t, d.addr, "Subject: old\r\n\r\nx\r\n", append([]string{"--tls", "--tls-protocol", "tlsv1_1"}, auth...)...); r.code == 0 {
		t.Fatalf("a TLS 1.1 client got through\n%s", r.out)
	}
	msgs := readSpool(t, d)
	if len(msgs) != 2 {
		t.Fatalf("%d messages stored, want 2", len(msgs))
	}
	for i, want := range []string{"TLSv1.3", "TLSv1.2"} {
		if got := msgs[i].received(); !strings.Contains(got, "(using "+want+" with cipher ") || !strings.Contains(got, "with ESMTPSA") {
			t.Errorf("message %d: Received %q, want %s and ESMTPSA", i, got, want)
		}
	}
}

// TestSwaksImmediateTLS: an <smtp-listener> block with immediate-tls
// speaks TLS from the first byte (SMTPS, RFC 8314): swaks --tlsc gets the
// greeting encrypted, is not offered STARTTLS again, and may AUTH, which
// the listener's source allows only under TLS; a client that waits for a
// greeting in the clear gets none.
func TestSwaksImmediateTLS(t *testing.T) {
	port := freePort(t)
	smtps := "127.0.0.1:" + strconv.Itoa(port)
	d := startVolleyd(t, "", `
smtp-server-tls-certificate `+testcert.WritePEM(t, "test.example")+`
<smtp-listener `+smtps+`>
    immediate-tls yes
    source submission
</smtp-listener>
<source 0/0>
    always-allow-relaying no
</source>
<source submission>
    always-allow-relaying no
    require-auth yes
</source>
<smtp-user alice>
    password s3cret-a
</smtp-user>
`)
	if err := d.waitListening(smtps); err != nil {
		t.Fatal(err)
	}
	auth := []string{"--to", "x@example.org", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret-a"}
	r := swaks(t, smtps, "Subject: smtps\r\n\r\nover implicit TLS\r\n", append([]string{"--tlsc"}, auth...)...)
	if r.code != 0 || !strings.Contains(r.out, "250 2.0.0 OK queued as") {
		t.Fatalf("swaks --tlsc: exit %d\n%s", r.code, r.out)
	}
	if strings.Contains(r.out, "STARTTLS") {
		t.Errorf("STARTTLS offered inside implicit TLS:\n%s", r.out)
	}

	c, err := net.DialTimeout("tcp", smtps, peerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := c.Read(make([]byte, 64)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a client waiting in the clear read %d bytes, %v; want nothing", n, err)
	}

	msgs := readSpool(t, d)
	if len(msgs) != 1 {
		t.Fatalf("%d messages stored, want 1", len(msgs))
	}
	if got := msgs[0].received(); !strings.Contains(got, "with ESMTPSA") || !strings.Contains(got, "(using TLSv1.3") {
		t.Errorf("Received %q, want TLSv1.3 and ESMTPSA", got)
	}
}

// TestHAProxyImmediateTLS: behind HAProxy (TCP mode, send-proxy-v2) an
// immediate-tls listener reads the PROXY header, then the TLS handshake
// whose first bytes may have come in the same read; the client address
// from the header is the one the policy and Received use.
func TestHAProxyImmediateTLS(t *testing.T) {
	bin := testpeer.Need(t, "haproxy", "haproxy", "/usr/sbin/haproxy")
	port := freePort(t)
	smtps := "127.0.0.1:" + strconv.Itoa(port)
	d := startVolleyd(t, "", `
smtp-server-tls-certificate `+testcert.WritePEM(t, "test.example")+`
<smtp-listener `+smtps+`>
    immediate-tls yes
    source lb
</smtp-listener>
<source 127.0.0.5>
    always-allow-relaying yes
</source>
<source lb>
    accept-proxy-protocol yes
</source>
`)
	if err := d.waitListening(smtps); err != nil {
		t.Fatal(err)
	}
	front := freePort(t)
	startHAProxy(t, bin, fmt.Sprintf(`global
    maxconn 16
defaults
    mode tcp
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server volleyd %s send-proxy-v2
`, front, smtps), front)
	r := swaks(t, "127.0.0.1:"+strconv.Itoa(front), swaksBody, "--tlsc", "--local-interface", "127.0.0.5", "--to", "r@example.org")
	if r.code != 0 || !strings.Contains(r.out, "250 2.0.0 OK queued as") {
		t.Fatalf("swaks --tlsc through haproxy: exit %d\n%s", r.code, r.out)
	}
	// A client whose PROXY header and first TLS bytes share one write (and
	// so, here, one read): the handshake must see those bytes.
	raw, err := net.DialTimeout("tcp", smtps, peerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(peerTimeout))
	pc := &prefixedConn{Conn: raw, prefix: []byte("PROXY TCP4 127.0.0.5 127.0.0.1 5555 465\r\n")}
	sc, err := smtp.NewClient(tls.Client(pc, &tls.Config{InsecureSkipVerify: true}), "test.example") //nolint:gosec // the test's own certificate
	if err != nil {
		t.Fatalf("SMTP over TLS after a PROXY header in the same write: %v", err)
	}
	if err := sc.Hello("oneshot.test"); err != nil {
		t.Fatal(err)
	}
	sendOn(t, sc, "a@example.test", "r2@example.org")

	msgs := readSpool(t, d)
	if len(msgs) != 2 {
		t.Fatalf("%d messages stored, want 2", len(msgs))
	}
	checkReceived(t, msgs[0], "swaks.test", "127.0.0.5")
	checkReceived(t, msgs[1], "oneshot.test", "127.0.0.5")
}

// prefixedConn writes prefix in front of the first Write, in one write.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixedConn) Write(p []byte) (int, error) {
	if c.prefix == nil {
		return c.Conn.Write(p)
	}
	b := append(c.prefix, p...)
	c.prefix = nil
	if _, err := c.Conn.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// sendOn sends one short message over an SMTP client and quits.
func sendOn(t *testing.T, sc *smtp.Client, from, to string) {
	t.Helper()
	if err := sc.Mail(from); err != nil {
		t.Fatal(err)
	}
	if err := sc.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := sc.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "Subject: one write\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sc.Quit(); err != nil {
		t.Fatal(err)
	}
}

// TestListenerOwnCertificate: an <smtp-listener> block's tls-certificate
// is that listener's, for immediate TLS and for STARTTLS, with no global
// smtp-server-tls-certificate; a listener without one offers no STARTTLS.
func TestListenerOwnCertificate(t *testing.T) {
	smtps := "127.0.0.1:" + strconv.Itoa(freePort(t))
	starttls := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startVolleyd(t, "", `
<smtp-listener `+smtps+`>
    immediate-tls yes
    tls-certificate `+testcert.WritePEM(t, "smtps.test.example")+`
</smtp-listener>
<smtp-listener `+starttls+`>
    tls-certificate `+testcert.WritePEM(t, "submit.test.example")+`
</smtp-listener>
<source 0/0>
    allow-starttls yes
    always-allow-relaying yes
</source>
`)
	for _, a := range []string{smtps, starttls} {
		if err := d.waitListening(a); err != nil {
			t.Fatal(err)
		}
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: peerTimeout}, "tcp", smtps, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reading the name
	if err != nil {
		t.Fatal(err)
	}
	if names := c.ConnectionState().PeerCertificates[0].DNSNames; len(names) == 0 || names[0] != "smtps.test.example" {
		t.Errorf("immediate TLS presented %v, want smtps.test.example", names)
	}
	c.Close()
	if r := swaks(t, smtps, "Subject: own cert\r\n\r\nx\r\n", "--tlsc", "--to", "a@example.org"); r.code != 0 {
		t.Errorf("swaks --tlsc: exit %d\n%s", r.code, r.out)
	}
	if r := swaks(t, starttls, "Subject: own cert\r\n\r\nx\r\n", "--tls", "--to", "b@example.org"); r.code != 0 {
		t.Errorf("swaks --tls on the listener with its own certificate: exit %d\n%s", r.code, r.out)
	}
	if r := swaks(t, d.addr, "Subject: none\r\n\r\nx\r\n", "--to", "c@example.org"); r.code != 0 || strings.Contains(r.out, "STARTTLS") {
		t.Errorf("the listener without a certificate: exit %d, STARTTLS offered?\n%s", r.code, r.out)
	}
	if msgs := readSpool(t, d); len(msgs) != 3 {
		t.Fatalf("%d messages stored, want 3", len(msgs))
	}
}
