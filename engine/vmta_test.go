package engine

import (
	"fmt"
	"net"
	"net/netip"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// twoVMTAs are two virtual MTAs, each with its own loopback source address
// and host name.
const twoVMTAs = `<virtual-mta v2>
    smtp-source-host 127.0.0.2 v2.test
</virtual-mta>
<virtual-mta v3>
    smtp-source-host 127.0.0.3 v3.test
</virtual-mta>
`

// poolOfTwo pools twoVMTAs as "both", the vMTA of mail from 127.0.0.1.
const poolOfTwo = twoVMTAs + `<virtual-mta-pool both>
    virtual-mta v2
    virtual-mta v3
</virtual-mta-pool>
<source 127.0.0.1/32>
    default-virtual-mta both
</source>
`

// waitReceived polls cs until it holds n messages.
func waitReceived(t *testing.T, cs *captureServer, n int) []captured {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := cs.received()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages received, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVirtualMTASourceBinding: mail injected for virtual MTA v2 leaves from
// 127.0.0.2 with EHLO v2.test, mail for v3 from 127.0.0.3 with EHLO v3.test
// (X-Virtual-MTA picks the vMTA; the header is not delivered).
func TestVirtualMTASourceBinding(t *testing.T) {
	cs := startCapture(t)
	addr, _, _, _ := startRunning(t, fmt.Sprintf(twoVMTAs+`<source 127.0.0.1/32>
    process-x-virtual-mta yes
</source>
<domain *>
    smtp-hosts [%s]:%s
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	for _, v := range []string{"v2", "v3"} {
		msg := "X-Virtual-MTA: " + v + "\r\nSubject: via " + v + "\r\n\r\nbody\r\n"
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{v + "@dest.test"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]struct{ ip, helo string }{"v2@dest.test": {"127.0.0.2", "v2.test"}, "v3@dest.test": {"127.0.0.3", "v3.test"}}
	for _, m := range waitReceived(t, cs, 2) {
		w := want[m.to[0]]
		if m.client != netip.MustParseAddr(w.ip) || m.helo != w.helo {
			t.Errorf("%s arrived from %s with EHLO %q, want %s and %q", m.to[0], m.client, m.helo, w.ip, w.helo)
		}
		if strings.Contains(strings.ToLower(m.data), "x-virtual-mta:") {
			t.Errorf("%s: the X-Virtual-MTA header was delivered", m.to[0])
		}
	}
}

// TestDeliverIPv6: a destination on ::1 is reached over IPv6.
func TestDeliverIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		ln.Close()
	}
	cs := startCaptureOn(t, "[::1]:0")
	_, port, _ := net.SplitHostPort(cs.addr)
	addr, _, _, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [::1]:%s\n</domain>\n", port))
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"six@dest.test"}, []byte("Subject: v6\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	m := waitReceived(t, cs, 1)[0]
	if !m.client.Is6() || m.client.Is4In6() || m.to[0] != "six@dest.test" {
		t.Fatalf("received %+v over %s, want IPv6", m.to, m.client)
	}
}

// TestPoolSpreads: mail injected for a virtual-MTA pool leaves from each
// of its members in turn (one connection per message here, so each picks
// the next member).
func TestPoolSpreads(t *testing.T) {
	cs := startCapture(t)
	addr, _, _, _ := startRunning(t, fmt.Sprintf(poolOfTwo+`<domain *>
    smtp-hosts [%s]:%s
    max-msg-per-connection 1
    max-smtp-out 1
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	const n = 6
	for i := 0; i < n; i++ {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("p%d@dest.test", i)}, []byte("Subject: pool\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	from := map[string]int{}
	for _, m := range waitReceived(t, cs, n) {
		from[m.client.String()+" "+m.helo]++
	}
	if from["127.0.0.2 v2.test"] == 0 || from["127.0.0.3 v3.test"] == 0 || len(from) != 2 {
		t.Fatalf("sources used %v, want both members of the pool", from)
	}
}

// TestQueueToAndReroute: queue-to merges two domains into one queue that
// delivers through its own smtp-hosts; reroute-to-virtual-mta sends a
// domain's mail from another vMTA, and backoff-reroute-to-virtual-mta does
// so only while the queue is in backoff.
func TestQueueToAndReroute(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(twoVMTAs+`<source 127.0.0.1/32>
    default-virtual-mta v2
</source>
<domain a.test>
    queue-to merged.queue
</domain>
<domain b.test>
    queue-to merged.queue
</domain>
<domain merged.queue>
    smtp-hosts [%[1]s]:%[2]s
</domain>
<domain moved.test>
    reroute-to-virtual-mta v3
    smtp-hosts [%[1]s]:%[2]s
</domain>
<smtp-pattern-list slow>
    reply /try again later/ mode=backoff
</smtp-pattern-list>
<domain backoff.test>
    backoff-reroute-to-virtual-mta v3
    smtp-pattern-list slow
    retry-after 1h
    smtp-hosts [%[1]s]:%[2]s
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	// A deferral that the pattern list turns into backoff mode.
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"later@backoff.test"}, []byte("Subject: q\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	waitForEngine(t, 10*time.Second, "backoff.test/v2 in backoff", func() bool {
		qs, _ := rn.Queues(t.Context(), api.QueueFilter{})
		for _, q := range qs {
			if q.Domain == "backoff.test" && q.Mode == "backoff" {
				return true
			}
		}
		return false
	})
	for _, rcpt := range []string{"x@a.test", "y@b.test", "z@moved.test", "w@backoff.test"} {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: q\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	from := map[string]string{}
	for _, m := range waitReceived(t, cs, 4) {
		from[m.to[0]] = m.client.String()
	}
	want := map[string]string{"x@a.test": "127.0.0.2", "y@b.test": "127.0.0.2", "z@moved.test": "127.0.0.3", "w@backoff.test": "127.0.0.3"}
	for rcpt, src := range want {
		if from[rcpt] != src {
			t.Errorf("%s delivered from %q, want %s (all: %v)", rcpt, from[rcpt], src, from)
		}
	}
}

// TestGlobalSourceHost: the top-level smtp-source-host is the source
// address and EHLO name of mail without a vMTA, and of a vMTA that names
// none of its own.
func TestGlobalSourceHost(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`smtp-source-host 127.0.0.4 global.test
<virtual-mta bare>
</virtual-mta>
<source 127.0.0.1/32>
    process-x-virtual-mta yes
</source>
<domain *>
    smtp-hosts [%s]:%s
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"a@dest.test"}, []byte("Subject: default\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"b@dest.test"}, []byte("X-Virtual-MTA: bare\r\nSubject: bare\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	for _, m := range waitReceived(t, cs, 2) {
		if m.client.String() != "127.0.0.4" || m.helo != "global.test" {
			t.Errorf("%v came from %s as %q, want 127.0.0.4 as global.test", m.to, m.client, m.helo)
		}
	}
	qs, _ := rn.Queues(t.Context(), api.QueueFilter{})
	vmtas := map[string]bool{}
	for _, q := range qs {
		vmtas[q.VMTA] = true
	}
	if !vmtas["bare"] {
		t.Errorf("no queue of the vMTA bare: %+v", qs)
	}
}
