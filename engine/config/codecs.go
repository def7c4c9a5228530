package config

// Codecs: one parse and one canonical format function per value kind, so the directive
// table can say "this field is an interval" once and get both the setter and the Dump text.

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// codec parses a directive value into a T and formats it back in canonical config syntax.
type codec[T any] struct {
	parse  func(string) (T, error)
	format func(T) string
}

func errExpected(what, got string) error { return fmt.Errorf("expected %s, got %q", what, got) }

var cInt = codec[int]{
	parse: func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, errExpected("a whole number", s)
		}
		return n, nil
	},
	format: strconv.Itoa,
}

// cPriority is a 0..100 priority (queue-priority, spool priority).
var cPriority = codec[int]{
	parse: func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 100 {
			return 0, errExpected("a whole number from 0 to 100", s)
		}
		return n, nil
	},
	format: strconv.Itoa,
}

var cPort = codec[int]{
	parse: func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 65535 {
			return 0, errExpected("a port number from 0 to 65535", s)
		}
		return n, nil
	},
	format: strconv.Itoa,
}

var cBool = codec[bool]{parse: ParseBool, format: func(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}}

var cSize = codec[int64]{parse: ParseSize, format: canonSize}

// cDateHeaderTime is date-header-time. Volley writes an added Date field
// before the commit, when the message is received; PowerMTA's "delivery"
// (the time of each delivery) would change the stored, signed bytes at
// every attempt, so it is refused rather than ignored.
var cDateHeaderTime = codec[string]{
	parse: func(s string) (string, error) {
		switch strings.ToLower(s) {
		case "reception":
			return "reception", nil
		case "delivery":
			return "", errors.New("not supported: Volley dates a message when it receives it (the stored message is what is signed and sent); delete the line")
		}
		return "", errExpected("reception or delivery", s)
	},
	format: func(s string) string { return s },
}

// cRunAsRoot is run-as-root. PowerMTA's "no" switches to its own user;
// volleyd runs as the user that starts it (systemd's User=), so "no" is
// refused rather than ignored.
var cRunAsRoot = boolRefusing(false, "volleyd runs as the user that starts it; start it as that user (systemd User=)")

// cIP is one IP address, IPv4 or IPv6.
var cIP = codec[netip.Addr]{
	parse: func(s string) (netip.Addr, error) {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return ip, errExpected("an IP address", s)
		}
		return ip, nil
	},
	format: netip.Addr.String,
}

// cAddress is one mailbox, local@domain (no angle brackets or spaces).
var cAddress = codec[string]{
	parse: func(s string) (string, error) {
		at := strings.LastIndexByte(s, '@')
		if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t<>,;\"") {
			return "", errExpected("an address like archive@example.com", s)
		}
		return s, nil
	},
	format: func(s string) string { return s },
}

// cMegabytes is a size whose bare number means megabytes (PowerMTA's
// deprecated spool-min-free-space MB); a suffixed size is taken as written.
var cMegabytes = codec[int64]{
	parse: func(s string) (int64, error) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<40 {
			return n << 20, nil
		}
		return ParseSize(s)
	},
	format: canonSize,
}

// cSizeUnlimited is a size where 0 means no limit and prints as "unlimited".
var cSizeUnlimited = codec[int64]{parse: ParseSize, format: func(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return canonSize(n)
}}

var cInterval = codec[time.Duration]{parse: ParseInterval, format: canonInterval}

// cIntervalNever accepts "never", stored as 0.
var cIntervalNever = codec[time.Duration]{
	parse: func(s string) (time.Duration, error) {
		d, err := ParseInterval(s)
		if errors.Is(err, ErrNever) {
			return 0, nil
		}
		return d, err
	},
	format: func(d time.Duration) string {
		if d == 0 {
			return "never"
		}
		return canonInterval(d)
	},
}

var cIntervalList = codec[[]time.Duration]{parse: ParseIntervalList, format: func(l []time.Duration) string {
	s := make([]string, len(l))
	for i, d := range l {
		s[i] = canonInterval(d)
	}
	return strings.Join(s, ",")
}}

var cRate = codec[Rate]{parse: ParseRate, format: Rate.String}

