package outbound

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// TestViaProxy: a vMTA's proxies are tried in order; one found unreachable
// is passed over while another can send from the address, and probed when
// none can; a vMTA without a source of the family sends from the proxy's
// first client of it; no proxy able to send from the address: no route.
func TestViaProxy(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte(`
<proxy a>
    server 127.0.0.1:2500
    client 192.0.2.1 a1.example
    client 2001:db8::1 a6.example
</proxy>
<proxy b>
    server 127.0.0.1:2501
    client 192.0.2.1:7 b1.example
</proxy>
<virtual-mta v>
    smtp-source-host 192.0.2.1 v.example
    use-proxy a,b
</virtual-mta>
<virtual-mta bare>
    use-proxy b
</virtual-mta>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	now := time.Unix(1_800_000_000, 0)
	d := &Deliverer{o: DelivererOptions{Config: cfg, Now: func() time.Time { return now }, Logf: t.Logf}}
	a, b := cfg.Proxy("a"), cfg.Proxy("b")
	src := netip.MustParseAddr("192.0.2.1")
	errTest := errors.New("connect: connection refused")
	pick := func(vmta string, src netip.Addr, v4 bool) (string, config.ProxyClient) {
		p, cl, ok := d.viaProxy(d.proxiesOf(vmta), src, v4)
		if !ok {
			return "", cl
		}
		return p.Name, cl
	}
	if name, cl := pick("v", src, true); name != "a" || cl.Host != "a1.example" {
		t.Errorf("first pick %s %+v, want a", name, cl)
	}
	if !d.proxyFailed(Target{Proxy: a, VMTA: "v", Source: src, Remote: netip.MustParseAddrPort("192.0.2.99:25")}, errTest) {
		t.Error("with b up, a's failure left no other proxy")
	}
	if name, cl := pick("v", src, true); name != "b" || cl.Port != 7 {
		t.Errorf("with a down: %s %+v, want b port 7", name, cl)
	}
	if d.proxyFailed(Target{Proxy: b, VMTA: "v", Source: src, Remote: netip.MustParseAddrPort("192.0.2.99:25")}, errTest) {
		t.Error("with a and b down, b's failure found another proxy")
	}
	if name, _ := pick("v", src, true); name != "a" {
		t.Errorf("all down: probed %q, want the first, a", name)
	}
	now = now.Add(proxyRetry)
	if name, _ := pick("v", src, true); name != "a" {
		t.Errorf("after proxyRetry: %q, want a", name)
	}
	if name, cl := pick("v", netip.Addr{}, false); name != "a" || cl.IP != netip.MustParseAddr("2001:db8::1") || cl.Host != "a6.example" {
		t.Errorf("no IPv6 source: %s %+v, want a's IPv6 client", name, cl)
	}
	if name, _ := pick("bare", netip.Addr{}, false); name != "" {
		t.Errorf("b has no IPv6 client, yet %q was picked", name)
	}
	if ps := d.proxiesOf("nosuch"); len(ps) != 0 {
		t.Errorf("mail without a vMTA goes through %v with no global use-proxy", ps)
	}
}
