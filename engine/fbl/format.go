package fbl

import (
	"net/netip"
	"strings"
)

// stringFormat is a JSON Schema "format" that the XARF schemas use. Each check
// follows the RFC that JSON Schema names for it, and accepts what the XARF
// projects' own validator (ajv with ajv-formats, "full" mode) accepts, so
// a sample means the same here as there.
type stringFormat uint8

const (
	fmtNone     stringFormat = iota
	fmtDateTime              // RFC 3339 §5.6 date-time
	fmtEmail                 // RFC 5321 Mailbox, dot-atom local part, dotted domain
	fmtHostname              // RFC 1123 §2.1 host name
	fmtIPv4                  // RFC 2673 §3.2 dotted-quad
	fmtIPv6                  // RFC 4291 §2.2 text form
	fmtURI                   // RFC 3986 URI: scheme required
	fmtUUID                  // RFC 4122 §3 text form
	fmtCount
)

var fmtNames = [fmtCount]string{"", "date-time", "email address", "hostname", "IPv4 address",
	"IPv6 address", "URI", "UUID"}

func (f stringFormat) String() string {
	if f < fmtCount {
		return fmtNames[f]
	}
	return "stringFormat(?)"
}

func (f stringFormat) valid(s string) bool {
	switch f {
	case fmtDateTime:
		return isDateTime(s)
	case fmtEmail:
		return isEmail(s)
	case fmtHostname:
		return isHostname(s)
	case fmtIPv4:
		a, err := netip.ParseAddr(s) // rejects leading zeros, as RFC 2673 does
		return err == nil && a.Is4()
	case fmtIPv6:
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6() && a.Zone() == "" && !strings.Contains(s, "%")
	case fmtURI:
		return isURI(s)
	case fmtUUID:
		return isUUID(s)
	}
	return true
}

// isDateTime checks RFC 3339 §5.6: full-date "T" full-time, where the
// time zone is required. Like RFC 3339's note on §5.6, "t", "z" and a space
// for "T" are accepted. A leap second must fall at 23:59:60 UTC.
func isDateTime(s string) bool {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	offset := 0 // minutes east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return false
		}
		offset = oh*60 + om
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return false
	}
	if sec == 60 { // RFC 3339 §5.7: only the last minute of a UTC day has one
		utc := ((hour*60+minute-offset)%1440 + 1440) % 1440
		return utc == 23*60+59
	}
	return true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// isEmail checks local@domain with a dot-atom local part (RFC 5322 §3.2.3
// atext, no quoted strings) and a domain of at least two host-name labels.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for _, atom := range strings.Split(local, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			if !isAtext(atom[i]) {
				return false
			}
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !isLabel(l, len(l)) {
			return false
		}
	}
	return true
}

// isAtext reports an RFC 5322 §3.2.3 atext octet.
func isAtext(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// isLabel checks a host-name label: letters, digits and inner hyphens
// (RFC 1123 §2.1), at most maxLen octets.
func isLabel(l string, maxLen int) bool {
	if l == "" || len(l) > maxLen || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isHostname checks RFC 1123 §2.1: labels of at most 63 octets, at most 253
// octets in all; one trailing dot (the root) is allowed.
func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !isLabel(l, 63) {
			return false
		}
	}
	return true
}

// isURI checks RFC 3986 §3: a scheme, then only characters a URI may hold
// (unreserved, reserved, and %-escapes with two hex digits).
func isURI(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 {
		return false
	}
	for i := 0; i < colon; i++ { // RFC 3986 §3.1
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0: // RFC 3986 §2.2, §2.3
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// isUUID checks the RFC 4122 §3 text form, 8-4-4-4-12 hex digits, with an
// optional "urn:uuid:" prefix.
func isUUID(s string) bool {
	if len(s) >= 9 && strings.EqualFold(s[:9], "urn:uuid:") {
		s = s[9:]
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
