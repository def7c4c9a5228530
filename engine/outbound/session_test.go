package outbound

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/internal/testcert"
	"github.com/volleymta/volley/internal/testpeer"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// feeder hands out scripted transactions and records what happens.
type feeder struct {
	mu     sync.Mutex
	txs    [][]queue.Entry
	outs   []Outcome
	closed chan error
}

func (f *feeder) Next(*Session) ([]queue.Entry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.txs) == 0 {
		return nil, false
	}
	tx := f.txs[0]
	f.txs = f.txs[1:]
	return tx, false
}

func (f *feeder) Settled(_ *Session, out []Outcome) {
	f.mu.Lock()
	f.outs = append(f.outs, out...)
	f.mu.Unlock()
}

func (f *feeder) Closed(_ *Session, err error) { f.closed <- err }

func (f *feeder) outcomes() map[string]Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]Outcome{}
	for _, o := range f.outs {
		m[o.Entry.Addr] = o
	}
	return m
}

// message makes a transaction of one message to addrs.
func message(from string, body string, addrs ...string) []queue.Entry {
	m := &spool.Message{From: from}
	var id spool.ID
	id[0] = byte(len(addrs))
	var es []queue.Entry
	for i, a := range addrs {
		m.Recipients = append(m.Recipients, spool.Recipient{Index: uint16(i), Addr: a, Notify: spool.NotifyFailure, ORCPT: "rfc822;" + a})
		es = append(es, queue.Entry{ID: id, Index: uint16(i), Addr: a, Msg: m, Body: []byte(body)})
	}
	return es
}

func startLoop(t *testing.T) iouring.Reactor {
	t.Helper()
	r, err := iouring.New(iouring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() { runtime.LockOSThread(); _ = r.Run() }()
	t.Cleanup(func() { r.Stop(); <-r.Done() })
	return r
}

func dialOn(t *testing.T, r iouring.Reactor, remote string, opts *Options, f Feeder) {
	t.Helper()
	errc := make(chan error, 1)
	_ = r.Post(func() {
		_, err := Dial(r, Target{Remote: netip.MustParseAddrPort(remote), MX: "sink.test"}, opts, f)
		errc <- err
	})
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// scriptedServer is a small SMTP server whose RCPT replies depend on the
// recipient: "defer*" 451, "bad*" 550, others 250; it records the
// commands it saw.
func scriptedServer(t *testing.T) (addr string, seen func() []string) {
	t.Helper()
	return scriptedTLSServer(t, nil)
}

// scriptedTLSServer is scriptedServer offering STARTTLS with cert when it is
// not nil; "TLS" is recorded among the commands once the handshake is done.
func scriptedTLSServer(t *testing.T, cert *tls.Config) (addr string, seen func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var cmds []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer func() { c.Close() }()
				br := bufio.NewReader(c)
				fmt.Fprint(c, "220 scripted ESMTP\r\n")
				inTLS := false
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					line = strings.TrimRight(line, "\r\n")
					mu.Lock()
					cmds = append(cmds, line)
					mu.Unlock()
					up := strings.ToUpper(line)
					switch {
					case strings.HasPrefix(up, "EHLO") && cert != nil && !inTLS:
						fmt.Fprint(c, "250-scripted\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
					case up == "STARTTLS" && cert != nil && !inTLS:
						fmt.Fprint(c, "220 go ahead\r\n")
						tc := tls.Server(c, cert)
						if err := tc.Handshake(); err != nil {
							return
						}
						c, br, inTLS = tc, bufio.NewReader(tc), true
						mu.Lock()
						cmds = append(cmds, "TLS")
						mu.Unlock()
					case strings.HasPrefix(up, "EHLO"):
						fmt.Fprint(c, "250-scripted\r\n250-PIPELINING\r\n250-DSN\r\n250 8BITMIME\r\n")
					case strings.HasPrefix(up, "RCPT TO:<DEFER"):
						fmt.Fprint(c, "451 4.2.0 try later\r\n")
					case strings.HasPrefix(up, "RCPT TO:<BAD"):
						fmt.Fprint(c, "550 5.1.1 no such user\r\n")
					case up == "DATA":
						fmt.Fprint(c, "354 go\r\n")
						for {
							l, err := br.ReadString('\n')
							if err != nil || l == ".\r\n" {
								break
							}
						}
						fmt.Fprint(c, "250 2.0.0 queued\r\n")
					case up == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), cmds...) }
}

// TestSessionOutcomes: one pipelined transaction to three recipients, of
// which the server accepts one, defers one and refuses one; a second
// message on the same connection; DSN parameters passed on; then QUIT.
func TestSessionOutcomes(t *testing.T) {
	addr, seen := scriptedServer(t)
	r := startLoop(t)
	f := &feeder{closed: make(chan error, 1), txs: [][]queue.Entry{
		message("s@example.test", "Subject: one\r\n\r\nbody\r\n", "ok@example.com", "defer@example.com", "bad@example.com"),
		message("", "Subject: two\r\n\r\nbody\r\n", "ok2@example.com"),
	}}
	dialOn(t, r, addr, &Options{Client: clientConfig(), ReplyTimeout: 5 * time.Second}, f)
	select {
	case err := <-f.closed:
		if err != nil {
			t.Fatalf("Closed with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("session did not end")
	}
	got := f.outcomes()
	want := map[string]Kind{"ok@example.com": Delivered, "defer@example.com": Deferred, "bad@example.com": Bounced, "ok2@example.com": Delivered}
	for a, k := range want {
		if got[a].Kind != k {
			t.Errorf("%s: %v (%q), want %v", a, got[a].Kind, got[a].Reply, k)
		}
	}
	if got["bad@example.com"].Reply != "550 5.1.1 no such user" || got["ok@example.com"].Reply != "250 2.0.0 queued" {
		t.Errorf("replies recorded: %q, %q", got["bad@example.com"].Reply, got["ok@example.com"].Reply)
	}
	cmds := strings.Join(seen(), "\n")
	for _, want := range []string{"EHLO volley.test", "MAIL FROM:<s@example.test>", "RCPT TO:<ok@example.com> NOTIFY=FAILURE ORCPT=rfc822;ok@example.com", "MAIL FROM:<>", "QUIT"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("server did not see %q in:\n%s", want, cmds)
		}
	}
}

func clientConfig() smtpwire.ClientConfig { return smtpwire.ClientConfig{Hostname: "volley.test"} }

// TestSessionConnectRefused: a refused connection reports its error and no outcome.
func TestSessionConnectRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	r := startLoop(t)
	f := &feeder{closed: make(chan error, 1)}
	dialOn(t, r, addr, &Options{Client: clientConfig(), ConnectTimeout: 2 * time.Second}, f)
	if err := <-f.closed; err == nil {
		t.Fatal("refused connection closed without an error")
	}
	if len(f.outcomes()) != 0 {
		t.Fatal("outcomes from a connection that never opened")
	}
}

// TestSessionSlowServerDefers: a server that greets and then says nothing
// more is timed out and the recipients in flight are deferred.
func TestSessionSlowServerDefers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprint(c, "220 slow\r\n")
		br := bufio.NewReader(c)
		br.ReadString('\n')
		fmt.Fprint(c, "250 slow\r\n")
		time.Sleep(5 * time.Second)
	}()
	r := startLoop(t)
	f := &feeder{closed: make(chan error, 1), txs: [][]queue.Entry{message("s@x.test", "x\r\n", "a@example.com")}}
	dialOn(t, r, ln.Addr().String(), &Options{Client: clientConfig(), ReplyTimeout: 500 * time.Millisecond}, f)
	<-f.closed
	if o := f.outcomes()["a@example.com"]; o.Kind != Deferred || !strings.HasPrefix(o.Reply, "451 4.4.2") {
		t.Fatalf("outcome %+v, want deferred 451 4.4.2", o)
	}
}

