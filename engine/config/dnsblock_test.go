package config

import (
	"strings"
	"testing"
	"time"
)

func TestDNSBlock(t *testing.T) {
	c, probs := LoadText("t.conf", []byte("<dns>\n    precached-domains-file /etc/volley/pre.txt\n    precached-refresh-interval 2m\n</dns>\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if d := c.DNS; d.PrecachedDomainsFile != "/etc/volley/pre.txt" || d.PrecachedMaxDomains != 500 || d.PrecachedRefreshInterval != 2*time.Minute {
		t.Errorf("dns %+v", d)
	}
	dump := c.Dump()
	if !strings.Contains(dump, "<dns>\n    precached-domains-file /etc/volley/pre.txt\n    precached-max-domains 500\n    precached-refresh-interval 2m\n</dns>\n") {
		t.Errorf("dump:\n%s", dump)
	}
	if c2, _ := LoadText("t.conf", []byte("")); c2.DNS != defaultDNS() || strings.Contains(c2.Dump(), "<dns>") {
		t.Errorf("without a block: %+v", c2.DNS)
	}
	wantOneProblem(t, map[string]string{
		"<dns>\nprecached-max-domains 0\n</dns>\n": "t.conf:1: <dns>: precached-max-domains and precached-refresh-interval must be above 0",
		"<dns x>\n</dns>\n":                        "t.conf:1: <dns> takes no argument",
		"<dns>\nname-server 127.0.0.1\n</dns>\n":   "t.conf:2: directive \"name-server\" is not allowed in <dns>",
	})
}
