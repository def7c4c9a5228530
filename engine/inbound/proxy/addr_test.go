package proxy

import (
	"net/netip"
	"strings"
	"testing"
)

// checkAddrParsers asserts that parseIPv4 and parseIPv6 accept exactly what
// netip.ParseAddr accepts for their family (zones excluded) and agree on the
// value. The fuzz target calls it too.
func checkAddrParsers(t *testing.T, s string) {
	t.Helper()
	ref, err := netip.ParseAddr(s)
	ok4ref := err == nil && ref.Is4()
	ok6ref := err == nil && ref.Is6() && ref.Zone() == "" && !strings.Contains(s, "%")
	a4, ok4 := parseIPv4([]byte(s))
	if ok4 != ok4ref || (ok4 && a4 != ref) {
		t.Fatalf("parseIPv4(%q) = %v, %v; netip.ParseAddr = %v, %v", s, a4, ok4, ref, err)
	}
	a6, ok6 := parseIPv6([]byte(s))
	if ok6 != ok6ref || (ok6 && a6 != ref) {
		t.Fatalf("parseIPv6(%q) = %v, %v; netip.ParseAddr = %v, %v", s, a6, ok6, ref, err)
	}
}

var addrSeeds = []string{
	"0.0.0.0", "1.2.3.4", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3",
	"1.2.3.", ".1.2.3", "1.2.3.4a", "", "1.2.3.00", "1.2.3.0",
	"::", "::1", "1::", "2001:db8::1", "2001:DB8::A:b", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6::7:8", "1::2::3", ":1::", "1:", ":1", "1:::2",
	"12345::", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
	"::1.2.3.4", "::1.2.3", "fe80::1%eth0", "::%", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "g::",
	"1.2.3.4::", "::ffff:01.2.3.4", "0:0:0:0:0:0:0:0", "::0:0", "a:b",
}

func TestAddrParsers(t *testing.T) {
	for _, s := range addrSeeds {
		checkAddrParsers(t, s)
	}
}

func TestParsePort(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1, "25": 25, "65535": 65535, "65536": -1, "00": -1,
		"01": -1, "": -1, "-1": -1, "+1": -1, "999999": -1, "1a": -1, " 1": -1} {
		p, ok := parsePort([]byte(s))
		if got := map[bool]int{true: int(p), false: -1}[ok]; got != want {
			t.Errorf("parsePort(%q) = %d, want %d", s, got, want)
		}
	}
}