var cString = codec[string]{
	parse: func(s string) (string, error) {
		if s == "" {
			return "", errExpected("a value", s)
		}
		return s, nil
	},
	format: func(s string) string { return s },
}

// cList is a comma-separated list; spaces around items are dropped.
var cList = codec[[]string]{
	parse: func(s string) ([]string, error) {
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p == "" {
				return nil, errExpected("a comma-separated list", s)
			}
			out = append(out, p)
		}
		return out, nil
	},
	format: func(l []string) string { return strings.Join(l, ",") },
}

// cEnum accepts one of the given words, case-insensitively, and stores it lower-cased.
func cEnum(words ...string) codec[string] {
	return codec[string]{
		parse: func(s string) (string, error) {
			l := strings.ToLower(s)
			for _, w := range words {
				if l == w {
					return w, nil
				}
			}
			return "", errExpected("one of "+strings.Join(words, ", "), s)
		},
		format: func(s string) string { return s },
	}
}

var cPrefixRate = codec[SourceIPRate]{
	parse: func(s string) (SourceIPRate, error) {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return SourceIPRate{}, errExpected("CIDR RATE like 192.0.2.0/24 100/h", s)
		}
		p, err := ParsePrefix(a)
		if err != nil {
			return SourceIPRate{}, err
		}
		r, err := ParseRate(strings.TrimSpace(b))
		return SourceIPRate{p, r}, err
	},
	format: func(r SourceIPRate) string { return r.Prefix.String() + " " + r.Rate.String() },
}

var cPrefixInt = codec[SourceIPLimit]{
	parse: func(s string) (SourceIPLimit, error) {
		a, b, ok := strings.Cut(s, " ")
		if !ok {
			return SourceIPLimit{}, errExpected("CIDR N like 192.0.2.0/24 10", s)
		}
		p, err := ParsePrefix(a)
		if err != nil {
			return SourceIPLimit{}, err
		}
		n, err := cInt.parse(strings.TrimSpace(b))
		return SourceIPLimit{p, n}, err
	},
	format: func(l SourceIPLimit) string { return l.Prefix.String() + " " + strconv.Itoa(l.N) },
}

var cSourceHost = codec[SourceHost]{
	parse: func(s string) (SourceHost, error) {
		a, h, ok := strings.Cut(s, " ")
		h = strings.TrimSpace(h)
		ip, err := netip.ParseAddr(a)
		if !ok || err != nil || h == "" || strings.Contains(h, " ") {
			return SourceHost{}, errExpected("IP HOSTNAME like 192.0.2.10 mta1.example.net", s)
		}
		return SourceHost{ip, strings.ToLower(h)}, nil
	},
	format: func(h SourceHost) string { return h.IP.String() + " " + h.Host },
}

var cDomainKey = codec[DomainKey]{
	parse: func(s string) (DomainKey, error) {
		p := strings.Split(s, ",")
		if len(p) != 3 || strings.TrimSpace(p[0]) == "" || strings.TrimSpace(p[1]) == "" || strings.TrimSpace(p[2]) == "" {
			return DomainKey{}, errExpected("SELECTOR,DOMAIN,FILE", s)
		}
		return DomainKey{strings.TrimSpace(p[0]), strings.ToLower(strings.TrimSpace(p[1])), strings.TrimSpace(p[2])}, nil
	},
	format: func(k DomainKey) string { return k.Selector + "," + k.Domain + "," + k.File },
}

// parseListenAddr accepts IP:PORT, [v6]:PORT and PowerMTA's 0/0:PORT for "every address".
func parseListenAddr(s string) (netip.AddrPort, error) {
	if rest, ok := strings.CutPrefix(s, "0/0:"); ok {
		s = "0.0.0.0:" + rest
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, errExpected("IP:PORT like 0.0.0.0:25 or [::]:25", s)
	}
	return ap, nil
}

var cAddrPort = codec[netip.AddrPort]{parse: parseListenAddr, format: func(a netip.AddrPort) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}}

