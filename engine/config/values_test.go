package config

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// errText is err's message, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		err  string
	}{
		{"yes", true, ""}, {"YES", true, ""}, {"true", true, ""}, {"On", true, ""}, {"1", true, ""},
		{"no", false, ""}, {"False", false, ""}, {"off", false, ""}, {"0", false, ""},
		{"maybe", false, `expected yes or no (or true/false, on/off, 1/0), got "maybe"`},
		{"", false, `expected yes or no (or true/false, on/off, 1/0), got ""`},
		{"yes ", false, `expected yes or no (or true/false, on/off, 1/0), got "yes "`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseBool(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParseBool(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	const e = "expected a size like 512, 10k, 20M or unlimited, got "
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""}, {"512", 512, ""}, {"10k", 10 << 10, ""}, {"20M", 20 << 20, ""},
		{"1g", 1 << 30, ""}, {"2t", 2 << 40, ""}, {"10MB", 10 << 20, ""}, {"10kb", 10 << 10, ""},
		{"512b", 512, ""}, {"512B", 512, ""}, {"unlimited", 0, ""}, {"UNLIMITED", 0, ""},
		{"8388607t", 8388607 << 40, ""},
		{"ten", 0, e + `"ten"`},
		{"", 0, e + `""`},
		{"b", 0, e + `"b"`},
		{"M", 0, e + `"M"`},
		{"-1", 0, e + `"-1"`},
		{"1.5G", 0, e + `"1.5G"`},
		{"10 M", 0, e + `"10 M"`},
		{"10x", 0, e + `"10x"`},
		{"10MBB", 0, e + `"10MBB"`},
		{"8388608t", 0, e + `"8388608t" (too large)`},
		{"99999999999999999999", 0, e + `"99999999999999999999"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParseSize(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
		})
	}
}

func TestParseInterval(t *testing.T) {
	const e = "expected a time interval like 300s, 10m or 1w2d12h, got "
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"300s", 300 * time.Second, ""}, {"10m", 10 * time.Minute, ""}, {"10M", 10 * time.Minute, ""},
		{"4d12h", 4*day + 12*time.Hour, ""}, {"1w2d12h30m10s", 9*day + 12*time.Hour + 30*time.Minute + 10*time.Second, ""},
		{"600", 600 * time.Second, ""}, {"0", 0, ""}, {"0s", 0, ""}, {"1h1h", 2 * time.Hour, ""},
		{"never", 0, e + `"never"`},
		{"NEVER", 0, e + `"never"`},
		{"", 0, e + `""`},
		{"10", 10 * time.Second, ""},
		{"1h30", 0, e + `"1h30"`},
		{"h", 0, e + `"h"`},
		{"10x", 0, e + `"10x"`},
		{"-5m", 0, e + `"-5m"`},
		{"1.5h", 0, e + `"1.5h"`},
		{"10 m", 0, e + `"10 m"`},
		{"99999999999999999", 0, e + `"99999999999999999" (too large)`},
		{"15251w", 0, e + `"15251w" (too large)`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseInterval(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParseInterval(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
		})
	}
	if _, err := ParseInterval("Never"); !errors.Is(err, ErrNever) {
		t.Errorf("ParseInterval(never) error %v is not ErrNever", err)
	}
}

func TestIntervalString(t *testing.T) {
	day := 24 * time.Hour
	for d, want := range map[time.Duration]string{
		0: "0s", 10 * time.Minute: "10m", 4*day + 12*time.Hour: "4d12h", 8 * day: "1w1d",
		time.Hour + time.Second: "1h1s", 1500 * time.Millisecond: "1s",
	} {
		if got := intervalString(d); got != want {
			t.Errorf("intervalString(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseIntervalList(t *testing.T) {
	const e = "expected a list of time intervals like 10m,1h,4h, got "
	m, h := time.Minute, time.Hour
	tests := []struct {
		in   string
		want []time.Duration
		err  string
	}{
		{"10m", []time.Duration{10 * m}, ""},
		{"10m,10m,1h,4h", []time.Duration{10 * m, 10 * m, h, 4 * h}, ""},
		{"10m, 1h ,\t2h", []time.Duration{10 * m, h, 2 * h}, ""},
		{"1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m", slices.Repeat([]time.Duration{m}, 30), ""},
		{"1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m", nil, "expected at most 30 intervals separated by commas, got 31"},
		{"", nil, e + `"": expected a time interval like 300s, 10m or 1w2d12h, got ""`},
		{"10m,,1h", nil, e + `"10m,,1h": expected a time interval like 300s, 10m or 1w2d12h, got ""`},
		{"10m,never", nil, e + `"10m,never": expected a time interval like 300s, 10m or 1w2d12h, got "never"`},
		{"10m;1h", nil, e + `"10m;1h": expected a time interval like 300s, 10m or 1w2d12h, got "10m;1h"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseIntervalList(tc.in)
			if !slices.Equal(got, tc.want) || errText(err) != tc.err {
				t.Errorf("ParseIntervalList(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	const e = "expected a rate like 3000/h, 100/15m or unlimited, got "
	day := 24 * time.Hour
	tests := []struct {
		in    string
		want  Rate
		canon string
		err   string
	}{
		{"3000/h", Rate{3000, time.Hour}, "3000/h", ""},
		{"100/15m", Rate{100, 15 * time.Minute}, "100/15m", ""},
		{"2000/day", Rate{2000, day}, "2000/d", ""},
		{"10/min", Rate{10, time.Minute}, "10/m", ""},
		{"5/s", Rate{5, time.Second}, "5/s", ""},
		{"5/sec", Rate{5, time.Second}, "5/s", ""},
		{"7/hr", Rate{7, time.Hour}, "7/h", ""},
		{"7/HOUR", Rate{7, time.Hour}, "7/h", ""},
		{"1/1h", Rate{1, time.Hour}, "1/h", ""},
		{"1/60m", Rate{1, time.Hour}, "1/h", ""},
		{"1/90s", Rate{1, 90 * time.Second}, "1/90s", ""},
		{"1/2d", Rate{1, 2 * day}, "1/2d", ""},
		{"0/d", Rate{0, day}, "0/d", ""},
		{"unlimited", Rate{}, "unlimited", ""},
		{"Unlimited", Rate{}, "unlimited", ""},
		{"0", Rate{}, "unlimited", ""},
		{"3000", Rate{}, "", e + `"3000"`},
		{"3000/", Rate{}, "", e + `"3000/"`},
		{"/h", Rate{}, "", e + `"/h"`},
		{"3000/week", Rate{}, "", e + `"3000/week"`},
		{"3000/0h", Rate{}, "", e + `"3000/0h"`},
		{"-1/h", Rate{}, "", e + `"-1/h"`},
		{"1/h/h", Rate{}, "", e + `"1/h/h"`},
		{"1 /h", Rate{}, "", e + `"1 /h"`},
		{"", Rate{}, "", e + `""`},
		{"1/999999999999d", Rate{}, "", e + `"1/999999999999d" (interval too large)`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParseRate(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
			if err == nil && got.String() != tc.canon {
				t.Errorf("String() = %q, want %q", got.String(), tc.canon)
			}
		})
	}
	if !(Rate{}).Unlimited() || (Rate{0, time.Hour}).Unlimited() || (Rate{1, time.Hour}).Unlimited() {
		t.Error("Unlimited() is wrong")
	}
}

func TestParsePrefix(t *testing.T) {
	const e = "expected an IP address or CIDR like 10.0.0.0/8, got "
	mp := netip.MustParsePrefix
	tests := []struct {
		in   string
		want netip.Prefix
		err  string
	}{
		{"10.0.0.0/8", mp("10.0.0.0/8"), ""},
		{"10.1.2.3/8", mp("10.0.0.0/8"), ""},
		{"0/0", mp("0.0.0.0/0"), ""},
		{"0.0.0.0/0", mp("0.0.0.0/0"), ""},
		{"::/0", mp("::/0"), ""},
		{"2001:db8::/32", mp("2001:db8::/32"), ""},
		{"2001:DB8::1/32", mp("2001:db8::/32"), ""},
		{"192.0.2.1", mp("192.0.2.1/32"), ""},
		{"2001:db8::1", mp("2001:db8::1/128"), ""},
		{"", netip.Prefix{}, e + `""`},
		{"10.0.0.0/33", netip.Prefix{}, e + `"10.0.0.0/33"`},
		{"10/8", netip.Prefix{}, e + `"10/8"`},
		{"example.com", netip.Prefix{}, e + `"example.com"`},
		{"fe80::1%eth0", netip.Prefix{}, e + `"fe80::1%eth0"`},
		{"10.0.0.0/", netip.Prefix{}, e + `"10.0.0.0/"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePrefix(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParsePrefix(%q) = %v, %q; want %v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
		})
	}
}

func TestParseRegex(t *testing.T) {
	tests := []struct {
		in      string
		match   string // matched, when not ""
		nomatch string // not matched, when not ""
		err     string
	}{
		{in: `/421 .*try again later/`, match: "421 4.7.0 Please TRY AGAIN LATER"},
		{in: `/(?-i)TS01/`, match: "x TS01", nomatch: "x ts01"},
		{in: `/\x23 code/`, match: "# code"},
		{in: `/^[45]\.1\.1/`, match: "5.1.1 no such user", nomatch: "5x1x1"},
		{in: `//`, match: "anything"},
		{in: `/a\/b/`, match: "A/B"},
		{in: `/(?<ip>\d+\.\d+)/`, match: "1.2"},
		{in: `421 x`, err: `expected a regular expression between slashes like /^5\.1\.1/, got "421 x"`},
		{in: `/`, err: `expected a regular expression between slashes like /^5\.1\.1/, got "/"`},
		{in: `/abc`, err: `expected a regular expression between slashes like /^5\.1\.1/, got "/abc"`},
		{in: ``, err: `expected a regular expression between slashes like /^5\.1\.1/, got ""`},
		{in: `/a(/`, err: "expected a valid regular expression, got \"/a(/\": error parsing regexp: missing closing ): `(?i)a(`"},
		{in: `/(?=x)/`, err: "expected a valid regular expression, got \"/(?=x)/\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			re, err := ParseRegex(tc.in)
			if errText(err) != tc.err {
				t.Fatalf("ParseRegex(%q) error %q, want %q", tc.in, errText(err), tc.err)
			}
			if err != nil {
				return
			}
			if tc.match != "" && !re.MatchString(tc.match) {
				t.Errorf("%q does not match %q", tc.in, tc.match)
			}
			if tc.nomatch != "" && re.MatchString(tc.nomatch) {
				t.Errorf("%q matches %q", tc.in, tc.nomatch)
			}
		})
	}
}

func TestParseDomainPattern(t *testing.T) {
	const e = "expected a domain pattern like example.com, *.example.com, [*.]example.com or *, got "
	tests := []struct {
		in    string
		want  DomainPattern
		canon string
		err   string
	}{
		{"*", DomainPattern{Kind: PatternAny}, "*", ""},
		{"Example.COM", DomainPattern{Kind: PatternExact, Domain: "example.com"}, "example.com", ""},
		{"*.example.com", DomainPattern{Kind: PatternSubdomains, Domain: "example.com"}, "*.example.com", ""},
		{"[*.]example.com", DomainPattern{Kind: PatternDomainAndSubs, Domain: "example.com"}, "[*.]example.com", ""},
		{"[10.0.0.0/8]", DomainPattern{Kind: PatternLiteral, Prefix: netip.MustParsePrefix("10.0.0.0/8")}, "[10.0.0.0/8]", ""},
		{"[192.0.2.1]", DomainPattern{Kind: PatternLiteral, Prefix: netip.MustParsePrefix("192.0.2.1/32")}, "[192.0.2.1/32]", ""},
		{"[2001:db8::/32]", DomainPattern{Kind: PatternLiteral, Prefix: netip.MustParsePrefix("2001:db8::/32")}, "[2001:db8::/32]", ""},
		{"outlook.rollup", DomainPattern{Kind: PatternExact, Domain: "outlook.rollup"}, "outlook.rollup", ""},
		{"_dmarc.x-y.com", DomainPattern{Kind: PatternExact, Domain: "_dmarc.x-y.com"}, "_dmarc.x-y.com", ""},
		{"", DomainPattern{}, "", e + `"" (no domain)`},
		{"a..b", DomainPattern{}, "", e + `"a..b" (empty label)`},
		{"example.com.", DomainPattern{}, "", e + `"example.com." (empty label)`},
		{".example.com", DomainPattern{}, "", e + `".example.com" (empty label)`},
		{"*.", DomainPattern{}, "", e + `"*." (no domain)`},
		{"[*.]", DomainPattern{}, "", e + `"[*.]" (no domain)`},
		{"**", DomainPattern{}, "", e + `"**" (unexpected '*')`},
		{"a.*.com", DomainPattern{}, "", e + `"a.*.com" (unexpected '*')`},
		{"yahoo.$MAC", DomainPattern{}, "", e + `"yahoo.$MAC" (unexpected '$')`},
		{"ex ample.com", DomainPattern{}, "", e + `"ex ample.com" (unexpected ' ')`},
		{"[10.0.0.0/33]", DomainPattern{}, "", `expected an address literal like [10.0.0.0/8], got "[10.0.0.0/33]"`},
		{"[]", DomainPattern{}, "", e + `"[]" (unexpected '[')`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDomainPattern(tc.in)
			if got != tc.want || errText(err) != tc.err {
				t.Errorf("ParseDomainPattern(%q) = %+v, %q; want %+v, %q", tc.in, got, errText(err), tc.want, tc.err)
			}
			if err == nil && got.String() != tc.canon {
				t.Errorf("String() = %q, want %q", got.String(), tc.canon)
			}
		})
	}
}

func TestDomainPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		yes, no []string
	}{
		{"*", []string{"example.com", "a", "[1.2.3.4]"}, nil},
		{"example.com", []string{"example.com"}, []string{"a.example.com", "xexample.com", "example.co", ""}},
		{"*.example.com", []string{"a.example.com", "a.b.example.com"}, []string{"example.com", "xexample.com", ".example.com"}},
		{"[*.]example.com", []string{"example.com", "a.example.com"}, []string{"xexample.com", "example.org"}},
		{"[10.0.0.0/8]", []string{"[10.1.2.3]"}, []string{"10.0.0.1", "[11.0.0.1]", "example.com", "[ipv6:::1]"}},
		{"[2001:db8::/32]", []string{"[IPv6:2001:db8::1]", "[ipv6:2001:db8:ffff::]"}, []string{"[ipv6:2001:db9::1]", "[10.0.0.1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			p, err := ParseDomainPattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.yes {
				if !p.Match(d) {
					t.Errorf("%q does not match %q", tc.pattern, d)
				}
			}
			for _, d := range tc.no {
				if p.Match(d) {
					t.Errorf("%q matches %q", tc.pattern, d)
				}
			}
		})
	}
}

func TestDomainPatternMatchAllocs(t *testing.T) {
	pats := []string{"*", "example.com", "*.example.com", "[*.]example.com", "[10.0.0.0/8]", "[2001:db8::/32]"}
	for _, s := range pats {
		p, err := ParseDomainPattern(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"a.example.com", "[10.1.2.3]", "[IPv6:2001:db8::1]"} {
			if n := testing.AllocsPerRun(100, func() { p.Match(d) }); n != 0 {
				t.Errorf("%q.Match(%q): %v allocs, want 0", s, d, n)
			}
		}
	}
}

func TestPatternKindString(t *testing.T) {
	if got := PatternDomainAndSubs.String(); got != "domain-and-subdomains" {
		t.Errorf("got %q", got)
	}
	if got := patternKindCount.String(); got != "PatternKind(5)" {
		t.Errorf("got %q", got)
	}
}
