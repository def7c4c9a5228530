package dns

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/volleymta/volley/internal/testdns"
)

// zone is the test data unbound serves. Everything lives under test., which
// unbound answers from local data; every other name is refused, so a test
// can never make unbound recurse to the Internet. TTLs are distinct where a
// test checks which one a route's expiry came from.
var zone = []string{
	"test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30", // negative TTL 30 s

	// Two MX hosts, dual-stack; the route expires with the AAAA of a (100 s).
	"mx.test. 300 IN MX 10 a.mx.test.",
	"mx.test. 300 IN MX 20 b.mx.test.",
	"a.mx.test. 120 IN A 127.0.0.2",
	"a.mx.test. 100 IN AAAA ::1",
	"b.mx.test. 200 IN A 127.0.0.3",
	"b.mx.test. 250 IN AAAA ::1",

	// Three hosts share preference 10, behind one at 5.
	"equal.test. 300 IN MX 5 first.equal.test.",
	"equal.test. 300 IN MX 10 e1.equal.test.",
	"equal.test. 300 IN MX 10 e2.equal.test.",
	"equal.test. 300 IN MX 10 e3.equal.test.",
	"first.equal.test. 300 IN A 127.0.0.10",
	"e1.equal.test. 300 IN A 127.0.0.11",
	"e2.equal.test. 300 IN A 127.0.0.12",
	"e3.equal.test. 300 IN A 127.0.0.13",

	"null.test. 300 IN MX 0 .",                   // RFC 7505
	"implicit.test. 300 IN A 127.0.0.5",          // no MX: implicit MX
	"cname.test. 300 IN MX 10 alias.cname.test.", // MX host behind a CNAME
	"alias.cname.test. 60 IN CNAME real.cname.test.",
	"real.cname.test. 300 IN A 127.0.0.4",
	"domalias.test. 300 IN CNAME mx.test.", // the domain itself is a CNAME
	"short.test. 2 IN MX 10 a.short.test.", // short TTLs
	"a.short.test. 2 IN A 127.0.0.6",
	"a.short.test. 2 IN AAAA ::1",
	"nohost.test. 300 IN MX 10 missing.nohost.test.",   // the only host does not exist
	"partial.test. 300 IN MX 10 missing.partial.test.", // the first host does not exist
	"partial.test. 300 IN MX 20 ok.partial.test.",
	"ok.partial.test. 300 IN A 127.0.0.7",
	"ok.partial.test. 300 IN AAAA ::1",
	`noaddr.test. 300 IN TXT "no MX, no A"`, // exists, nothing to deliver to
	"upper.test. 300 IN MX 10 MiXeD.Upper.TEST.",
	"mixed.upper.test. 300 IN A 127.0.0.8",
	"mixed.upper.test. 300 IN AAAA ::1",
}

// bigZone holds a host with 100 A records: more than 1232 bytes, so the UDP
// answer is truncated and the resolver must retry over TCP.
func bigZone() []string {
	var z []string
	for i := 1; i <= 100; i++ {
		z = append(z, fmt.Sprintf("big.test. 300 IN A 127.0.1.%d", i))
	}
	return z
}

// Zones with their own SOA for the negative-TTL bounds.
var negZones = map[string]string{
	"neg1.test.": "neg1.test. 1 IN SOA ns.test. admin.test. 1 3600 600 86400 1",         // below the 5 s floor
	"neg2.test.": "neg2.test. 86400 IN SOA ns.test. admin.test. 1 3600 600 86400 86400", // above the 5 min cap
}

// unbound is a running unbound serving zone on 127.0.0.1 (internal/testdns).
type unbound struct {
	addr netip.AddrPort
	srv  *testdns.Server
}

// startUnbound serves zone, bigZone and negZones under test.; it stops
// when the test ends.
func startUnbound(t testing.TB) *unbound {
	t.Helper()
	zones := testdns.Zones{"test.": ""}
	for z, soa := range negZones {
		zones[z] = soa
	}
	s := testdns.Start(t, zones, append(append([]string(nil), zone...), bigZone()...), "test.")
	return &unbound{addr: s.Addr, srv: s}
}

// stop kills unbound before the test ends (a cache must answer alone).
func (u *unbound) stop() { u.srv.Stop() }

func freePort(t testing.TB) uint16 { return testdns.FreePort(t) }
