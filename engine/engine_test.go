package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/spool"
)

// testConfig is the default's policy (relaying from 127.0.0.1 only) on a
// free port with the spool in dir.
func testConfig(t *testing.T, dir string) (*config.Config, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	text := fmt.Sprintf(`host-name mx.volley.test
smtp-listener %s
<spool %s>
</spool>
<source 0/0>
    always-allow-relaying no
</source>
<source 127.0.0.1/32>
    always-allow-relaying yes
</source>
shards 2
`, addr, filepath.Join(dir, "spool"))
	cfg, probs := config.LoadText("test.conf", []byte(text))
	if len(probs) > 0 {
		t.Fatalf("config: %v", probs)
	}
	return cfg, addr
}

// start runs the engine until the test ends and returns the spool directory.
func start(t *testing.T) (addr, spoolDir string, stop func()) {
	dir := t.TempDir()
	cfg, addr := testConfig(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Ready: func([]netip.AddrPort) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("engine not ready")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return addr, filepath.Join(dir, "spool"), stop
}

// spooled reopens the spool after the engine stopped and returns its messages.
func spooled(t *testing.T, dir string) ([]*spool.Message, *spool.Spool) {
	t.Helper()
	sp, err := spool.Open(dir, spool.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	var msgs []*spool.Message
	if err := sp.Scan(func(m *spool.Message) error { msgs = append(msgs, m); return nil }); err != nil {
		t.Fatal(err)
	}
	return msgs, sp
}

// TestInjectAndRelayPolicy sends through Go's net/smtp client from
// 127.0.0.1 (may relay) and from 127.0.0.9 (may not: 550 5.7.1), then
// checks the spool holds exactly the accepted message, with a Received header.
func TestInjectAndRelayPolicy(t *testing.T) {
	addr, dir, stop := start(t)
	body := "Subject: test\r\n\r\nhello from the test\r\n"
	if err := smtp.SendMail(addr, nil, "sender@example.test", []string{"a@example.com", "b@example.net"}, []byte(body)); err != nil {
		t.Fatalf("SendMail from 127.0.0.1: %v", err)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("spammer@example.test"); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt("victim@example.org")
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "5.7.1") {
		t.Fatalf("RCPT from 127.0.0.9 to a foreign domain: %v, want 550 5.7.1", err)
	}
	if err := c.Reset(); err != nil {
		t.Fatalf("session unusable after the refusal: %v", err)
	}
	_ = c.Quit()
	stop()

	msgs, sp := spooled(t, dir)
	if len(msgs) != 1 {
		t.Fatalf("spool holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "sender@example.test" || len(m.Recipients) != 2 || m.Recipients[1].Addr != "b@example.net" ||
		m.Origin != "smtp 127.0.0.1" {
		t.Fatalf("spooled envelope: %+v", m)
	}
	got, err := sp.Body(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "Received: from ") || !strings.Contains(string(got), "by mx.volley.test (Volley) with ESMTP") ||
		!strings.HasSuffix(string(got), body) {
		t.Fatalf("spooled body:\n%s", got)
	}
}

// TestSMTPSource drives the service with Postfix's smtp-source: 20
// sessions reused, 2,000 4 KB messages; every one acknowledged and spooled.
func TestSMTPSource(t *testing.T) {
	bin, err := exec.LookPath("smtp-source")
	if err != nil {
		if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
			t.Fatal("smtp-source not found (Debian package postfix)")
		}
		t.Skip("smtp-source not found (Debian package postfix)")
	}
	addr, dir, stop := start(t)
	const n = 2000
	cmd := exec.Command(bin, "-d", "-s", "20", "-m", fmt.Sprint(n), "-l", "4096", "-f", "a@example.test", "-t", "b@example.com", addr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	stop()
	msgs, _ := spooled(t, dir)
	if len(msgs) != n {
		t.Fatalf("spool holds %d messages, want %d", len(msgs), n)
	}
}
