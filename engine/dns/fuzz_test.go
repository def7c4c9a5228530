package dns

import (
	"strings"
	"testing"
)

// FuzzCanonical checks that canonical names are fixed points: lower case,
// no trailing dot, and canonical again unchanged.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"example.com", "Example.COM.", "a..b", ".", "_x-y.z", "bücher.test", "[192.0.2.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := canonical(s)
		if !ok {
			return
		}
		if c != strings.ToLower(c) || strings.HasSuffix(c, ".") || !strings.EqualFold(c, strings.TrimSuffix(s, ".")) {
			t.Fatalf("canonical(%q) = %q", s, c)
		}
		if again, ok := canonical(c); !ok || again != c {
			t.Fatalf("canonical(%q) = %q, %v; not a fixed point", c, again, ok)
		}
	})
}

// FuzzParseLiteral checks that a parsed literal formats to an address that
// parses back to itself, bracketed or not.
func FuzzParseLiteral(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[192.0.2.1]", "[IPv6:2001:db8::1]", "[::ffff:1.2.3.4]", "fe80::1%eth0", "[]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseLiteral(s)
		if !ok {
			return
		}
		if a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ParseLiteral(%q) = %v", s, a)
		}
		for _, form := range []string{a.String(), "[" + a.String() + "]"} {
			if b, ok := ParseLiteral(form); !ok || b != a {
				t.Fatalf("ParseLiteral(%q) = %v, %v; want %v", form, b, ok, a)
			}
		}
		if a.Is6() {
			if b, ok := ParseLiteral("[IPv6:" + a.String() + "]"); !ok || b != a {
				t.Fatalf("IPv6-tagged form of %v: %v, %v", a, b, ok)
			}
		}
	})
}
