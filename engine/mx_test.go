package engine

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testdns"
)

// TestMXRouting resolves through a real DNS server (unbound on loopback):
// mail for mx.test goes to its second MX host when the first refuses
// connections; a null-MX domain and a domain that does not exist bounce at
// once, and their DSNs reach the sender through the sender domain's own MX.
func TestMXRouting(t *testing.T) {
	cs, port := captureOn3(t)
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		"mx.test. 300 IN MX 10 down.mx.test.",
		"mx.test. 300 IN MX 20 up.mx.test.",
		"down.mx.test. 300 IN A 127.0.0.2", // nothing listens there
		"up.mx.test. 300 IN A 127.0.0.3",
		"null.test. 300 IN MX 0 .",
		"origin.test. 300 IN MX 10 up.mx.test.",
	}, "test.")
	addr, dir, rn, stop := startRunning(t, fmt.Sprintf("name-server %s\n<domain *>\n    default-smtp-port %s\n</domain>\n", ns.Addr, port))
	for _, rcpt := range []string{"a@mx.test", "b@null.test", "c@nx.test"} {
		if err := smtp.SendMail(addr, nil, "sender@origin.test", []string{rcpt}, []byte("Subject: to "+rcpt+"\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]string{}
		for _, m := range cs.received() {
			if m.from == "" {
				for _, f := range []string{"b@null.test", "c@nx.test"} {
					if strings.Contains(m.data, "Final-Recipient: rfc822; "+f) {
						got[f] = m.data
					}
				}
			} else {
				got[m.to[0]] = m.data
			}
		}
		if len(got) == 3 {
			if !strings.Contains(got["b@null.test"], "Status: 5.1.10") {
				t.Errorf("null MX DSN:\n%s", got["b@null.test"])
			}
			if !strings.Contains(got["c@nx.test"], "Action: failed") {
				t.Errorf("no such domain DSN:\n%s", got["c@nx.test"])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("received %d of 3 (delivery, two DSNs): %+v", len(got), cs.received())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitQueuesEmpty(t, rn, 20*time.Second)
	stop()
	if left, _ := spooled(t, dir); len(left) != 0 {
		t.Fatalf("%d messages left in the spool", len(left))
	}
}

// TestMXRollup: two domains whose MX hosts match one <mx-rollup-list>
// entry share the rollup's queue (and its settings): their deferred
// recipients wait there, not in per-domain queues.
func TestMXRollup(t *testing.T) {
	cs := startCaptureOn(t, "127.0.0.3:0")
	port := sinkPort(cs.addr)
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		"a.test. 300 IN MX 10 mx1.bigprovider.test.",
		"b.test. 300 IN MX 10 mx2.bigprovider.test.",
		"mx1.bigprovider.test. 300 IN A 127.0.0.3",
		"mx2.bigprovider.test. 300 IN A 127.0.0.3",
		"c.test. 300 IN MX 10 mx.elsewhere.test.",
		"mx.elsewhere.test. 300 IN A 127.0.0.3",
	}, "test.")
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`name-server %s
<mx-rollup-list>
    mx *.bigprovider.test bigprovider.rollup
</mx-rollup-list>
<domain *>
    default-smtp-port %s
</domain>
`, ns.Addr, port))
	for _, rcpt := range []string{"later1@a.test", "later2@b.test", "later3@c.test", "now@a.test"} {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: rollup\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, cs, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		perShard, err := rn.ShardQueues(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[string]int{}
		for _, qs := range perShard {
			for _, q := range qs {
				sizes[q.Key.String()] += q.Recipients
			}
		}
		if sizes["bigprovider.rollup/"] == 2 && sizes["c.test/"] == 1 && sizes["a.test/"] == 0 && sizes["b.test/"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues %v, want bigprovider.rollup/ with the two deferred recipients of a.test and b.test", sizes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMXRollupAuto: with mx-rollup-auto, domains whose MX host sets are the
// same share one queue, named after the set; a different set gets its own;
// a domain with its own <domain> block keeps its queue and settings.
func TestMXRollupAuto(t *testing.T) {
	cs := startCaptureOn(t, "127.0.0.3:0")
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		"x.test. 300 IN MX 10 mxa.shared.test.",
		"x.test. 300 IN MX 20 mxb.shared.test.",
		"y.test. 300 IN MX 5 mxb.shared.test.",
		"y.test. 300 IN MX 10 mxa.shared.test.",
		"own.test. 300 IN MX 10 mxa.shared.test.",
		"own.test. 300 IN MX 20 mxb.shared.test.",
		"z.test. 300 IN MX 10 mx.other.test.",
		"mxa.shared.test. 300 IN A 127.0.0.3",
		"mxb.shared.test. 300 IN A 127.0.0.3",
		"mx.other.test. 300 IN A 127.0.0.3",
	}, "test.")
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`name-server %s
mx-rollup-auto yes
<domain *>
    default-smtp-port %s
</domain>
<domain own.test>
    max-smtp-out 3
</domain>
`, ns.Addr, sinkPort(cs.addr)))
	for _, rcpt := range []string{"later1@x.test", "later2@y.test", "later3@own.test", "later4@z.test"} {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: auto\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		perShard, err := rn.ShardQueues(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[string]int{}
		for _, qs := range perShard {
			for _, q := range qs {
				if q.Recipients > 0 {
					sizes[q.Key.String()] += q.Recipients
				}
			}
		}
		shared, other := 0, 0
		for name, n := range sizes {
			switch {
			case strings.HasPrefix(name, "mxa.shared.test~") || strings.HasPrefix(name, "mxb.shared.test~"):
				shared += n
			case strings.HasPrefix(name, "mx.other.test~"):
				other += n
			}
		}
		if shared == 2 && other == 1 && sizes["own.test/"] == 1 && len(sizes) == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queues %v, want x.test and y.test in one rollup, z.test in another, own.test alone", sizes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBounceUponNoMX: a domain without MX records gets its mail at its
// own address (RFC 5321 §5.1), unless bounce-upon-no-mx says to bounce it.
func TestBounceUponNoMX(t *testing.T) {
	cs, port := captureOn3(t)
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		"plain.test. 300 IN A 127.0.0.3",
		"strict.test. 300 IN A 127.0.0.3",
	}, "test.")
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("name-server %s\n<domain *>\n    default-smtp-port %s\n</domain>\n"+
		"<domain strict.test>\n    bounce-upon-no-mx yes\n</domain>\n", ns.Addr, port))
	for _, rcpt := range []string{"a@plain.test", "b@strict.test"} {
		if err := smtp.SendMail(addr, nil, "", []string{rcpt}, []byte("Subject: no mx\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	got := waitReceived(t, cs, 1)
	waitQueuesEmpty(t, rn, 10*time.Second)
	if len(cs.received()) != 1 || got[0].to[0] != "a@plain.test" {
		t.Fatalf("delivered %v, want only a@plain.test (strict.test bounced)", cs.received())
	}
}

// captureOn3 starts a capture server on 127.0.0.3, on a port free there
// (an MX host's address in the test zones; every MX host listens on that
// one port, each on its own loopback address), and returns it and the port.
func captureOn3(t *testing.T) (*captureServer, string) {
	t.Helper()
	for range 10 {
		p := testdns.FreePort(t)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.3:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		return startCaptureOn(t, fmt.Sprintf("127.0.0.3:%d", p)), fmt.Sprint(p)
	}
	t.Fatal("no free port on 127.0.0.3")
	return nil, ""
}
