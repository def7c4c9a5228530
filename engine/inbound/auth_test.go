package inbound

import (
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/inbound/userauth"
)

// TestAuthLetsRelay: a client at 127.0.0.9 may not relay until it
// authenticates, with a plaintext password (checked on the loop) or a bcrypt
// hash (checked on a goroutine); a wrong password gets 535 5.7.8.
func TestAuthLetsRelay(t *testing.T) {
	hash, err := userauth.HashPassword("bcrypt", "s3cret-b")
	if err != nil {
		t.Fatal(err)
	}
	sp := memSpool(t)
	cfg := `host-name mx.volley.test
smtp-listener 127.0.0.1:0
<source 0/0>
    always-allow-relaying no
    allow-unencrypted-plain-auth yes
</source>
<smtp-user alice>
    password s3cret-a
</smtp-user>
<smtp-user bob>
    password ` + hash + `
</smtp-user>
`
	svc, addr := serve(t, cfg, sp)
	send := func(user, pass string) error {
		c := smtpFrom(t, net.IPv4(127, 0, 0, 9), addr)
		defer c.Close()
		if user != "" {
			if err := c.Auth(smtp.PlainAuth("", user, pass, "127.0.0.1")); err != nil {
				return err
			}
		}
		if err := c.Mail("a@x.test"); err != nil {
			return err
		}
		if err := c.Rcpt("someone@example.org"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		_, _ = w.Write([]byte("Subject: t\r\n\r\nhi\r\n"))
		if err := w.Close(); err != nil {
			return err
		}
		return c.Quit()
	}
	if err := send("", ""); err == nil || !strings.Contains(err.Error(), "5.7.1") {
		t.Fatalf("unauthenticated relay: %v, want 550 5.7.1", err)
	}
	if err := send("alice", "wrong"); err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("wrong password: %v, want 535", err)
	}
	if err := send("alice", "s3cret-a"); err != nil {
		t.Fatalf("plaintext user: %v", err)
	}
	if err := send("bob", "s3cret-b"); err != nil {
		t.Fatalf("bcrypt user: %v", err)
	}
	if got := svc.Counters.Messages.Load(); got != 2 {
		t.Fatalf("%d messages stored, want 2", got)
	}
}

// TestAuthFailureRate: smtp-max-auth-failure-rate 2/h: after two wrong
// passwords from 127.0.0.9, AUTH from that address gets 454 4.7.0 without
// the password being checked, even the right one, on a new connection too;
// another address still authenticates.
func TestAuthFailureRate(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, `smtp-listener 127.0.0.1:0
<source 0/0>
    allow-unencrypted-plain-auth yes
    smtp-max-auth-failure-rate 2/h
</source>
<smtp-user alice>
    password s3cret-a
</smtp-user>
`, sp)
	auth := func(from net.IP, pass string) error {
		c := smtpFrom(t, from, addr)
		defer c.Close()
		return c.Auth(smtp.PlainAuth("", "alice", pass, "127.0.0.1"))
	}
	guesser, other := net.IPv4(127, 0, 0, 9), net.IPv4(127, 0, 0, 10)
	for i := range 2 {
		if err := auth(guesser, "guess"); err == nil || !strings.Contains(err.Error(), "535") {
			t.Fatalf("wrong password %d: %v, want 535", i, err)
		}
	}
	if err := auth(guesser, "s3cret-a"); err == nil || !strings.HasPrefix(err.Error(), "454 ") || !strings.Contains(err.Error(), "4.7.0 Too many") {
		t.Fatalf("third attempt: %v, want 454 4.7.0", err)
	}
	if err := auth(other, "s3cret-a"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

// TestRelayDebug: relay-debug yes answers a relaying refusal with 450
// 4.7.1, temporary, where it would be 550 5.7.1.
func TestRelayDebug(t *testing.T) {
	for _, debug := range []bool{false, true} {
		cfg := "smtp-listener 127.0.0.1:0\n<source 0/0>\n always-allow-relaying no\n</source>\n"
		want := "550 5.7.1"
		if debug {
			cfg, want = "relay-debug yes\n"+cfg, "450 4.7.1"
		}
		_, addr := serve(t, cfg, memSpool(t))
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("a@x.test"); err != nil {
			t.Fatal(err)
		}
		err = c.Rcpt("someone@example.org")
		if err == nil || !strings.HasPrefix(err.Error(), want[:3]+" ") || !strings.Contains(err.Error(), want[4:]) {
			t.Errorf("relay-debug %v: %v, want %s", debug, err, want)
		}
		c.Close()
	}
}

// smtpFrom opens a net/smtp client to addr from the loopback address from.
func smtpFrom(t *testing.T, from net.IP, addr string) *smtp.Client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
