package config

import (
	"net/netip"
	"strings"
	"testing"
)

const proxyConf = `use-proxy edge
<proxy edge>
    server 127.0.0.1:2500
    client 192.0.2.10 o10.example.net
    client [2001:db8::10]:0 o10v6.example.net
    client 192.0.2.11:4000
</proxy>
<proxy spare>
    server [::1]:2501
</proxy>
<virtual-mta via-default>
    smtp-source-host 192.0.2.10 o10.example.net
</virtual-mta>
<virtual-mta via-own>
    smtp-source-host 198.51.100.7 x.example.net
    use-proxy spare,edge
</virtual-mta>
`

// TestProxy: the block's lines, the global use-proxy as every vMTA's
// default, a vMTA's own list in its order, and the client lookup.
func TestProxy(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(proxyConf))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	edge, spare := c.Proxy("edge"), c.Proxy("spare")
	if edge == nil || spare == nil || c.Proxy("nosuch") != nil {
		t.Fatalf("proxies %v", c.Proxies)
	}
	if edge.Server != netip.MustParseAddrPort("127.0.0.1:2500") || spare.Server != netip.MustParseAddrPort("[::1]:2501") {
		t.Errorf("servers %v %v", edge.Server, spare.Server)
	}
	want := []ProxyClient{
		{IP: netip.MustParseAddr("192.0.2.10"), Host: "o10.example.net"},
		{IP: netip.MustParseAddr("2001:db8::10"), Host: "o10v6.example.net"},
		{IP: netip.MustParseAddr("192.0.2.11"), Port: 4000},
	}
	if len(edge.Clients) != len(want) {
		t.Fatalf("clients %+v", edge.Clients)
	}
	for i := range want {
		if edge.Clients[i] != want[i] {
			t.Errorf("client %d: %+v, want %+v", i, edge.Clients[i], want[i])
		}
	}
	if len(c.DefaultProxies) != 1 || c.DefaultProxies[0] != edge {
		t.Errorf("default proxies %v", c.DefaultProxies)
	}
	if ps := c.VMTA("via-default").Proxies; len(ps) != 1 || ps[0] != edge {
		t.Errorf("via-default sends through %v", ps)
	}
	if ps := c.VMTA("via-own").Proxies; len(ps) != 2 || ps[0] != spare || ps[1] != edge {
		t.Errorf("via-own sends through %v", ps)
	}
	if cl, ok := edge.Client(netip.MustParseAddr("::ffff:192.0.2.11")); !ok || cl.Port != 4000 {
		t.Errorf("client 192.0.2.11: %+v %v", cl, ok)
	}
	if _, ok := edge.Client(netip.MustParseAddr("198.51.100.7")); ok {
		t.Error("edge lists 198.51.100.7")
	}
	if cl, ok := spare.Client(netip.MustParseAddr("198.51.100.7")); !ok || cl.IP != netip.MustParseAddr("198.51.100.7") {
		t.Errorf("a proxy without client lines refused an address: %+v", cl)
	}
	if _, ok := spare.Client(netip.Addr{}); ok {
		t.Error("a proxy sends from no address")
	}
	if cl, ok := edge.FirstClient(false); !ok || cl.Host != "o10v6.example.net" {
		t.Errorf("first IPv6 client %+v", cl)
	}
	if _, ok := spare.FirstClient(true); ok {
		t.Error("spare has a first client")
	}

	dump := c.Dump()
	for _, line := range []string{"use-proxy edge\n", "<proxy edge>\n", "    server 127.0.0.1:2500\n",
		"    client 2001:db8::10 o10v6.example.net\n", "    client 192.0.2.11:4000\n", "    server [::1]:2501\n",
		"    use-proxy spare,edge\n"} {
		if !strings.Contains(dump, line) {
			t.Errorf("dump lacks %q:\n%s", line, dump)
		}
	}
	c2, probs := LoadText("dump.conf", []byte(dump))
	if len(probs) > 0 || c2.Dump() != dump {
		t.Errorf("the dump does not load back the same: %v", probs)
	}
}

// TestProxyProblems: each mistake is reported at its line or block.
func TestProxyProblems(t *testing.T) {
	wantOneProblem(t, map[string]string{
		"<proxy p>\nclient 192.0.2.1\n</proxy>\n":                     "t.conf:1: <proxy p>: expected a server IP:PORT line",
		"<proxy p>\nserver proxy.example.net:2500\n</proxy>\n":        "t.conf:2: server: expected IP:PORT",
		"<proxy p>\nserver 127.0.0.1\n</proxy>\n":                     "t.conf:2: server: expected IP:PORT",
		"<proxy p>\nserver 127.0.0.1:1\nclient a.b c\n</proxy>\n":     "t.conf:3: client: expected IP[:PORT] [HOSTNAME]",
		"<proxy p>\nserver 127.0.0.1:1\nclient 1.2.3.4 a b\n</proxy>": "t.conf:3: client: expected IP[:PORT] [HOSTNAME]",
		"<proxy>\nserver 127.0.0.1:1\n</proxy>\n":                     "t.conf:1: <proxy>: expected a name",
		"use-proxy nosuch\n":                                          "t.conf:1: use-proxy: unknown proxy \"nosuch\"",
		"<virtual-mta v>\nuse-proxy nosuch\n</virtual-mta>\n":         "t.conf:1: virtual-mta v: use-proxy: unknown proxy \"nosuch\"",
		"<proxy p>\nserver 127.0.0.1:1\nclient 192.0.2.1\n</proxy>\n<virtual-mta v>\nsmtp-source-host 192.0.2.2 b.example\nuse-proxy p\n</virtual-mta>\n": "t.conf:5: virtual-mta v: smtp-source-host 192.0.2.2 is not a client of its proxies (p)",
		"<proxy p>\nserver 127.0.0.1:1\n</proxy>\n<proxy p>\nserver 127.0.0.1:2\n</proxy>\n":                                                              "t.conf:4: duplicate proxy \"p\"",
		"<proxy p>\nserver 127.0.0.1:1\nmax-smtp-out 3\n</proxy>\n":                                                                                       "t.conf:3: directive \"max-smtp-out\" is not allowed in <proxy>",
	})
}
