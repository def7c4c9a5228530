package config

// Value parsers for PowerMTA's value types (reference/powermta.md §2.1): BOOLEAN, SIZE,
// TIME-INTERVAL, rates, CIDRs, REGEX and domain patterns. Each takes a directive's Value
// and returns a typed value or an error that says what was expected and what was found;
// the model layer prefixes FILE:LINE. They allocate only for their result and error, and
// DomainPattern.Match not at all, because it runs per message.

import (
	"errors"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseBool parses PowerMTA's BOOLEAN: yes|no|true|false|on|off|1|0 in any case.
func ParseBool(s string) (bool, error) {
	switch lowerASCII(s) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0":
		return false, nil
	}
	return false, errors.New("expected yes or no (or true/false, on/off, 1/0), got " + strconv.Quote(s))
}

// ParseSize parses a byte count: digits with an optional 1024-based unit k, m, g or t (any
// case) and an optional trailing b ("10M", "10MB", "512b"). "unlimited" is 0, the value
// PowerMTA uses for "no limit".
func ParseSize(s string) (int64, error) {
	bad := func(why string) (int64, error) {
		return 0, errors.New("expected a size like 512, 10k, 20M or unlimited, got " + strconv.Quote(s) + why)
	}
	t := lowerASCII(s)
	if t == "unlimited" {
		return 0, nil
	}
	t = strings.TrimSuffix(t, "b")
	shift := 0
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			shift = 10
		case 'm':
			shift = 20
		case 'g':
			shift = 30
		case 't':
			shift = 40
		}
		if shift != 0 {
			t = t[:len(t)-1]
		}
	}
	n, ok := parseDigits(t)
	if !ok {
		return bad("")
	}
	if n > math.MaxInt64>>shift {
		return bad(" (too large)")
	}
	return n << shift, nil
}

// parseDigits parses a non-empty run of ASCII digits. Unlike strconv.ParseInt it rejects
// signs and underscores, which no config value has.
func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ErrNever is returned by ParseInterval for "never". Directives that accept never (such as
// backoff-to-normal-after) check errors.Is(err, ErrNever); for the others it is simply the
// error to report.
var ErrNever = errors.New(`expected a time interval like 300s, 10m or 1w2d12h, got "never"`)

// ParseInterval parses PowerMTA's TIME-INTERVAL: one or more number+unit pairs with units
// w, d, h, m, s in any case ("300s", "10m", "1w2d12h30m10s"), or a bare number of seconds.
// "never" returns ErrNever.
func ParseInterval(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, errors.New("expected a time interval like 300s, 10m or 1w2d12h, got " + strconv.Quote(s) + why)
	}
	t := lowerASCII(s)
	if t == "never" {
		return 0, ErrNever
	}
	if n, ok := parseDigits(t); ok {
		if n > int64(math.MaxInt64/time.Second) {
			return bad(" (too large)")
		}
		return time.Duration(n) * time.Second, nil
	}
	if t == "" {
		return bad("")
	}
	var total time.Duration
	for t != "" {
		i := 0
		for i < len(t) && '0' <= t[i] && t[i] <= '9' {
			i++
		}
		n, ok := parseDigits(t[:i])
		if !ok || i == len(t) {
			return bad("")
		}
		unit := intervalUnit(t[i])
		if unit == 0 {
			return bad("")
		}
		if n > int64((math.MaxInt64-total)/unit) {
			return bad(" (too large)")
		}
		total += time.Duration(n) * unit
		t = t[i+1:]
	}
	return total, nil
}

func intervalUnit(c byte) time.Duration {
	switch c {
	case 'w':
		return 7 * 24 * time.Hour
	case 'd':
		return 24 * time.Hour
	case 'h':
		return time.Hour
	case 'm':
		return time.Minute
	case 's':
		return time.Second
	}
	return 0
}

// intervalString is the canonical TIME-INTERVAL of a whole number of seconds: the largest
// units first, zero parts left out ("4d12h", "10m", "0s"). Sub-second parts are dropped.
// ParseInterval(intervalString(d)) == d for d >= 0 in whole seconds.
func intervalString(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b []byte
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := d / u.d; n > 0 {
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, u.c)
			d -= n * u.d
		}
	}
	if b == nil {
		return "0s"
	}
	return string(b)
}

// maxIntervalList is PowerMTA's limit on retry-after steps (§3.3.10).
const maxIntervalList = 30

