package engine

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
)

// TestStaticRoute: smtp-hosts entries in their PowerMTA forms, levels in
// order, names resolved through addrs, bad entries skipped.
func TestStaticRoute(t *testing.T) {
	rr := &routeResolver{
		mx: func(ctx context.Context, domain string, port int) outbound.Route {
			return outbound.Route{Hosts: []outbound.Host{{Name: "mx." + domain, Addrs: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.9:25")}}}}
		},
		addrs: func(ctx context.Context, host string) ([]netip.Addr, time.Time, error) {
			if host == "relay.test" {
				return []netip.Addr{netip.MustParseAddr("127.0.0.7"), netip.MustParseAddr("::1")}, time.Time{}, nil
			}
			return nil, time.Time{}, errors.New("no such host")
		},
	}
	ds := &config.DomainSettings{DefaultSMTPPort: 2525, SMTPHosts: [][]string{
		{"[127.0.0.2]:2600", "127.0.0.3"}, {"relay.test:26", "missing.test", "[::1]", "lookup-mx:other.test", "bad:port"}}}
	r := rr.route(context.Background(), "example.com", ds)
	var got []string
	for _, h := range r.Hosts {
		for _, a := range h.Addrs {
			got = append(got, h.Name+"="+a.String())
		}
	}
	want := []string{"127.0.0.2=127.0.0.2:2600", "127.0.0.3=127.0.0.3:2525", "relay.test=127.0.0.7:26", "relay.test=[::1]:26",
		"::1=[::1]:2525", "mx.other.test=127.0.0.9:25"}
	if len(got) != len(want) {
		t.Fatalf("route %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("route %v, want %v", got, want)
		}
	}
	if r.Err != nil || r.Expires.IsZero() {
		t.Fatalf("route error %v, expires %v", r.Err, r.Expires)
	}
	none := rr.route(context.Background(), "example.com", &config.DomainSettings{SMTPHosts: [][]string{{"missing.test"}}})
	if none.Err == nil {
		t.Fatal("a route with no usable host has no error")
	}
}
