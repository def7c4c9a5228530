package inbound

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testcert"
	"github.com/volleymta/volley/spool"
)

// tlsConfigText serves STARTTLS to 127.0.0.1, which may relay only after
// AUTH, and AUTH only under TLS.
func tlsConfigText(t *testing.T, extra string) string {
	return fmt.Sprintf(`host-name mx.volley.test
smtp-listener 127.0.0.1:0
smtp-server-tls-certificate %s
<smtp-user alice>
    password wonderland
</smtp-user>
<source 127.0.0.1/32>
    allow-starttls yes
    smtp-command-timeout 2s
%s</source>
`, testcert.WritePEM(t, "mx.volley.test"), extra)
}

func clientTLS() *tls.Config {
	return &tls.Config{ServerName: "mx.volley.test", InsecureSkipVerify: true} //nolint:gosec // self-signed test certificate
}

// TestStartTLSWithAuth: Go's net/smtp upgrades with STARTTLS, then AUTH
// PLAIN (refused in the clear by default) works and the message is stored
// with a Received header saying ESMTPSA and the TLS version.
func TestStartTLSWithAuth(t *testing.T) {
	sp := memSpool(t)
	svc, addr := serve(t, tlsConfigText(t, ""), sp)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH announced in the clear without allow-unencrypted-plain-auth")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not announced")
	}
	if err := c.StartTLS(clientTLS()); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Fatal("STARTTLS announced again under TLS")
	}
	if err := c.Auth(smtp.PlainAuth("", "alice", "wonderland", "127.0.0.1")); err != nil {
		t.Fatalf("AUTH under TLS: %v", err)
	}
	big := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789\r\n", 40000) // 3 MB
	if err := sendOne(c, "a@x.test", "b@elsewhere.test", "Subject: tls\r\n\r\n"+big); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("QUIT: %v", err)
	}
	var body []byte
	if err := sp.Scan(func(m *spool.Message) error {
		body, err = sp.Body(m.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	head := string(body[:min(len(body), 400)])
	if !strings.Contains(head, "with ESMTPSA") || !strings.Contains(head, "(using TLSv1.3 with cipher ") {
		t.Fatalf("Received header: %q", head)
	}
	if !strings.HasSuffix(string(body), big) {
		t.Fatalf("body of %d bytes does not end with the 3 MB sent", len(body))
	}
	if svc.Counters.TLS.Load() != 1 {
		t.Fatalf("TLS counter %d", svc.Counters.TLS.Load())
	}
}

func sendOne(c *smtp.Client, from, to, msg string) error {
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("RCPT: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of DATA: %w", err)
	}
	return nil
}

// TestStartTLSDropsInjectedCommands: commands pipelined behind STARTTLS in
// the clear are discarded (RFC 3207 §5), and the session starts over under
// TLS: no HELO, no envelope.
func TestStartTLSDropsInjectedCommands(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, tlsConfigText(t, "    always-allow-relaying yes\n"), sp)
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\n")
	cl.expect("250 ")
	cl.send("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n")
	cl.expect("220 ")
	tc := tls.Client(cl.c, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tl := &client{t: t, c: tc, br: bufio.NewReader(tc)}
	tl.send("RCPT TO:<b@example.com>\r\n")
	tl.expect("503 ") // the injected MAIL never counted, and EHLO is needed again
	tl.send("EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	for _, want := range []string{"250 ", "250 ", "250 ", "354 "} {
		tl.expect(want)
	}
	tl.send("Subject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n")
	tl.expect("250 2.0.0 OK queued as ")
	tl.expect("221 ")
	if n := countSpooled(t, sp); n != 1 {
		t.Fatalf("spooled %d, want 1", n)
	}
}

// TestRequireStartTLS refuses MAIL in the clear with 530 5.7.0 and accepts
// it after STARTTLS.
func TestRequireStartTLS(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, tlsConfigText(t, "    always-allow-relaying yes\n    require-starttls yes\n"), sp)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail("a@x.test"); err == nil || !strings.Contains(err.Error(), "530") || !strings.Contains(err.Error(), "5.7.0") {
		t.Fatalf("MAIL in the clear: %v, want 530 5.7.0", err)
	}
	if err := c.StartTLS(clientTLS()); err != nil {
		t.Fatal(err)
	}
	if err := sendOne(c, "a@x.test", "b@example.com", "Subject: t\r\n\r\nhi\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.Quit()
}

// TestStartTLSRefusesOldVersions: a TLS 1.1 client cannot complete the
// handshake; the server stays up for the next client.
func TestStartTLSRefusesOldVersions(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, tlsConfigText(t, ""), sp)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientTLS()
	cfg.MaxVersion = tls.VersionTLS11
	if err := c.StartTLS(cfg); err == nil {
		t.Fatal("TLS 1.1 handshake succeeded")
	}
	c.Close()
	c2, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.StartTLS(clientTLS()); err != nil {
		t.Fatalf("next client: %v", err)
	}
}

// TestStartTLSIdleTimeout: a client silent under TLS gets 421 4.4.2 at the
// command timeout, encrypted, then the connection closes.
func TestStartTLSIdleTimeout(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, tlsConfigText(t, ""), sp)
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\nSTARTTLS\r\n")
	cl.expect("250 ")
	cl.expect("220 ")
	tc := tls.Client(cl.c, clientTLS())
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tl := &client{t: t, c: tc, br: bufio.NewReader(tc)}
	tl.expect("421 4.4.2 ")
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Fatalf("421 after %v, want about the 2 s command timeout", d)
	}
	if _, err := tl.br.ReadString('\n'); err == nil {
		t.Fatal("connection still open after 421")
	}
}

// TestLoadTLSErrors: a certificate file that cannot serve says why.
func TestLoadTLSErrors(t *testing.T) {
	dir := t.TempDir()
	onlyCert := filepath.Join(dir, "cert.pem")
	full, err := os.ReadFile(testcert.WritePEM(t, "mx.volley.test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(onlyCert, full[:strings.Index(string(full), "-----BEGIN PRIVATE KEY")], 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{onlyCert, "want a PEM certificate and private key"},
	} {
		if _, err := LoadTLS("smtp-server-tls-certificate", c.file, ""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadTLS(%s) = %v, want %q", filepath.Base(c.file), err, c.want)
		}
	}
}
