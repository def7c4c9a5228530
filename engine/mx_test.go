package engine

import (
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
	// Every MX host listens on one port, each on its own loopback address.
	var cs *captureServer
	var port string
	for range 10 {
		p := testdns.FreePort(t)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.3:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		cs = startCaptureOn(t, fmt.Sprintf("127.0.0.3:%d", p))
		port = fmt.Sprint(p)
		break
	}
	if cs == nil {
		t.Fatal("no free port on 127.0.0.3")
	}
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
