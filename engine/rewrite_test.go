package engine

import (
	"fmt"
	"net/smtp"
	"sort"
	"testing"
)

// TestRewriteListMailFrom: a vMTA's <rewrite-list> rewrites the MAIL FROM
// its mail goes out with (the receiver sees the bounce domain of the
// sender's IP, not the customer's); a pool's list covers the members
// without their own.
func TestRewriteListMailFrom(t *testing.T) {
	cs := startCapture(t)
	addr, _, _, _ := startRunning(t, fmt.Sprintf(`<rewrite-list esp>
    mail-from *@customer.test *@bounces.esp.test
</rewrite-list>
<rewrite-list pool>
    mail-from * pool-owner@esp.test
</rewrite-list>
<virtual-mta v2>
    smtp-source-host 127.0.0.2 v2.test
    rewrite-list esp
</virtual-mta>
<virtual-mta v3>
    smtp-source-host 127.0.0.3 v3.test
</virtual-mta>
<virtual-mta-pool both>
    virtual-mta v2
    virtual-mta v3
    rewrite-list pool
</virtual-mta-pool>
<source 127.0.0.1/32>
    default-virtual-mta both
</source>
<domain *>
    smtp-hosts [%s]:%s
    max-msg-per-connection 1
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	for i := range 4 {
		if err := smtp.SendMail(addr, nil, "news@customer.test", []string{fmt.Sprintf("r%d@dest.test", i)}, []byte("Subject: rw\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	by := map[string][]string{}
	for _, m := range waitReceived(t, cs, 4) {
		by[m.client.String()] = append(by[m.client.String()], m.from)
	}
	for client, want := range map[string]string{"127.0.0.2": "news@bounces.esp.test", "127.0.0.3": "pool-owner@esp.test"} {
		froms := by[client]
		sort.Strings(froms)
		if len(froms) == 0 || froms[0] != want || froms[len(froms)-1] != want {
			t.Errorf("MAIL FROM from %s: %v, want %s", client, froms, want)
		}
	}
}
