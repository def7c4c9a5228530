package smtpwire

// Interop with real SMTP peers: Postfix's smtp-source and swaks drive the server machine,
// and the client machine delivers to Postfix's smtp-sink. The network side is a test
// harness over Go's net package (goroutine per connection), not the product's I/O engine;
// what is under test is that the codec speaks SMTP as real implementations expect it to.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// needPeer finds a peer binary, or skips (fails under VOLLEY_REQUIRE_PEERS, as in CI).
func needPeer(t *testing.T, name string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin/", "/usr/lib/postfix/sbin/"} {
		if p, err := exec.LookPath(dir + name); err == nil {
			return p
		}
	}
	if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
		t.Fatalf("%s not installed (apt-get install postfix swaks)", name)
	}
	t.Skipf("%s not installed (apt-get install postfix swaks); skipping the interop test", name)
	return ""
}

// harnessServer serves the Server machine on 127.0.0.1 and records what it accepted.
type harnessServer struct {
	ln       net.Listener
	cfg      *ServerConfig
	tls      *tls.Config // for STARTTLS, when cfg offers it
	messages atomic.Int64
	batches  atomic.Int64 // reads that carried MAIL and RCPT together: the client pipelined
	bytes    atomic.Int64
	mu       sync.Mutex
	bodies   [][]byte // kept when keep is set
	keep     bool
	envelope []string // "from to" of kept messages
	wg       sync.WaitGroup
}

// startHarness serves cfg; tlsConfig is needed when cfg offers STARTTLS.
func startHarness(t *testing.T, cfg *ServerConfig, keep bool, tlsConfig ...*tls.Config) *harnessServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &harnessServer{ln: ln, cfg: cfg, keep: keep}
	if len(tlsConfig) > 0 {
		h.tls = tlsConfig[0]
	}
	h.wg.Add(1)
	go h.accept()
	t.Cleanup(func() {
		ln.Close()
		h.wg.Wait()
	})
	return h
}

func (h *harnessServer) addr() string { return h.ln.Addr().String() }

func (h *harnessServer) accept() {
	defer h.wg.Done()
	for {
		conn, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer conn.Close()
			h.serve(conn)
		}()
	}
}

// serve is one connection: read, Feed, decide, flush when the machine wants input.
func (h *harnessServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	var s Server
	s.Reset(h.cfg)
	s.Greet()
	buf := make([]byte, 0, 64<<10)
	var from, to []byte
	for {
		// Event data points into buf: compact it only once the machine wants input.
		var sawMail, sawRcpt bool
		for off := 0; ; {
			n, ev := s.Feed(buf[off:])
			off += n
			if ev == SEvNone {
				buf = append(buf[:0], buf[off:]...)
			}
			switch ev {
			case SEvNone:
			case SEvQuit:
				conn.Write(s.Out)
				return
			case SEvMail:
				sawMail = true
				from = append(from[:0], s.Cmd.Path.Mailbox...)
				s.Accept()
				continue
			case SEvRcpt:
				if sawMail && !sawRcpt {
					h.batches.Add(1)
				}
				sawRcpt = true
				to = append(append(to, s.Cmd.Path.Mailbox...), ' ')
				s.Accept()
				continue
			case SEvAuth:
				if string(s.AuthUser) == "user" && string(s.AuthPass) == "pass" {
					s.Accept()
				} else {
					s.Reply(Reply{C535AuthInvalid, E578AuthInvalid, "Authentication credentials invalid"})
				}
				continue
			case SEvStartTLS:
				// RFC 3207 §5: anything the client pipelined after STARTTLS is dropped.
				s.Accept()
				if _, err := conn.Write(s.Out); err != nil {
					return
				}
				s.Out, buf = s.Out[:0], buf[:0]
				tc := tls.Server(conn, h.tls)
				if err := tc.Handshake(); err != nil {
					return
				}
				conn = tc
				s.TLSStarted()
				off = 0
				continue
			case SEvMessage:
				h.messages.Add(1)
				h.bytes.Add(int64(len(s.Body)))
				if h.keep {
					h.mu.Lock()
					h.bodies = append(h.bodies, bytes.Clone(s.Body))
					h.envelope = append(h.envelope, string(from)+" "+strings.TrimSpace(string(to)))
					h.mu.Unlock()
				}
				to = to[:0]
				s.Accept()
				continue
			default:
				s.Accept()
				continue
			}
			break
		}
		if len(s.Out) > 0 {
			if _, err := conn.Write(s.Out); err != nil {
				return
			}
			s.Out = s.Out[:0]
		}
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return
		}
	}
}

func interopServerConfig() *ServerConfig {
	return &ServerConfig{
		Hostname: "volley.test",
		Caps: Capabilities{
			Ext: ExtPipelining | ExtSize | Ext8BitMIME | ExtSMTPUTF8 | ExtEnhancedStatusCodes |
				ExtChunking | ExtDSN,
			MaxSize: 50 << 20,
		},
		MaxRecipients: 1000,
	}
}

