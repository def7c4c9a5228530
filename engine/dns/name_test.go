package dns

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"example.com", "example.com", true},
		{"Example.COM.", "example.com", true},
		{"_dmarc.x-y.test", "_dmarc.x-y.test", true},
		{"localhost", "localhost", true},
		{strings.Repeat("a", 63) + ".test", strings.Repeat("a", 63) + ".test", true},
		{"", "", false},
		{".", "", false},
		{"a..b", "", false},
		{".a", "", false},
		{"a.b..", "", false},
		{strings.Repeat("a", 64) + ".test", "", false},
		{strings.Repeat("a.", 127) + "ab", "", false}, // 255 octets
		{"bad name", "", false},
		{"bücher.test", "", false}, // U-labels: callers pass A-labels
		{"[192.0.2.1]", "", false},
	}
	for _, tc := range tests {
		got, ok := canonical(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("canonical(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { canonical("mx.example.com") }); n != 0 {
		t.Errorf("canonical of a canonical name: %v allocs, want 0", n)
	}
}

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when not a literal
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"[192.0.2.1]", "192.0.2.1"},
		{"[IPv6:2001:db8::1]", "2001:db8::1"},
		{"[ipv6:2001:DB8::1]", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"[::ffff:192.0.2.1]", "192.0.2.1"},
		{"[IPv6:192.0.2.1]", ""}, // RFC 5321 §4.1.3: IPv6 syntax after the tag
		{"[192.0.2.1", ""},
		{"[]", ""},
		{"fe80::1%eth0", ""},
		{"example.com", ""},
		{"192.0.2.256", ""},
		{"[192.0.2.1]:25", ""},
	}
	for _, tc := range tests {
		a, ok := ParseLiteral(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("ParseLiteral(%q) = %v, want not a literal", tc.in, a)
			}
			continue
		}
		if !ok || a != netip.MustParseAddr(tc.want) {
			t.Errorf("ParseLiteral(%q) = %v, %v; want %s", tc.in, a, ok, tc.want)
		}
	}
}
