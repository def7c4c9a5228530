package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// captureServer is an SMTP server on loopback that refuses recipients
// starting with "bad" (550 5.1.1), defers those starting with "later"
// (451 4.2.1) and keeps every message it accepts, with its envelope.
type captureServer struct {
	addr string
	mu   sync.Mutex
	msgs []captured
	// open and peak count connections now and at most; total all of them.
	open, peak, total int
}

type captured struct {
	from string
	to   []string
	data string
	// client is the connection's source address; helo its EHLO name.
	client netip.Addr
	helo   string
}

func startCapture(t *testing.T) *captureServer {
	t.Helper()
	return startCaptureOn(t, "127.0.0.1:0")
}

func startCaptureOn(t *testing.T, listen string) *captureServer {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cs := &captureServer{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go cs.serve(c)
		}
	}()
	return cs
}

func (cs *captureServer) serve(c net.Conn) {
	cs.mu.Lock()
	cs.open++
	cs.total++
	cs.peak = max(cs.peak, cs.open)
	cs.mu.Unlock()
	// done takes the session out of cs.open, once. QUIT calls it before the
	// 221: the client may close and open its next connection before this
	// goroutine runs again, which the max-smtp-out tests would count as a
	// peak (often under qemu, now and then natively).
	var once sync.Once
	done := func() { once.Do(func() { cs.mu.Lock(); cs.open--; cs.mu.Unlock() }) }
	defer func() {
		done()
		c.Close()
	}()
	br := bufio.NewReader(c)
	fmt.Fprint(c, "220 capture ESMTP\r\n")
	var cur captured
	client := netip.MustParseAddrPort(c.RemoteAddr().String()).Addr()
	helo := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		up := strings.ToUpper(cmd)
		switch {
		case strings.HasPrefix(up, "EHLO"):
			helo = strings.TrimSpace(cmd[4:])
			fmt.Fprint(c, "250-capture\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 DSN\r\n")
		case strings.HasPrefix(up, "MAIL FROM:"):
			cur = captured{from: strings.Trim(strings.Fields(cmd[10:])[0], "<>"), client: client, helo: helo}
			fmt.Fprint(c, "250 ok\r\n")
		case strings.HasPrefix(up, "RCPT TO:<BAD"):
			fmt.Fprint(c, "550 5.1.1 no such user\r\n")
		case strings.HasPrefix(up, "RCPT TO:<LATER"):
			fmt.Fprint(c, "451 4.2.1 try again later\r\n")
		case strings.HasPrefix(up, "RCPT TO:"):
			cur.to = append(cur.to, strings.Trim(strings.Fields(cmd[8:])[0], "<>"))
			fmt.Fprint(c, "250 ok\r\n")
		case up == "DATA" && len(cur.to) == 0:
			fmt.Fprint(c, "554 5.5.1 no valid recipients\r\n") // RFC 2920 §3.1
		case up == "DATA":
			fmt.Fprint(c, "354 go\r\n")
			var b strings.Builder
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			cs.mu.Lock()
			cs.msgs = append(cs.msgs, cur)
			cs.mu.Unlock()
			fmt.Fprint(c, "250 2.0.0 kept\r\n")
		case up == "QUIT":
			done()
			fmt.Fprint(c, "221 bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 ok\r\n")
		}
	}
}

func (cs *captureServer) received() []captured {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]captured(nil), cs.msgs...)
}

