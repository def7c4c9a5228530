package inbound

import (
	"net/netip"
	"testing"

	"github.com/volleymta/volley/engine/inbound/proxy"
)

// TestProxyProtocol: behind a load balancer at 127.0.0.1 (accept-proxy-protocol),
// the policy follows the client the header names: 127.0.0.9 may not relay,
// 127.0.0.1 may; a connection without a header is closed unanswered.
func TestProxyProtocol(t *testing.T) {
	sp := memSpool(t)
	cfg := `host-name mx.volley.test
smtp-listener 127.0.0.1:0
<source 0/0>
    always-allow-relaying no
</source>
<source 127.0.0.1/32>
    always-allow-relaying yes
    accept-proxy-protocol yes
</source>
`
	_, addr := serve(t, cfg, sp)
	dest := netip.MustParseAddrPort(addr)
	for _, tc := range []struct {
		name   string
		client string
		v2     bool
		rcpt   string
	}{
		{"v2 outsider", "127.0.0.9:40001", true, "550 5.7.1"},
		{"v1 trusted", "127.0.0.1:40002", false, "250 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := proxy.Append(nil, proxy.Header{Command: proxy.Proxy, Source: netip.MustParseAddrPort(tc.client), Dest: dest}, tc.v2)
			cl := dialRaw(t, addr)
			cl.send(string(hdr) + "HELO c.test\r\n")
			cl.expect("220 ")
			cl.expect("250 ")
			cl.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n")
			cl.expect("250 ")
			cl.expect(tc.rcpt)
			cl.expect("221 ")
		})
	}
	cl := dialRaw(t, addr)
	cl.send("HELO c.test\r\n")
	if line, err := cl.br.ReadString('\n'); err == nil {
		t.Fatalf("a connection without a PROXY header got %q", line)
	}
}