// TestInteropSMTPSource sends 10,000 messages over 20 parallel reused sessions from
// Postfix's smtp-source (which does not pipeline) and checks every one arrived whole.
func TestInteropSMTPSource(t *testing.T) {
	bin := needPeer(t, "smtp-source")
	h := startHarness(t, interopServerConfig(), false)
	const messages = 10000
	cmd := exec.Command(bin, "-d", "-s", "20", "-m", strconv.Itoa(messages), "-l", "4096",
		"-f", "sender@source.test", "-t", "rcpt@volley.test", "-M", "source.test", h.addr())
	out, err := runBounded(cmd, 5*time.Minute)
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	if got := h.messages.Load(); got != messages {
		t.Fatalf("server accepted %d messages, want %d", got, messages)
	}
	if avg := h.bytes.Load() / messages; avg < 4096 {
		t.Fatalf("average message %d octets, want at least the 4096-octet payload", avg)
	}
}

// TestInteropSwaks drives the server with swaks: plain, pipelined, 8-bit content with dot
// lines, several recipients, AUTH PLAIN and LOGIN. (Debian's swaks sends no MAIL or RCPT
// parameters and has no BDAT; TestInteropSMTPLib covers BODY=8BITMIME, SMTPUTF8 and DSN.)
func TestInteropSwaks(t *testing.T) {
	bin := needPeer(t, "swaks")
	cfg := interopServerConfig()
	cfg.Caps.Ext |= ExtAuth
	cfg.Caps.Auth = AuthPlain | AuthLogin
	h := startHarness(t, cfg, true)
	body := "Subject: swaks test\r\n\r\nGrüße aus Köln\r\n.leading dot\r\n..two dots\r\nlast line\r\n"
	cases := []struct {
		name string
		args []string
		to   string
	}{
		{"plain", nil, "rcpt@volley.test"},
		{"pipelined", []string{"--pipeline"}, "rcpt@volley.test"},
		{"two recipients", []string{"--pipeline"}, "a@volley.test,b@volley.test"},
		{"auth plain", []string{"--auth", "PLAIN", "--auth-user", "user", "--auth-password", "pass"}, "rcpt@volley.test"},
		{"auth login", []string{"--pipeline", "--auth", "LOGIN", "--auth-user", "user", "--auth-password", "pass"}, "rcpt@volley.test"},
	}
	for i, tc := range cases {
		args := append([]string{"--server", h.addr(), "--helo", "swaks.test", "--from", "sender@swaks.test",
			"--to", tc.to, "--data", "-", "--timeout", "20"}, tc.args...)
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(body)
		out, err := runBounded(cmd, time.Minute)
		if err != nil {
			t.Fatalf("%s: swaks: %v\n%s", tc.name, err, out)
		}
		h.mu.Lock()
		if len(h.bodies) != i+1 {
			h.mu.Unlock()
			t.Fatalf("%s: %d messages kept, want %d\n%s", tc.name, len(h.bodies), i+1, out)
		}
		got, env := h.bodies[i], h.envelope[i]
		h.mu.Unlock()
		// swaks ends the data with its own CRLF before the final dot.
		if string(bytes.TrimRight(got, "\r\n")) != strings.TrimRight(body, "\r\n") {
			t.Fatalf("%s: body arrived as %q, want %q", tc.name, got, body)
		}
		if want := "sender@swaks.test " + strings.ReplaceAll(tc.to, ",", " "); env != want {
			t.Fatalf("%s: envelope %q, want %q", tc.name, env, want)
		}
		if bytes.Contains(out, []byte("<** ")) {
			t.Fatalf("%s: swaks saw an error reply:\n%s", tc.name, out)
		}
	}
}

