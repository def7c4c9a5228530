package engine

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/internal/testpeer"
	"github.com/volleymta/volley/spool"
)

// testConfig is the default's policy (relaying from 127.0.0.1 only) on a
// free port with the spool in dir.
func testConfig(t *testing.T, dir, extra string) (*config.Config, string) {
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
`, addr, filepath.Join(dir, "spool")) + strings.ReplaceAll(extra, "DIR", dir)
	if !strings.Contains(extra, "name-server") {
		if !strings.Contains(extra, "smtp-hosts") {
			// No delivery (a closed port: every attempt is refused and
			// deferred).
			text += "<domain *>\n    smtp-hosts [127.0.0.1]:1\n</domain>\n"
		}
		text += "name-server 127.0.0.1:1\n" // never a real DNS server
	}
	cfg, probs := config.LoadText("test.conf", []byte(text))
	if len(probs) > 0 {
		t.Fatalf("config: %v", probs)
	}
	return cfg, addr
}

// start runs the engine until the test ends and returns the spool directory.
func start(t *testing.T) (addr, spoolDir string, stop func()) {
	addr, spoolDir, _, stop = startRunning(t, "")
	return addr, spoolDir, stop
}

// startRunning is start with extra config lines, returning the running engine.
func startRunning(t *testing.T, extra string) (addr, spoolDir string, rn *Running, stop func()) {
	return startIn(t, t.TempDir(), extra)
}

// startIn runs the engine with its spool (and pickup) under dir.
func startIn(t *testing.T, dir, extra string) (addr, spoolDir string, rn *Running, stop func()) {
	cfg, addr := testConfig(t, dir, extra)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Running, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Ready: func(r *Running) { ready <- r }, Logf: t.Logf})
	}()
	select {
	case rn = <-ready:
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
	return addr, filepath.Join(dir, "spool"), rn, stop
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

// TestSMTPSource drives the service with Postfix's smtp-source: 50
// sessions reused, 50,000 pipelined 4 KB messages; every one acknowledged
// and spooled.
func TestSMTPSource(t *testing.T) {
	bin := testpeer.Need(t, "postfix", "smtp-source", "/usr/sbin/smtp-source")
	addr, dir, stop := start(t)
	const n = 50000
	cmd := exec.Command(bin, "-d", "-s", "50", "-m", fmt.Sprint(n), "-l", "4096", "-f", "a@example.test", "-t", "b@example.com", addr)
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

// TestHandOffToOwners injects over SMTP (separate connections, spread over
// two shards by SO_REUSEPORT) and through the pickup directory: every
// recipient ends up queued exactly once, on the shard that owns its
// domain/vmta queue, whichever shard accepted it.
func TestHandOffToOwners(t *testing.T) {
	addr, spoolDir, rn, _ := startRunning(t, "pickup DIR/pickup DIR/bad\n")
	const msgs, domains = 30, 10
	for i := 0; i < msgs; i++ {
		rcpts := []string{fmt.Sprintf("a%d@d%d.example", i, i%domains), fmt.Sprintf("b%d@D%d.example", i, (i+1)%domains),
			fmt.Sprintf("c%d@d%d.example", i, (i+2)%domains)}
		if err := smtp.SendMail(addr, nil, "s@example.test", rcpts, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
			t.Fatalf("SendMail %d: %v", i, err)
		}
	}
	pickupDir := filepath.Join(filepath.Dir(spoolDir), "pickup")
	file := "x-sender: s@example.test\r\nx-receiver: p1@d1.example\r\nx-receiver: p2@other.example\r\n\r\nSubject: p\r\n\r\npicked up\r\n"
	tmp := filepath.Join(t.TempDir(), "m1")
	if err := os.WriteFile(tmp, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(pickupDir, "m1.eml")); err != nil {
		t.Fatal(err)
	}
	want := msgs*3 + 2
	deadline := time.Now().Add(10 * time.Second)
	for {
		perShard, err := rn.ShardQueues(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total, sizes := 0, map[string]int{}
		for id, qs := range perShard {
			for _, q := range qs {
				if owner := queue.Owner(q.Key, len(perShard)); owner != id {
					t.Fatalf("queue %s on shard %d, its owner is %d", q.Key, id, owner)
				}
				total += q.Recipients
				sizes[q.Key.String()] += q.Recipients
			}
		}
		if total == want {
			if sizes["d1.example/"] != 3*msgs/domains+1 || sizes["other.example/"] != 1 || len(perShard[0]) == 0 || len(perShard[1]) == 0 {
				t.Fatalf("queue sizes %v", sizes)
			}
			return
		}
		if total > want || time.Now().After(deadline) {
			t.Fatalf("%d recipients queued, want %d: %v", total, want, sizes)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
