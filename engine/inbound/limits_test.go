package inbound

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom connects from a given loopback address and reads the first reply line.
func dialFrom(t *testing.T, from, addr string) (*client, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c, br: bufio.NewReader(c)}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := cl.br.ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return cl, line
}

// TestMaxSMTPInPerClient: past max-connections from one address the next
// connection is told 421 4.7.0 and closed; another address is not counted
// with it; once a connection closes, the address may connect again.
func TestMaxSMTPInPerClient(t *testing.T) {
	_, addr := serve(t, `host-name mx.volley.test
smtp-listener 127.0.0.1:0
<source 127.0.0.0/8>
    max-connections 2
</source>
`, memSpool(t))
	first, l1 := dialFrom(t, "127.0.0.1", addr)
	_, l2 := dialFrom(t, "127.0.0.1", addr)
	_, l3 := dialFrom(t, "127.0.0.1", addr)
	_, other := dialFrom(t, "127.0.0.2", addr)
	if l1[:4] != "220 " || l2[:4] != "220 " || other[:4] != "220 " {
		t.Fatalf("greetings %q %q %q", l1, l2, other)
	}
	if l3[:9] != "421 4.7.0" {
		t.Fatalf("third connection from 127.0.0.1: %q, want 421 4.7.0", l3)
	}
	first.send("QUIT\r\n")
	first.expect("221 ")
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, again := dialFrom(t, "127.0.0.1", addr)
		if again[:4] == "220 " {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a close, still %q", again)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTotalMaxSMTPIn: total-max-smtp-in caps connections from everyone together.
func TestTotalMaxSMTPIn(t *testing.T) {
	svc, addr := serve(t, `host-name mx.volley.test
smtp-listener 127.0.0.1:0
total-max-smtp-in 1
`, memSpool(t))
	_, l1 := dialFrom(t, "127.0.0.1", addr)
	_, l2 := dialFrom(t, "127.0.0.2", addr)
	if l1[:4] != "220 " || l2[:9] != "421 4.3.2" {
		t.Fatalf("greetings %q, %q; want 220 then 421 4.3.2", l1, l2)
	}
	if svc.Counters.TooManyConns.Load() != 1 {
		t.Fatalf("TooManyConns %d", svc.Counters.TooManyConns.Load())
	}
}

// TestMaxMsgRate: past max-msg-rate MAIL is answered 451 4.7.1 and the
// session goes on; the count is the client's, across its connections.
func TestMaxMsgRate(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, baseConfig+"    max-msg-rate 2/h\n</source>\n", sp)
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\n")
	cl.expect("250 ")
	for i := 0; i < 2; i++ {
		cl.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
		cl.expect("250 ")
		cl.expect("250 ")
		cl.expect("354 ")
		cl.send("Subject: r\r\n\r\nx\r\n.\r\n")
		cl.expect("250 ")
	}
	cl.send("MAIL FROM:<a@x.test>\r\n")
	cl.expect("451 4.7.1 ")
	cl.send("RSET\r\nNOOP\r\n")
	cl.expect("250 ")
	cl.expect("250 ")
	other := dial(t, addr)
	other.send("HELO c.test\r\nMAIL FROM:<a@x.test>\r\n")
	other.expect("250 ")
	other.expect("451 4.7.1 ")
	if n := countSpooled(t, sp); n != 2 {
		t.Fatalf("spooled %d, want 2", n)
	}
}

// TestSourceGroups: a <source-group>'s max-smtp-in caps the connections of
// all its sources together (421 4.7.0 naming the group); reserved-smtp-in
// keeps slots of total-max-smtp-in for its sources, so a client outside
// the group is told 421 4.3.2 while those slots are unused, and the
// group's own clients still get in.
func TestSourceGroups(t *testing.T) {
	_, addr := serve(t, `host-name mx.volley.test
smtp-listener 127.0.0.1:0
total-max-smtp-in 4
<source-group feeders>
    max-smtp-in 2
</source-group>
<source-group vip>
    reserved-smtp-in 2
</source-group>
<source 127.0.0.2/31>
    source-group feeders
</source>
<source 127.0.0.4>
    source-group vip
</source>
`, memSpool(t))
	greet := func(from string) string { _, l := dialFrom(t, from, addr); return l }
	if g1, g2, g3 := greet("127.0.0.2"), greet("127.0.0.3"), greet("127.0.0.2"); g1[:4] != "220 " || g2[:4] != "220 " ||
		!strings.HasPrefix(g3, "421 4.7.0 mx.volley.test too many connections from source group feeders") {
		t.Fatalf("feeders: %q %q %q; want two greetings, then the group's 421", g1, g2, g3)
	}
	// 2 of 4 in use, 2 reserved for vip and unused: nothing left for others.
	if g := greet("127.0.0.9"); !strings.HasPrefix(g, "421 4.3.2 ") {
		t.Fatalf("outside any group with the rest reserved: %q, want 421 4.3.2", g)
	}
	if v1, v2 := greet("127.0.0.4"), greet("127.0.0.4"); v1[:4] != "220 " || v2[:4] != "220 " {
		t.Fatalf("vip in its reservation: %q %q", v1, v2)
	}
	if g := greet("127.0.0.4"); !strings.HasPrefix(g, "421 4.3.2 ") {
		t.Fatalf("a fifth connection past total-max-smtp-in 4: %q", g)
	}
}
