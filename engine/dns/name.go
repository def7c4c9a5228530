package dns

import (
	"net/netip"
	"strings"
)

// canonical returns name in the form the cache keys on: lower case, with no
// trailing dot. ok is false for anything that is not a hostname in the
// letters-digits-hyphen sense (underscores allowed, as in the wild): empty
// labels, labels over 63 octets, names over 253, other octets. A name that
// is canonical already is returned as it is, without allocating: that is
// the cache-hit path.
func canonical(name string) (_ string, ok bool) {
	name = strings.TrimSuffix(name, ".") // RFC 1034 §3.1: the root label
	if len(name) == 0 || len(name) > 253 {
		return "", false
	}
	upper, label := false, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '.':
			if label == 0 {
				return "", false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case 'A' <= c && c <= 'Z':
			upper = true // RFC 4343: names compare case-insensitively
		default:
			return "", false
		}
		if label++; label > 63 {
			return "", false
		}
	}
	if label == 0 {
		return "", false
	}
	if upper {
		name = strings.ToLower(name)
	}
	return name, true
}

// fqdn is the name as asked on the wire.
func fqdn(name string) string { return name + "." }

// ParseLiteral returns the address of a host given as an IP literal, which
// needs no DNS: "192.0.2.1", "2001:db8::1", or bracketed as an SMTP address
// literal, "[192.0.2.1]", "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3) or
// "[2001:db8::1]". An IPv4-mapped IPv6 address is returned as IPv4.
// Addresses with a zone ("fe80::1%eth0") are refused: a zone names a local
// interface and has no place in a mail route.
func ParseLiteral(host string) (netip.Addr, bool) {
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
		if len(host) > 5 && strings.EqualFold(host[:5], "IPv6:") {
			host = host[5:]
			if !strings.Contains(host, ":") { // RFC 5321 §4.1.3: IPv6 syntax only
				return netip.Addr{}, false
			}
		}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
