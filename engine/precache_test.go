package engine

import (
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testdns"
)

// TestPrecache exists because the first message to a domain otherwise
// waits for its MX lookup: the <dns> block's precached domains are looked
// up at start (against unbound on loopback), show in Precache with their
// hosts or their error, and mail to one of them then asks DNS nothing.
func TestPrecache(t *testing.T) {
	cs, port := captureOn3(t)
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		"warm.test. 3600 IN MX 10 mx.warm.test.",
		"mx.warm.test. 3600 IN A 127.0.0.3",
		"other.test. 3600 IN MX 10 mx.warm.test.",
	}, "test.")
	dir := t.TempDir()
	list := filepath.Join(dir, "precache.txt")
	if err := os.WriteFile(list, []byte("# precached\nwarm.test\n\nNX.test.   # no such domain\nother.test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, _, rn, _ := startIn(t, dir, fmt.Sprintf("name-server %s\n<dns>\n    precached-domains-file %s\n    precached-max-domains 2\n</dns>\n"+
		"<domain *>\n    default-smtp-port %s\n</domain>\n", ns.Addr, list, port))
	waitFor := time.Now().Add(20 * time.Second)
	for len(rn.Precache()) < 2 {
		if time.Now().After(waitFor) {
			t.Fatalf("precache: %+v", rn.Precache())
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := rn.Precache()
	if len(got) != 2 || got[0].Domain != "warm.test" || got[0].Hosts != 1 || got[0].Addrs != 1 || got[0].Error != "" ||
		got[1].Domain != "nx.test" || got[1].Error == "" {
		t.Fatalf("precache %+v: want warm.test with its host, nx.test failed, other.test past precached-max-domains", got)
	}
	before := rn.resolver.dns.Stats()
	if err := smtp.SendMail(addr, nil, "s@origin.example", []string{"r@warm.test"}, []byte("Subject: warm\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	waitReceived(t, cs, 1)
	if after := rn.resolver.dns.Stats(); after.Queries != before.Queries || after.CacheMisses != before.CacheMisses {
		t.Fatalf("mail to a precached domain asked DNS: queries %d -> %d, misses %d -> %d",
			before.Queries, after.Queries, before.CacheMisses, after.CacheMisses)
	}
}