// TestInteropClientToSMTPSink delivers with the client machine to Postfix's smtp-sink,
// pipelined, many messages and recipients over one reused connection.
func TestInteropClientToSMTPSink(t *testing.T) {
	bin := needPeer(t, "smtp-sink")
	port := freePort(t)
	args := []string{"-c", "127.0.0.1:" + strconv.Itoa(port), "100"}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postfix"}, args...)
	}
	var counters lockedBuffer
	sink := exec.Command(bin, args...)
	sink.Stdout, sink.Stderr = &counters, &counters
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Process.Kill(); sink.Wait() })
	conn := dialRetry(t, "127.0.0.1:"+strconv.Itoa(port))
	defer conn.Close()

	const messages = 500
	body := []byte("Subject: from the client machine\r\n\r\n.dot line\r\nbody\r\n")
	tx := &Transaction{From: []byte("sender@volley.test"), To: [][]byte{[]byte("a@sink.test"), []byte("b@sink.test")}, Body: body}
	c, delivered, rcptOK := deliver(t, conn, &ClientConfig{Hostname: "volley.test"}, tx, messages)
	if c.Caps.Ext&ExtPipelining == 0 {
		t.Fatal("smtp-sink did not announce PIPELINING; the test meant to pipeline")
	}
	if delivered != messages || rcptOK != 2*messages {
		t.Fatalf("delivered %d messages and %d recipients, want %d and %d", delivered, rcptOK, messages, 2*messages)
	}
	// smtp-sink -c prints its running counter; wait for it to show every message.
	deadline := time.Now().Add(5 * time.Second)
	re := regexp.MustCompile(`mesg=(\d+)`)
	for {
		m := re.FindAllSubmatch(counters.bytes(), -1)
		if len(m) > 0 && string(m[len(m)-1][1]) == strconv.Itoa(messages) {
			break
		}
		if time.Now().After(deadline) {
			t.Logf("smtp-sink counters not seen (%q); the replies above already confirm delivery", lastLine(counters.bytes()))
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// deliver sends tx messages times over conn with the client machine, then QUIT. It returns
// the session, the messages delivered (2xx after the body) and the recipients accepted.
func deliver(t *testing.T, conn net.Conn, cfg *ClientConfig, tx *Transaction, messages int) (c *Client, delivered, rcptOK int) {
	t.Helper()
	c = &Client{}
	c.Reset(cfg)
	sent := 0
	buf := make([]byte, 0, 16<<10)
	for closed := false; !closed; {
		if len(c.Out) > 0 {
			if _, err := conn.Write(c.Out); err != nil {
				t.Fatal(err)
			}
			c.Out = c.Out[:0]
		}
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			t.Fatalf("read after %d messages: %v", delivered, err)
		}
		// Reply points into buf: compact it only once the machine wants input.
		for off := 0; ; {
			used, ev := c.Feed(buf[off:])
			off += used
			switch ev {
			case CEvNone:
				buf = append(buf[:0], buf[off:]...)
			case CEvReady, CEvDone:
				if ev == CEvDone {
					if c.Stage != StageBody || c.Reply.Code.Class() != 2 {
						t.Fatalf("message %d: %v %s", sent, c.Stage, c.Reply.Raw)
					}
					delivered++
				}
				if sent < messages {
					if err := c.Send(tx); err != nil {
						t.Fatal(err)
					}
					sent++
				} else {
					c.Quit()
				}
				continue
			case CEvRcpt:
				if c.Reply.Code.Class() == 2 {
					rcptOK++
				}
				continue
			case CEvClosed:
				closed = true
			default:
				t.Fatalf("event %v: %v %s", ev, c.Err, c.Reply.Raw)
			}
			break
		}
	}
	return c, delivered, rcptOK
}

func lastLine(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if i := bytes.LastIndexAny(b, "\r\n"); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func dialRetry(t *testing.T, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			return conn
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runBounded runs cmd with a time limit and returns its combined output.
func runBounded(cmd *exec.Cmd, limit time.Duration) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = os.TempDir()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		return out.Bytes(), errors.New("timed out after " + limit.String())
	}
}

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "volley.test"},
		DNSNames:     []string{"volley.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// smtplibScript is run by Debian's Python: ESMTP parameters swaks cannot send, STARTTLS
// and AUTH LOGIN after it, and an SMTPUTF8 transaction.
const smtplibScript = `
import smtplib, ssl, sys
host, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(host, port, local_hostname="py.test", timeout=20)
s.ehlo()
assert s.has_extn("starttls") and not s.has_extn("auth"), s.esmtp_features
s.starttls(context=ctx)
s.ehlo()
assert s.has_extn("auth") and not s.has_extn("starttls"), s.esmtp_features
s.login("user", "pass")
body = "Subject: smtplib\r\n\r\n8-bit: \u00e9t\u00e9\r\n.dot\r\n".encode("utf-8")
s.sendmail("sender@py.test", ["a@volley.test", "b@volley.test"], body,
    mail_options=["BODY=8BITMIME", "RET=HDRS", "ENVID=env+2B1"],
    rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a+2Bx@volley.test"])
s.sendmail("j\u00f6ran@py.test", ["\u7528\u6237@volley.test"], body, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
try:
    s.sendmail("sender@py.test", ["x@volley.test"], b"x" * 2000)
    sys.exit("oversize message accepted")
except smtplib.SMTPSenderRefused as e:
    assert e.smtp_code == 552, e
s.quit()
print("ok")
`

// TestInteropSMTPLib drives the server with Python's smtplib over STARTTLS.
func TestInteropSMTPLib(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = needPeer(t, "python3")
	}
	cfg := interopServerConfig()
	cfg.Caps.Ext |= ExtStartTLS | ExtAuth
	cfg.Caps.Auth = AuthPlain | AuthLogin
	cfg.Caps.MaxSize = 1000
	cfg.AuthRequiresTLS = true
	h := startHarness(t, cfg, true, selfSigned(t))
	hostPort := strings.Split(h.addr(), ":")
	out, err := runBounded(exec.Command(py, "-c", smtplibScript, hostPort[0], hostPort[1]), time.Minute)
	if err != nil || !bytes.Contains(out, []byte("ok")) {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	want := []string{"sender@py.test a@volley.test b@volley.test", "jöran@py.test 用户@volley.test"}
	if strings.Join(h.envelope, "|") != strings.Join(want, "|") {
		t.Fatalf("envelopes %q, want %q", h.envelope, want)
	}
	if !bytes.Contains(h.bodies[0], []byte("8-bit: été\r\n.dot\r\n")) {
		t.Fatalf("body %q", h.bodies[0])
	}
}
