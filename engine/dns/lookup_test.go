package dns

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestLookupMX resolves each kind of route against unbound.
func TestLookupMX(t *testing.T) {
	u := startUnbound(t)
	clk := newClock()
	r := newResolver(t, clk, u.addr)
	ctx := context.Background()
	t0 := clk.Now()

	tests := []struct {
		name, domain string
		want         Route
		err          error
	}{
		{name: "two hosts dual-stack", domain: "mx.test", want: Route{
			Domain: "mx.test",
			Hosts: []Host{
				{Name: "a.mx.test", Pref: 10, Addrs: addrs("127.0.0.2", "::1")},
				{Name: "b.mx.test", Pref: 20, Addrs: addrs("127.0.0.3", "::1")},
			},
			Expires: t0.Add(100 * time.Second), // the AAAA of a.mx.test
		}},
		{name: "case and trailing dot", domain: "MX.Test.", want: Route{
			Domain: "mx.test",
			Hosts: []Host{
				{Name: "a.mx.test", Pref: 10, Addrs: addrs("127.0.0.2", "::1")},
				{Name: "b.mx.test", Pref: 20, Addrs: addrs("127.0.0.3", "::1")},
			},
			Expires: t0.Add(100 * time.Second),
		}},
		{name: "MX host behind a CNAME", domain: "cname.test", want: Route{
			Domain: "cname.test",
			Hosts:  []Host{{Name: "alias.cname.test", Pref: 10, Addrs: addrs("127.0.0.4")}},
			// The CNAME's 60 s beats the A's 300 s; the AAAA NODATA's 30 s beats both.
			Expires: t0.Add(30 * time.Second),
		}},
		{name: "domain is a CNAME", domain: "domalias.test", want: Route{
			Domain: "domalias.test",
			Hosts: []Host{
				{Name: "a.mx.test", Pref: 10, Addrs: addrs("127.0.0.2", "::1")},
				{Name: "b.mx.test", Pref: 20, Addrs: addrs("127.0.0.3", "::1")},
			},
			Expires: t0.Add(100 * time.Second),
		}},
		{name: "implicit MX", domain: "implicit.test", want: Route{
			Domain:   "implicit.test",
			Hosts:    []Host{{Name: "implicit.test", Addrs: addrs("127.0.0.5")}},
			Implicit: true,
			Expires:  t0.Add(30 * time.Second), // MX NODATA and AAAA NODATA
		}},
		{name: "null MX", domain: "null.test", want: Route{
			Domain: "null.test", NullMX: true, Expires: t0.Add(300 * time.Second),
		}},
		{name: "first host missing", domain: "partial.test", want: Route{
			Domain:  "partial.test",
			Hosts:   []Host{{Name: "ok.partial.test", Pref: 20, Addrs: addrs("127.0.0.7", "::1")}},
			Expires: t0.Add(30 * time.Second), // the missing host's NXDOMAIN
		}},
		{name: "exchange in mixed case", domain: "upper.test", want: Route{
			Domain:  "upper.test",
			Hosts:   []Host{{Name: "mixed.upper.test", Pref: 10, Addrs: addrs("127.0.0.8", "::1")}},
			Expires: t0.Add(300 * time.Second),
		}},
		{name: "literal", domain: "[192.0.2.1]", want: Route{
			Domain:  "[192.0.2.1]",
			Hosts:   []Host{{Name: "[192.0.2.1]", Addrs: addrs("192.0.2.1")}},
			Literal: true,
		}},
		{name: "IPv6 literal", domain: "[IPv6:2001:db8::1]", want: Route{
			Domain:  "[IPv6:2001:db8::1]",
			Hosts:   []Host{{Name: "[IPv6:2001:db8::1]", Addrs: addrs("2001:db8::1")}},
			Literal: true,
		}},
		{name: "NXDOMAIN", domain: "nx.test", err: ErrNoSuchDomain},
		{name: "only host missing", domain: "nohost.test", err: ErrNoAddress},
		{name: "no MX and no address", domain: "noaddr.test", err: ErrNoAddress},
		{name: "not a name", domain: "a..test", err: ErrNoSuchDomain},
		{name: "refused outside test.", domain: "example.com", err: ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.LookupMX(ctx, tc.domain)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("LookupMX(%q) = %+v, %v; want error %v", tc.domain, got, err, tc.err)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T is not an *Error", err)
				}
				return
			}
			tcheck(t, err, "LookupMX "+tc.domain)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("LookupMX(%q)\n got %+v\nwant %+v", tc.domain, got, tc.want)
			}
		})
	}
}