var cListener = codec[Listener]{
	parse: func(s string) (Listener, error) {
		f := strings.Fields(s)
		if len(f) == 0 || len(f) > 2 {
			return Listener{}, errExpected("IP:PORT [source=NAME]", s)
		}
		ap, err := parseListenAddr(f[0])
		if err != nil {
			return Listener{}, err
		}
		l := Listener{Addr: ap}
		if len(f) == 2 {
			name, ok := strings.CutPrefix(f[1], "source=")
			if !ok || name == "" {
				return Listener{}, errExpected("source=NAME after the address", f[1])
			}
			l.Source = name
		}
		return l, nil
	},
	format: func(l Listener) string {
		if l.Source != "" {
			return l.Addr.String() + " source=" + l.Source
		}
		return l.Addr.String()
	},
}

var cNameServer = codec[netip.AddrPort]{
	parse: func(s string) (netip.AddrPort, error) {
		if ip, err := netip.ParseAddr(s); err == nil {
			return netip.AddrPortFrom(ip, 53), nil
		}
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return ap, errExpected("IP or IP:PORT like 192.0.2.53", s)
		}
		return ap, nil
	},
	format: netip.AddrPort.String,
}

var cHTTPAccess = codec[HTTPAccess]{
	parse: func(s string) (HTTPAccess, error) {
		a, lv, _ := strings.Cut(s, " ")
		p, err := ParsePrefix(a)
		if err != nil {
			return HTTPAccess{}, err
		}
		lv, err = cEnum("none", "monitor", "operator", "admin").parse(strings.TrimSpace(lv))
		return HTTPAccess{p, lv}, err
	},
	format: func(h HTTPAccess) string { return h.Prefix.String() + " " + h.Level },
}

var cPickup = codec[Pickup]{
	parse: func(s string) (Pickup, error) {
		f := strings.Fields(s)
		if len(f) != 2 {
			return Pickup{}, errExpected("DIR BADDIR", s)
		}
		return Pickup{f[0], f[1]}, nil
	},
	format: func(p Pickup) string { return p.Dir + " " + p.BadDir },
}

var cDomainPattern = codec[DomainPattern]{parse: ParseDomainPattern, format: DomainPattern.String}

// cSMTPHosts parses "a,b; [192.0.2.1]:2525; lookup-mx:example.com".
var cSMTPHosts = codec[[][]string]{
	parse: func(s string) ([][]string, error) {
		var out [][]string
		for _, lvl := range strings.Split(s, ";") {
			l, err := cList.parse(strings.TrimSpace(lvl))
			if err != nil {
				return nil, errExpected("hosts like mx1.example.com,mx2.example.com; [192.0.2.1]:25", s)
			}
			out = append(out, l)
		}
		return out, nil
	},
	format: func(l [][]string) string {
		s := make([]string, len(l))
		for i, x := range l {
			s[i] = strings.Join(x, ",")
		}
		return strings.Join(s, "; ")
	},
}

// cShards is shards N|auto; auto is stored as 0.
var cShards = codec[int]{
	parse: func(s string) (int, error) {
		if strings.EqualFold(s, "auto") {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, errExpected("a number of shards of at least 1, or auto", s)
		}
		return n, nil
	},
	format: func(n int) string {
		if n == 0 {
			return "auto"
		}
		return strconv.Itoa(n)
	},
}

// canonInterval prints a duration in PowerMTA's TIME-INTERVAL form, e.g. "4d12h", "10m".
func canonInterval(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range [...]struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.s)
			d -= n * u.d
		}
	}
	if d > 0 || b.Len() == 0 {
		b.WriteString(strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms")
	}
	return b.String()
}