// ParseIntervalList parses a comma-separated list of 1 to 30 TIME-INTERVALs, such as a
// retry-after schedule "10m,10m,1h,4h". Space around commas is allowed; "never" is not.
func ParseIntervalList(s string) ([]time.Duration, error) {
	n := strings.Count(s, ",") + 1
	if n > maxIntervalList {
		return nil, errors.New("expected at most 30 intervals separated by commas, got " + strconv.Itoa(n))
	}
	out := make([]time.Duration, 0, n)
	for part := range strings.SplitSeq(s, ",") {
		d, err := ParseInterval(trimSpace(part))
		if err != nil {
			return nil, errors.New("expected a list of time intervals like 10m,1h,4h, got " + strconv.Quote(s) + ": " + err.Error())
		}
		out = append(out, d)
	}
	return out, nil
}

// Rate is a count per interval, such as max-msg-rate 3000/h. The zero value is unlimited.
// A rate with Count 0 and a Per ("0/h") is not unlimited: it allows nothing, which is what
// max-cold-virtual-mta-msg 0/d means.
type Rate struct {
	Count int64
	Per   time.Duration
}

// Unlimited reports whether r sets no limit.
func (r Rate) Unlimited() bool { return r.Count == 0 && r.Per == 0 }

// String returns the canonical form: "unlimited", or COUNT/[N]UNIT with the largest of d, h,
// m, s that divides Per ("3000/h", "100/15m", "2000/d", "5/90s"). ParseRate(r.String())
// gives r back for every Rate ParseRate returns.
func (r Rate) String() string {
	if r.Unlimited() {
		return "unlimited"
	}
	b := strconv.AppendInt(nil, r.Count, 10)
	b = append(b, '/')
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if r.Per >= u.d && r.Per%u.d == 0 {
			if n := r.Per / u.d; n != 1 {
				b = strconv.AppendInt(b, int64(n), 10)
			}
			return string(append(b, u.c))
		}
	}
	return string(append(b, r.Per.String()...)) // not produced by ParseRate
}

// ParseRate parses COUNT/[N]UNIT with units s|sec|m|min|h|hr|hour|d|day in any case
// ("3000/h", "100/15m", "2000/day"), or "unlimited" or "0" for the zero (unlimited) Rate.
func ParseRate(s string) (Rate, error) {
	bad := func(why string) (Rate, error) {
		return Rate{}, errors.New("expected a rate like 3000/h, 100/15m or unlimited, got " + strconv.Quote(s) + why)
	}
	t := lowerASCII(s)
	if t == "unlimited" || t == "0" {
		return Rate{}, nil
	}
	num, per, ok := strings.Cut(t, "/")
	if !ok {
		return bad("")
	}
	count, ok := parseDigits(num)
	if !ok {
		return bad("")
	}
	i := 0
	for i < len(per) && '0' <= per[i] && per[i] <= '9' {
		i++
	}
	mult := int64(1)
	if i > 0 {
		if mult, ok = parseDigits(per[:i]); !ok || mult == 0 {
			return bad("")
		}
	}
	var unit time.Duration
	switch per[i:] {
	case "s", "sec":
		unit = time.Second
	case "m", "min":
		unit = time.Minute
	case "h", "hr", "hour":
		unit = time.Hour
	case "d", "day":
		unit = 24 * time.Hour
	default:
		return bad("")
	}
	if mult > int64(math.MaxInt64/unit) {
		return bad(" (interval too large)")
	}
	return Rate{Count: count, Per: time.Duration(mult) * unit}, nil
}

// ParsePrefix parses an IPv4 or IPv6 CIDR ("10.0.0.0/8", "2001:db8::/32"), PowerMTA's
// "0/0" for all of IPv4, or a bare address (a /32 or /128). Host bits are cleared, so
// "10.1.2.3/8" is 10.0.0.0/8, as PowerMTA treats it.
func ParsePrefix(s string) (netip.Prefix, error) {
	if s == "0/0" {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, errors.New("expected an IP address or CIDR like 10.0.0.0/8, got " + strconv.Quote(s))
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, errors.New("expected an IP address or CIDR like 10.0.0.0/8, got " + strconv.Quote(s))
	}
	return p.Masked(), nil
}

// ParseRegex compiles PowerMTA's /REGEX/. Like PowerMTA's pattern lists it is
// case-insensitive unless the expression starts with (?-i). The syntax is Go's RE2, which
// covers what PCRE configs use in practice (\x23 for '#', classes, named groups) but not
// lookaround or backreferences; those are errors.
func ParseRegex(s string) (*regexp.Regexp, error) {
	if len(s) < 2 || s[0] != '/' || s[len(s)-1] != '/' {
		return nil, errors.New("expected a regular expression between slashes like /^5\\.1\\.1/, got " + strconv.Quote(s))
	}
	expr := s[1 : len(s)-1]
	if !strings.HasPrefix(expr, "(?-i)") {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, errors.New("expected a valid regular expression, got " + strconv.Quote(s) + ": " + err.Error())
	}
	return re, nil
}

// PatternKind is the shape of a <domain> pattern (reference/powermta.md §2.1).
type PatternKind uint8