// TestBounceSendsDSN: a recipient the destination refuses with 550 is
// bounced and its sender gets a DSN (multipart/report, from the null
// sender) naming it; the accepted recipient is delivered; nothing stays
// in the spool. A message from the null sender gets no DSN.
func TestBounceSendsDSN(t *testing.T) {
	cs := startCapture(t)
	addr, dir, rn, stop := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr)))
	if err := smtp.SendMail(addr, nil, "sender@origin.test", []string{"good@dest.test", "bad@dest.test"},
		[]byte("Subject: will bounce\r\nMessage-ID: <orig@origin.test>\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendNull(c, "bad2@dest.test"); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	deadline := time.Now().Add(20 * time.Second)
	var dsn *captured
	for dsn == nil {
		for _, m := range cs.received() {
			if m.from == "" && len(m.to) == 1 && m.to[0] == "sender@origin.test" {
				m := m
				dsn = &m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no DSN reached the sender; received %+v", cs.received())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"multipart/report", "report-type=delivery-status", "Final-Recipient: rfc822; bad@dest.test",
		"Action: failed", "Status: 5.1.1", "550 5.1.1 no such user", "Message-ID: <orig@origin.test>"} {
		if !strings.Contains(dsn.data, want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn.data)
		}
	}
	if strings.Contains(dsn.data, "good@dest.test\r\nAction") {
		t.Error("the DSN reports the delivered recipient")
	}
	waitQueuesEmpty(t, rn, 20*time.Second)
	stop()
	// The null-sender message's only recipient was refused too, and it
	// gets no DSN: the one message from <> is the DSN to sender@origin.test.
	dsns := 0
	for _, m := range cs.received() {
		if m.from == "" {
			dsns++
		}
	}
	if dsns != 1 {
		t.Fatalf("%d messages from the null sender reached the destination, want the one DSN", dsns)
	}
	if left, _ := spooled(t, dir); len(left) != 0 {
		t.Fatalf("%d messages left in the spool", len(left))
	}
}

// sendNull sends one message from the null sender to rcpt.
func sendNull(c *smtp.Client, rcpt string) error {
	if err := c.Mail(""); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("Subject: from nobody\r\n\r\nx\r\n")); err != nil {
		return err
	}
	return w.Close()
}

// TestDSNSourceSettings: custom-dsn-from-header signs the DSNs; a source
// with dsn-return-default full gets its message's body back in them; a
// source with suppress-local-dsn gets none.
func TestDSNSourceSettings(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`custom-dsn-from-header Bounces <bounces@esp.test>
<source 127.0.0.1/32>
    dsn-return-default full
</source>
<source 127.0.0.2/32>
    always-allow-relaying yes
    suppress-local-dsn yes
</source>
<domain *>
    smtp-hosts [%s]:%s
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	if err := smtp.SendMail(addr, nil, "full@origin.test", []string{"bad@dest.test"},
		[]byte("Subject: return it all\r\n\r\nthe body comes back\r\n")); err != nil {
		t.Fatal(err)
	}
	c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smtp.NewClient(c, "quiet.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Mail("quiet@origin.test"); err != nil {
		t.Fatal(err)
	}
	if err := sc.Rcpt("bad2@dest.test"); err != nil {
		t.Fatal(err)
	}
	w, _ := sc.Data()
	io.WriteString(w, "Subject: no dsn\r\n\r\nx\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sc.Quit()
	waitQueuesEmpty(t, rn, 20*time.Second)
	var dsns []captured
	deadline := time.Now().Add(10 * time.Second)
	for len(dsns) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		dsns = dsns[:0]
		for _, m := range cs.received() {
			if m.from == "" {
				dsns = append(dsns, m)
			}
		}
	}
	time.Sleep(300 * time.Millisecond) // a second DSN would have come by now
	dsns = dsns[:0]
	for _, m := range cs.received() {
		if m.from == "" {
			dsns = append(dsns, m)
		}
	}
	if len(dsns) != 1 || dsns[0].to[0] != "full@origin.test" {
		t.Fatalf("DSNs %+v: want one, to full@origin.test (quiet@ has suppress-local-dsn)", dsns)
	}
	for _, want := range []string{"From: Bounces <bounces@esp.test>", "the body comes back", "message/rfc822"} {
		if !strings.Contains(dsns[0].data, want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsns[0].data)
		}
	}
}

// TestDelayDSN: a recipient deferred with NOTIFY=DELAY gets a delay DSN
// (Action: delayed, Will-Retry-Until) once notify-of-delay-every has
// passed since its message came in, and not again within the interval; a
// recipient without NOTIFY=DELAY gets none.
func TestDelayDSN(t *testing.T) {
	cs := startCapture(t)
	addr, _, _, _ := startRunning(t, fmt.Sprintf(`<domain origin.test>
    smtp-hosts [%s]:%s
</domain>
<domain dest.test>
    smtp-hosts [127.0.0.1]:1
    retry-after 1s
    notify-of-delay-every 3s
    bounce-after 1h
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	c, say := dialEngine(t, addr)
	defer c.Close()
	say("", "220 ")
	say("EHLO t\r\n", "250 ")
	say("MAIL FROM:<waiting@origin.test>\r\n", "250 ")
	say("RCPT TO:<slow@dest.test> NOTIFY=DELAY,FAILURE\r\n", "250 ")
	say("RCPT TO:<quiet@dest.test>\r\n", "250 ")
	say("DATA\r\n", "354 ")
	say("Subject: waits\r\n\r\nx\r\n.\r\n", "250 ")
	sent := time.Now()
	var dsn captured
	deadline := time.Now().Add(15 * time.Second)
	for dsn.from == "" && len(dsn.to) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no delay DSN")
		}
		time.Sleep(50 * time.Millisecond)
		for _, m := range cs.received() {
			if m.from == "" {
				dsn = m
			}
		}
	}
	if waited := time.Since(sent); waited < 2900*time.Millisecond {
		t.Errorf("a delay DSN after %v, before notify-of-delay-every 3s had passed", waited)
	}
	for _, want := range []string{"Final-Recipient: rfc822; slow@dest.test", "Action: delayed", "Will-Retry-Until:", "Status: 4."} {
		if !strings.Contains(dsn.data, want) {
			t.Errorf("delay DSN lacks %q:\n%s", want, dsn.data)
		}
	}
	if strings.Contains(dsn.data, "quiet@dest.test") {
		t.Errorf("the delay DSN reports a recipient that did not ask:\n%s", dsn.data)
	}
	time.Sleep(1200 * time.Millisecond) // a retry a second, all within the same 3 s interval
	if n := len(cs.received()); n != 1 {
		t.Errorf("%d delay DSNs within one interval, want 1", n)
	}
}