// canonSize prints a byte count with the largest exact 1024-based unit, e.g. "250M".
func canonSize(n int64) string {
	for _, u := range [...]struct {
		m int64
		s string
	}{{1 << 40, "T"}, {1 << 30, "G"}, {1 << 20, "M"}, {1 << 10, "K"}} {
		if n != 0 && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

var cAddDate = cEnum("no", "yes", "override")

var cDKIMSign = cEnum("no", "yes", "if-x-dkim-options-present")

// defaultDKIM is PowerMTA's dkim-* defaults, for both signatures.
var defaultDKIM = DKIMOptions{Sign: "no", Algorithm: "rsa-sha256", BodyCanon: "relaxed", HeadersCanon: "relaxed",
	Identity: "sender-or-from", AddTimestamp: true, QueryMethod: "dns/txt"}

// cDKIMIdentity is dkim-identity: sender-or-from, from, sender, or a fixed
// identity (cDKIMFallback's forms).
var cDKIMIdentity = codec[string]{
	parse: func(s string) (string, error) {
		switch l := strings.ToLower(s); l {
		case "sender-or-from", "from", "sender":
			return l, nil
		}
		return cDKIMFallback.parse(s)
	},
	format: func(s string) string { return s },
}

// cDKIMFallback is a fixed signing identity: an address (user@domain or
// @domain) or a domain.
var cDKIMFallback = codec[string]{
	parse: func(s string) (string, error) {
		d := s[strings.LastIndexByte(s, '@')+1:]
		if d == "" || strings.ContainsAny(s, " \t,;<>\"") || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			return "", errExpected("sender-or-from, from, sender, an address (user@domain or @domain) or a domain", s)
		}
		return strings.ToLower(s), nil
	},
	format: func(s string) string { return s },
}

// cDKIMTimestamp is dkim-add-timestamp. go-msgauth's signer always writes
// t= (the signing time), so "no" would be a setting not honoured: refused.
var cDKIMTimestamp = boolRefusing(false, "Volley always writes t= (the signing time)")

// cDKIMBodyLimit is dkim-add-body-limit. l= lets anyone append text to a
// signed body and keep the signature valid (RFC 6376 §8.2); Volley does not
// write it, so "yes" is refused.
var cDKIMBodyLimit = boolRefusing(true, "Volley does not write l= (it lets anyone append to a signed body, RFC 6376 §8.2)")

// boolRefusing is a boolean that refuses the value bad, saying why, where
// Volley cannot do what it asks: an error at the line, not a setting
// silently not honoured.
// cAwaitSlot is smtp-await-slot: volleyd answers 421 past
// total-max-smtp-in rather than holding the connection for a slot.
var cAwaitSlot = boolRefusing(true, "past total-max-smtp-in volleyd answers 421 4.3.2, it does not hold connections waiting for a slot")

// cAutoCount is a positive count or "auto" (0): Volley's queues keep
// cold recipients on disk, not in memory, so "auto" sets no fixed limit.
var cAutoCount = codec[int]{
	parse: func(s string) (int, error) {
		if strings.EqualFold(s, "auto") {
			return 0, nil
		}
		n, err := cInt.parse(s)
		if err != nil || n <= 0 {
			return 0, errExpected("a count above 0 or auto", s)
		}
		return n, nil
	},
	format: func(n int) string {
		if n <= 0 {
			return "auto"
		}
		return strconv.Itoa(n)
	},
}

// cNotBuilt refuses every value of a directive whose feature Volley does
// not have, saying what would happen if it were ignored.
func cNotBuilt(why string) codec[string] {
	return codec[string]{
		parse: func(s string) (string, error) {
			return "", errors.New("not supported: " + why + "; delete the line")
		},
		format: func(s string) string { return s },
	}
}

func boolRefusing(bad bool, why string) codec[bool] {
	return codec[bool]{
		parse: func(s string) (bool, error) {
			b, err := ParseBool(s)
			if err == nil && b == bad {
				return false, errors.New("not supported: " + why + "; delete the line")
			}
			return b, err
		},
		format: cBool.format,
	}
}

// cAPIKey is an http-api-key: PowerMTA accepts 32 to 128 characters.
var cAPIKey = codec[string]{
	parse: func(s string) (string, error) {
		if len(s) < 32 || len(s) > 128 || strings.ContainsAny(s, " \t") {
			return "", errExpected("a key of 32 to 128 characters without spaces", s)
		}
		return s, nil
	},
	format: func(s string) string { return s },
}

// recordNames maps accounting record type names, long and short, to the short form.
var recordNames = map[string]string{
	"d": "d", "delivery": "d", "b": "b", "bounce": "b", "t": "t", "transient": "t",
	"tq": "tq", "transient-queue": "tq", "r": "r", "receipt": "r", "f": "f",
	"feedback-loop": "f", "rb": "rb", "remote-bounce": "rb", "rs": "rs", "remote-status": "rs",
}

// cRecords is a list of accounting record types such as "d,b,t"; long names are accepted
// and stored short.
var cRecords = codec[[]string]{
	parse: func(s string) ([]string, error) {
		l, err := cList.parse(s)
		if err != nil {
			return nil, err
		}
		for i, x := range l {
			short, ok := recordNames[strings.ToLower(x)]
			if !ok {
				return nil, errExpected("record types from d, b, t, tq, r, f, rb, rs", s)
			}
			l[i] = short
		}
		return l, nil
	},
	format: cList.format,
}

var cHashedFile = codec[HashedFile]{
	parse: func(s string) (HashedFile, error) {
		f := strings.Fields(s)
		h := HashedFile{Algorithm: "sha256"}
		switch {
		case len(f) == 1:
			h.File = f[0]
		case len(f) == 2 && (strings.EqualFold(f[1], "sha256") || strings.EqualFold(f[1], "md5")):
			h.File, h.Algorithm = f[0], strings.ToLower(f[1])
		default:
			return h, errExpected("FILE [sha256|md5]", s)
		}
		return h, nil
	},
	format: func(h HashedFile) string { return h.File + " " + h.Algorithm },
}

// setTLSCert parses smtp-server-tls-certificate FILE [PASSWORD].
func setTLSCert(t *target, v string) error {
	return setCertLine(v, &t.g.TLSCertificate, &t.g.TLSCertificatePassword)
}

func getTLSCert(t *target) []string { return certLine(t.g.TLSCertificate, t.g.TLSCertificatePassword) }

// setRecordFields parses record-fields TYPE FIELD,FIELD,...
func setRecordFields(t *target, v string) error {
	typ, fields, ok := strings.Cut(v, " ")
	short, known := recordNames[strings.ToLower(typ)]
	if !ok || !known {
		return errExpected("TYPE FIELDS like d *,!orcpt,header_X-Foo", v)
	}
	l, err := cList.parse(strings.TrimSpace(fields))
	if err != nil {
		return err
	}
	m := make(map[string][]string, len(t.acct.RecordFields)+1)
	for k, x := range t.acct.RecordFields {
		m[k] = x
	}
	m[short] = l
	t.acct.RecordFields = m
	return nil
}

func getRecordFields(t *target) []string {
	var out []string
	for _, k := range []string{"d", "b", "t", "tq", "r", "f", "rb", "rs"} {
		if l, ok := t.acct.RecordFields[k]; ok {
			out = append(out, k+" "+strings.Join(l, ","))
		}
	}
	return out
}

// setAddress adds an address, a /regex/ or a bare local part to an address list.
func setAddress(t *target, v string) error {
	if v == "" || strings.Contains(v, " ") {
		return errExpected("one address, local part or /regex/", v)
	}
	if strings.HasPrefix(v, "/") {
		re, err := ParseRegex(v)
		if err != nil {
			return err
		}
		t.al.Patterns = append(t.al.Patterns[:len(t.al.Patterns):len(t.al.Patterns)], re)
		return nil
	}
	t.al.Addresses = append(t.al.Addresses[:len(t.al.Addresses):len(t.al.Addresses)], strings.ToLower(v))
	return nil
}

func getAddresses(t *target) []string {
	out := append([]string(nil), t.al.Addresses...)
	for _, re := range t.al.Patterns {
		out = append(out, "/"+strings.TrimPrefix(re.String(), "(?i)")+"/")
	}
	return out
}

// cColdRate is max-cold-virtual-mta-msg N/day, where 0 means no cold routing (not
// "unlimited" as for other rates).
var cColdRate = codec[Rate]{parse: ParseRate, format: func(r Rate) string {
	if r.Count == 0 {
		return "0/d"
	}
	return r.String()
}}

// cPerHour is the deprecated max-msg-per-hour N, stored as the rate N/h.
var cPerHour = codec[Rate]{
	parse: func(s string) (Rate, error) {
		n, err := cInt.parse(s)
		if err != nil || n == 0 {
			return Rate{}, err
		}
		return Rate{Count: int64(n), Per: time.Hour}, nil
	},
	format: func(r Rate) string {
		if r.Unlimited() || r.Per != time.Hour {
			return "0"
		}
		return strconv.FormatInt(r.Count, 10)
	},
}