const (
	// PatternAny is "*": every domain.
	PatternAny PatternKind = iota
	// PatternExact is "example.com": that domain only.
	PatternExact
	// PatternSubdomains is "*.example.com": subdomains only, not example.com itself.
	PatternSubdomains
	// PatternDomainAndSubs is "[*.]example.com": example.com and its subdomains.
	PatternDomainAndSubs
	// PatternLiteral is "[10.0.0.0/8]": address literals (user@[10.1.2.3]) in the prefix.
	PatternLiteral
	patternKindCount
)

// String returns the kind's name.
func (k PatternKind) String() string {
	if k >= patternKindCount {
		return "PatternKind(" + strconv.Itoa(int(k)) + ")"
	}
	return [...]string{"any", "exact", "subdomains", "domain-and-subdomains", "literal"}[k]
}

// DomainPattern is a parsed <domain> pattern. Domain is lower-case without the wildcard
// part ("example.com" for "[*.]example.com"); Prefix is set only for PatternLiteral.
type DomainPattern struct {
	Kind   PatternKind
	Domain string
	Prefix netip.Prefix
}

// ParseDomainPattern parses "*", "example.com", "*.example.com", "[*.]example.com" or an
// address literal "[10.0.0.0/8]" / "[192.0.2.1]" / "[2001:db8::/32]". It lower-cases the
// domain and rejects empty labels ("a..b", "example.com.") and characters other than
// letters, digits, '-' and '_'. Macros ($NAME) must be expanded before.
func ParseDomainPattern(s string) (DomainPattern, error) {
	t := lowerASCII(s)
	p := DomainPattern{Kind: PatternExact}
	switch {
	case t == "*":
		return DomainPattern{Kind: PatternAny}, nil
	case strings.HasPrefix(t, "[*.]"):
		p.Kind, t = PatternDomainAndSubs, t[4:]
	case strings.HasPrefix(t, "*."):
		p.Kind, t = PatternSubdomains, t[2:]
	case len(t) > 2 && t[0] == '[' && t[len(t)-1] == ']':
		prefix, err := ParsePrefix(t[1 : len(t)-1])
		if err != nil {
			return DomainPattern{}, errors.New("expected an address literal like [10.0.0.0/8], got " + strconv.Quote(s))
		}
		return DomainPattern{Kind: PatternLiteral, Prefix: prefix}, nil
	}
	if why := checkDomain(t); why != "" {
		return DomainPattern{}, errors.New("expected a domain pattern like example.com, *.example.com, [*.]example.com or *, got " + strconv.Quote(s) + " (" + why + ")")
	}
	p.Domain = t
	return p, nil
}

// checkDomain returns why d is not a domain name, or "" when it is one.
func checkDomain(d string) string {
	if d == "" {
		return "no domain"
	}
	if len(d) > 253 {
		return "longer than 253 characters"
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" {
			return "empty label"
		}
		if len(label) > 63 {
			return "label longer than 63 characters"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "unexpected " + strconv.QuoteRune(rune(c))
			}
		}
	}
	return ""
}

// Match reports whether domain (lower-case, no trailing dot) is one the pattern covers. An
// address literal domain is written "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321
// §4.1.3); a domain without brackets is never a literal. Match does not allocate (it runs
// per recipient), except on a bracketed literal that is not an address, where netip's error
// does.
func (p DomainPattern) Match(domain string) bool {
	switch p.Kind {
	case PatternAny:
		return true
	case PatternExact:
		return domain == p.Domain
	case PatternSubdomains:
		return isSubdomain(domain, p.Domain)
	case PatternDomainAndSubs:
		return domain == p.Domain || isSubdomain(domain, p.Domain)
	case PatternLiteral:
		if len(domain) < 3 || domain[0] != '[' || domain[len(domain)-1] != ']' {
			return false
		}
		lit := domain[1 : len(domain)-1]
		if len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:") {
			lit = lit[5:]
		}
		a, err := netip.ParseAddr(lit)
		return err == nil && p.Prefix.Contains(a)
	}
	return false
}

// isSubdomain reports whether d is a strict subdomain of parent.
func isSubdomain(d, parent string) bool {
	return len(d) > len(parent)+1 && d[len(d)-len(parent)-1] == '.' && d[len(d)-len(parent):] == parent
}

// String returns the pattern as written in a config, in canonical form.
// ParseDomainPattern(p.String()) gives p back.
func (p DomainPattern) String() string {
	switch p.Kind {
	case PatternAny:
		return "*"
	case PatternSubdomains:
		return "*." + p.Domain
	case PatternDomainAndSubs:
		return "[*.]" + p.Domain
	case PatternLiteral:
		return "[" + p.Prefix.String() + "]"
	}
	return p.Domain
}