// TestSessionSMTPSink delivers 200 messages of 4 KB over one connection
// to Postfix's smtp-sink, a real peer: every one delivered.
func TestSessionSMTPSink(t *testing.T) {
	addr := testpeer.Sink(t)
	body := "Subject: sink\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 62)
	f := &feeder{closed: make(chan error, 1)}
	for i := 0; i < 200; i++ {
		f.txs = append(f.txs, message("s@example.test", body, fmt.Sprintf("r%d@example.com", i)))
	}
	r := startLoop(t)
	dialOn(t, r, addr, &Options{Client: clientConfig(), ReplyTimeout: 10 * time.Second}, f)
	if err := <-f.closed; err != nil {
		t.Fatal(err)
	}
	got := f.outcomes()
	delivered := 0
	for _, o := range got {
		if o.Kind == Delivered {
			delivered++
		}
	}
	if delivered != 200 {
		t.Fatalf("%d of 200 delivered", delivered)
	}
}

// TestSessionStartTLS: with opportunistic TLS the session upgrades when the
// server offers STARTTLS, greets again and delivers encrypted; the outcome
// says which TLS.
func TestSessionStartTLS(t *testing.T) {
	path := testcert.WritePEM(t, "mx.test") // the certificate and its key in one file
	cert, err := tls.LoadX509KeyPair(path, path)
	if err != nil {
		t.Fatal(err)
	}
	addr, seen := scriptedTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	r := startLoop(t)
	f := &feeder{closed: make(chan error, 1), txs: [][]queue.Entry{message("s@example.test", "Subject: tls\r\n\r\nsecret\r\n", "ok@example.com")}}
	cfg := smtpwire.ClientConfig{Hostname: "volley.test", TLS: smtpwire.TLSOpportunistic}
	dialOn(t, r, addr, &Options{Client: cfg, ReplyTimeout: 5 * time.Second}, f)
	if err := <-f.closed; err != nil {
		t.Fatal(err)
	}
	o := f.outcomes()["ok@example.com"]
	if o.Kind != Delivered || !strings.HasPrefix(o.TLSVersion, "TLSv1.") || o.TLSCipher == "" {
		t.Fatalf("outcome %+v, want delivered over TLS", o)
	}
	cmds := strings.Join(seen(), "\n")
	if !strings.Contains(cmds, "STARTTLS\nTLS\nEHLO volley.test\nMAIL FROM:<s@example.test>") {
		t.Fatalf("server saw:\n%s", cmds)
	}
}

// TestSessionRequireTLSWithoutIt: require-starttls against a server that
// does not offer it (Postfix smtp-sink would do; the scripted server here)
// delivers nothing and defers nothing either: the session fails before a
// transaction, and the deliverer defers the queue.
func TestSessionRequireTLSWithoutIt(t *testing.T) {
	addr, seen := scriptedServer(t)
	r := startLoop(t)
	f := &feeder{closed: make(chan error, 1), txs: [][]queue.Entry{message("s@example.test", "x\r\n", "ok@example.com")}}
	cfg := smtpwire.ClientConfig{Hostname: "volley.test", TLS: smtpwire.TLSRequired}
	dialOn(t, r, addr, &Options{Client: cfg, ReplyTimeout: 5 * time.Second}, f)
	if err := <-f.closed; err == nil {
		t.Fatal("session without the required TLS ended without an error")
	}
	if strings.Contains(strings.Join(seen(), "\n"), "MAIL FROM") || len(f.outcomes()) != 0 {
		t.Fatalf("mail sent in the clear under require-starttls: %v", seen())
	}
}
