package proxy

import "net/netip"

// The v1 address parsers work on []byte so that a header parses without
// allocating: netip.ParseAddr takes a string, and converting the borrowed
// input to one costs an allocation per address (measured: 1 alloc per call
// for both families, since ParseAddr's argument escapes through zones).
// They accept exactly what netip.ParseAddr accepts for the family, minus
// IPv6 zones, which the PROXY protocol does not carry; the tests and the
// fuzz target check that equivalence.

// parseIPv4 parses a dotted quad: four decimal fields in [0, 255], no
// leading zeros.
func parseIPv4(s []byte) (netip.Addr, bool) {
	var ip [4]byte
	field, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 { // leading zero
				return netip.Addr{}, false
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || field == 3 {
				return netip.Addr{}, false
			}
			ip[field] = byte(val)
			field++
			val, digits = 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if field != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	ip[3] = byte(val)
	return netip.AddrFrom4(ip), true
}

// parseIPv6 parses an RFC 4291 §2.2 text address: up to eight groups of one
// to four hex digits, at most one "::", and an optional trailing dotted quad.
// Zones ("%eth0") are rejected.
func parseIPv6(s []byte) (netip.Addr, bool) {
	var ip [16]byte
	ellipsis := -1 // byte index in ip where "::" stands
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		ellipsis = 0
		s = s[2:]
		if len(s) == 0 {
			return netip.IPv6Unspecified(), true
		}
	}
	i := 0
	for i < 16 {
		off, acc := 0, 0
		for off < len(s) {
			d, ok := hexVal(s[off])
			if !ok {
				break
			}
			if off == 4 {
				return netip.Addr{}, false
			}
			acc = acc<<4 | d
			off++
		}
		if off == 0 {
			return netip.Addr{}, false
		}
		if off < len(s) && s[off] == '.' { // RFC 4291 §2.2 form 3: x:x:x:x:x:x:d.d.d.d
			if (ellipsis < 0 && i != 12) || i+4 > 16 {
				return netip.Addr{}, false
			}
			v4, ok := parseIPv4(s)
			if !ok {
				return netip.Addr{}, false
			}
			b4 := v4.As4()
			copy(ip[i:], b4[:])
			i += 4
			s = nil
			break
		}
		ip[i], ip[i+1] = byte(acc>>8), byte(acc)
		i += 2
		s = s[off:]
		if len(s) == 0 {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return netip.Addr{}, false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis >= 0 {
				return netip.Addr{}, false
			}
			ellipsis = i
			s = s[1:]
			if len(s) == 0 {
				break
			}
		}
	}
	if len(s) != 0 {
		return netip.Addr{}, false
	}
	if i < 16 {
		if ellipsis < 0 {
			return netip.Addr{}, false
		}
		n := 16 - i
		for j := i - 1; j >= ellipsis; j-- {
			ip[j+n] = ip[j]
		}
		clear(ip[ellipsis : ellipsis+n])
	} else if ellipsis >= 0 {
		return netip.Addr{}, false // "::" must stand for at least one group
	}
	return netip.AddrFrom16(ip), true
}

func hexVal(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