// TestLookupMXEqualPreference checks that hosts of equal preference come
// after better ones, all present, in an order that varies between fetches
// and holds while cached.
func TestLookupMXEqualPreference(t *testing.T) {
	u := startUnbound(t)
	clk := newClock()
	r := newResolver(t, clk, u.addr)
	orders := map[string]bool{}
	for range 40 {
		rt, err := r.LookupMX(context.Background(), "equal.test")
		tcheck(t, err, "LookupMX")
		names := hostNames(rt)
		if len(names) != 4 || names[0] != "first.equal.test" {
			t.Fatalf("hosts %v: want first.equal.test then the three of preference 10", names)
		}
		tier := slices.Sorted(slices.Values(names[1:]))
		if !slices.Equal(tier, []string{"e1.equal.test", "e2.equal.test", "e3.equal.test"}) {
			t.Fatalf("hosts %v", names)
		}
		again, _ := r.LookupMX(context.Background(), "equal.test")
		if !slices.Equal(hostNames(again), names) {
			t.Fatalf("cached order changed: %v then %v", names, hostNames(again))
		}
		orders[names[1]+names[2]+names[3]] = true
		r.Flush()
	}
	if len(orders) < 2 {
		t.Errorf("40 fetches gave one order of the preference-10 tier: %v", orders)
	}
}

// TestLookupAddrs resolves hosts named directly.
func TestLookupAddrs(t *testing.T) {
	u := startUnbound(t)
	r := newResolver(t, newClock(), u.addr)
	ctx := context.Background()
	tests := []struct {
		host string
		want []string
		err  error
	}{
		{host: "b.mx.test", want: []string{"127.0.0.3", "::1"}},
		{host: "A.MX.TEST.", want: []string{"127.0.0.2", "::1"}},
		{host: "alias.cname.test", want: []string{"127.0.0.4"}},
		{host: "192.0.2.9", want: []string{"192.0.2.9"}},
		{host: "[192.0.2.9]", want: []string{"192.0.2.9"}},
		{host: "2001:db8::9", want: []string{"2001:db8::9"}},
		{host: "missing.test", err: ErrNoSuchDomain},
		{host: "noaddr.test", err: ErrNoAddress},
		{host: "mx.test", err: ErrNoAddress}, // MX records only
		{host: "bad name.test", err: ErrNoSuchDomain},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			got, err := r.LookupAddrs(ctx, tc.host)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("LookupAddrs(%q) = %v, %v; want error %v", tc.host, got, err, tc.err)
				}
				return
			}
			tcheck(t, err, "LookupAddrs "+tc.host)
			if !equalAddrs(got, addrs(tc.want...)) {
				t.Errorf("LookupAddrs(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}

// TestTruncatedRetriesOverTCP resolves a host whose A records do not fit in
// 1232 bytes: unbound sets TC over UDP and the resolver asks again over TCP.
func TestTruncatedRetriesOverTCP(t *testing.T) {
	u := startUnbound(t)
	r := newResolver(t, newClock(), u.addr)
	got, err := r.LookupAddrs(context.Background(), "big.test")
	tcheck(t, err, "LookupAddrs big.test")
	sorted := slices.SortedFunc(slices.Values(got), netip.Addr.Compare) // unbound rotates RRsets
	if len(got) != 100 || sorted[0] != addrs("127.0.1.1")[0] || sorted[99] != addrs("127.0.1.100")[0] {
		t.Fatalf("got %d addresses %v, want 127.0.1.1 to 127.0.1.100", len(got), got)
	}
	if s := r.Stats(); s.TCP != 1 || s.Queries != 3 {
		t.Errorf("stats %+v: want 1 TCP retry among 3 queries (A, AAAA, A over TCP)", s)
	}
}