// dialEngine opens a raw SMTP dialog: say writes a line (if any) and
// expects a reply starting with want.
func dialEngine(t *testing.T, addr string) (net.Conn, func(line, want string)) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	return c, func(line, want string) {
		t.Helper()
		if line != "" {
			io.WriteString(c, line)
		}
		for {
			got, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q: %v", line, err)
			}
			if len(got) > 3 && got[3] == '-' {
				continue
			}
			if !strings.HasPrefix(got, want) {
				t.Fatalf("after %q: %q, want %q", line, got, want)
			}
			return
		}
	}
}

// TestSourceOfOrigin: a DSN's settings come from the source its message
// came in under: by client address for SMTP and the API, the {pickup}
// source for the pickup directory.
func TestSourceOfOrigin(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte("<source {pickup}>\n    suppress-local-dsn yes\n</source>\n"+
		"<source 10.0.0.0/8>\n    dsn-return-default full\n</source>\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if !sourceOfOrigin(cfg, "pickup").SuppressLocalDSN {
		t.Error("pickup mail does not follow <source {pickup}>")
	}
	if s := sourceOfOrigin(cfg, "smtp 10.1.2.3"); s.DSNReturnDefault != "full" || s.SuppressLocalDSN {
		t.Errorf("SMTP mail from 10.1.2.3: %+v", s)
	}
	if s := sourceOfOrigin(cfg, "api 192.0.2.1"); s.DSNReturnDefault == "full" {
		t.Error("mail from 192.0.2.1 took 10.0.0.0/8's settings")
	}
}
