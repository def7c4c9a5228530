package main

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/internal/loadgen"
	"github.com/volleymta/volley/internal/testpeer"
)

// haproxyOutbound is PowerMTA's documented proxy set-up (§10.2): HAProxy
// takes the PROXY v1 header and connects from its source address
// (usesrc clientip) to its destination (server 0.0.0.0:0).
const haproxyOutbound = `global
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend volley_out
    bind 127.0.0.1:%d accept-proxy
    default_backend receivers
backend receivers
    source 0.0.0.0 usesrc clientip
    server any 0.0.0.0:0
`

// TestOutboundProxy exists because senders whose IPs live on other hosts
// deliver through HAProxy there: the vMTA's mail must leave from the
// proxy's client address, named by the client line, and never straight
// from this host. The first proxy of the vMTA's list is down, so the
// connection fails over to the second. The receiver (the sink) refuses any
// connection that is not from 127.0.0.7 and any EHLO name but the proxy
// client's, so a delivery proves the whole path.
func TestOutboundProxy(t *testing.T) {
	bin := testpeer.Need(t, "haproxy", "haproxy", "/usr/sbin/haproxy")
	if os.Geteuid() != 0 {
		t.Skip("haproxy's `usesrc clientip` needs root (IP_TRANSPARENT)")
	}
	var rules []loadgen.Rule
	for _, r := range []string{
		`connect:/^127\.0\.0\.7$/=220 receiver.test ready for the proxy`,
		`connect:*=554 5.7.1 only mail through the proxy is taken here`,
		`ehlo:/^o7\.proxy\.test$/=250 receiver.test hello proxy client`,
		`ehlo:*=550 5.7.1 EHLO name is not the proxy client's`,
	} {
		rule, err := loadgen.ParseRule(r)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, rule)
	}
	saved := t.TempDir()
	host, port := serveSink(t, loadgen.NewSink(loadgen.SinkOptions{Save: saved, Replies: rules}))
	hp, dead := freePort(t), freePort(t)
	for hp == dead {
		dead = freePort(t)
	}
	startHAProxy(t, bin, fmt.Sprintf(haproxyOutbound, hp), hp)

	acctPath := t.TempDir() + "/acct.csv"
	d := startVolleyd(t, "", `
<proxy dead>
    server 127.0.0.1:`+strconv.Itoa(dead)+`
    client 127.0.0.7 o7.proxy.test
</proxy>
<proxy edge>
    server 127.0.0.1:`+strconv.Itoa(hp)+`
    client 127.0.0.7 o7.proxy.test
</proxy>
<virtual-mta v7>
    smtp-source-host 127.0.0.7 o7.example.test
    use-proxy dead,edge
</virtual-mta>
<virtual-mta stranded>
    smtp-source-host 127.0.0.7 o7.example.test
    use-proxy dead
</virtual-mta>
<source 127.0.0.1>
    always-allow-relaying yes
    default-virtual-mta v7
    process-x-virtual-mta yes
</source>
<acct-file `+acctPath+`>
    records d,t
</acct-file>
<domain proxied.test>
    smtp-hosts [`+host+`]:`+port+`
</domain>
`)
	sendMail(t, d, "s@origin.test", []string{"r1@proxied.test"}, "")
	var rec acct.Record
	waitFor(t, peerTimeout, "a d record for r1@proxied.test", func() bool {
		var ok bool
		rec, ok = recordOf(acctRecords(t, acctPath), acct.Delivered, "r1@proxied.test")
		return ok
	})
	if rec.DlvSourceIP != netip.MustParseAddr("127.0.0.7") || rec.DlvDestinationIP != netip.MustParseAddr(host) ||
		rec.VMTA != "v7" {
		t.Errorf("d record: source %v, destination %v, vmta %q; want 127.0.0.7, %s, v7", rec.DlvSourceIP, rec.DlvDestinationIP, rec.VMTA, host)
	}
	savedMessages(t, saved, 1)
	logs := d.logs.String()
	if !strings.Contains(logs, "proxy dead (127.0.0.1:"+strconv.Itoa(dead)+") unreachable") ||
		!strings.Contains(logs, "the next connection goes through proxy edge") {
		t.Errorf("the failover is not logged:\n%s", logs)
	}
	for _, r := range acctRecords(t, acctPath) {
		if r.Type == acct.Transient {
			t.Errorf("a t record for a proxy that was down while another was up: %+v", r)
		}
	}

	// A vMTA whose only proxy is down waits for its retry; it does not
	// connect to the receiver itself (which would answer 554).
	sendMail(t, d, "s@origin.test", []string{"r2@proxied.test"}, "X-Virtual-MTA: stranded\r\n")
	waitFor(t, peerTimeout, "a t record for r2@proxied.test", func() bool {
		rec, _ = recordOf(acctRecords(t, acctPath), acct.Transient, "r2@proxied.test")
		return rec.Rcpt != ""
	})
	if !strings.Contains(rec.DSNDiag, "proxy dead (127.0.0.1:"+strconv.Itoa(dead)+"): connect") || strings.Contains(rec.DSNDiag, "proxy is taken") || rec.VMTA != "stranded" {
		t.Errorf("t record of the stranded vMTA: vmta %q, diag %q", rec.VMTA, rec.DSNDiag)
	}
}
