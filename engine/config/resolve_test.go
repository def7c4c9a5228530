package config

import (
	"net/netip"
	"testing"
)

const precedenceConf = `
domain-macro big gmail.com,yahoo.com
<domain *>
    max-smtp-out 1
    queue-priority 11
</domain>
<domain [*.]example.com>
    max-smtp-out 2
    backoff-max-smtp-out 12
</domain>
<domain *.example.com>
    max-smtp-out 3
</domain>
<domain *.sub.example.com>
    max-smtp-out 4
</domain>
<domain sub.example.com>
    max-smtp-out 5
</domain>
<domain gmail.com>
    max-smtp-out 7
</domain>
<domain $big>
    max-smtp-out 6
    max-msg-per-connection 16
</domain>
<domain [192.0.2.0/24]>
    max-smtp-out 13
</domain>
<virtual-mta v1>
    <domain gmail.com>
        max-smtp-out 8
    </domain>
    <domain *>
        max-errors-per-connection 9
    </domain>
</virtual-mta>
<virtual-mta v2>
</virtual-mta>
<virtual-mta v3>
</virtual-mta>
<virtual-mta-pool p>
    virtual-mta v1
    virtual-mta v2
    <domain gmail.com>
        max-smtp-out 10
        queue-priority 70
    </domain>
</virtual-mta-pool>
`

func mustLoad(t testing.TB, src string) *Config {
	t.Helper()
	c, probs := LoadText("t.conf", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return c
}

func TestEffectivePrecedence(t *testing.T) {
	c := mustLoad(t, precedenceConf)
	cases := []struct {
		name, domain, vmta string
		maxOut             int
		check              func(d *DomainSettings) bool
	}{
		{"domain * only", "other.org", "", 1, func(d *DomainSettings) bool { return d.QueuePriority == 11 }},
		{"[*.] matches apex", "example.com", "", 2, nil},
		{"*.x beats [*.]x, merges", "a.example.com", "", 3, func(d *DomainSettings) bool { return d.BackoffMaxSMTPOut == 12 && d.QueuePriority == 11 }},
		{"more labels win", "x.sub.example.com", "", 4, nil},
		{"exact beats patterns", "sub.example.com", "", 5, nil},
		{"macro expanded", "yahoo.com", "", 6, func(d *DomainSettings) bool { return d.MaxMsgPerConnection == 16 }},
		{"explicit beats macro, merges", "gmail.com", "", 7, func(d *DomainSettings) bool { return d.MaxMsgPerConnection == 16 }},
		{"literal domain", "[192.0.2.5]", "", 13, nil},
		{"pool beats top level", "gmail.com", "v2", 10, func(d *DomainSettings) bool { return d.QueuePriority == 70 }},
		{"vmta beats pool", "gmail.com", "v1", 8, func(d *DomainSettings) bool {
			return d.QueuePriority == 70 && d.MaxMsgPerConnection == 16 && d.MaxErrorsPerConnection == 9
		}},
		{"vmta * over top-level pattern", "a.example.com", "v1", 3, func(d *DomainSettings) bool { return d.MaxErrorsPerConnection == 9 }},
		{"vmta outside pool", "gmail.com", "v3", 7, nil},
		{"pool name as scope", "GMAIL.COM.", "p", 10, nil},
		{"unknown vmta", "gmail.com", "nope", 7, nil},
		{"default for unmatched in vmta", "zzz.org", "v1", 1, func(d *DomainSettings) bool { return d.MaxErrorsPerConnection == 9 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := c.Effective(tc.domain, tc.vmta)
			if d.MaxSMTPOut != tc.maxOut {
				t.Errorf("max-smtp-out = %d, want %d", d.MaxSMTPOut, tc.maxOut)
			}
			if tc.check != nil && !tc.check(d) {
				t.Errorf("merged settings wrong:\n%s", d.Dump())
			}
		})
	}
}

func TestBuiltinDefaultsWithoutDomainBlocks(t *testing.T) {
	c := mustLoad(t, "")
	d := c.Effective("example.com", "")
	if d.MaxSMTPOut != 20 || d.BackoffMaxMsgRate != d.MaxMsgRate || d.RetryAfter[0] != defaultDomain().RetryAfter[0] {
		t.Errorf("defaults wrong:\n%s", d.Dump())
	}
}

func TestBackoffRateFollowsMsgRate(t *testing.T) {
	c := mustLoad(t, "<domain *>\nmax-msg-rate 100/h\n</domain>\n<domain a.org>\nbackoff-max-msg-rate 10/h\n</domain>\n")
	if got := c.Effective("b.org", "").BackoffMaxMsgRate.String(); got != "100/h" {
		t.Errorf("unset backoff-max-msg-rate = %s, want 100/h", got)
	}
	if got := c.Effective("a.org", "").BackoffMaxMsgRate.String(); got != "10/h" {
		t.Errorf("backoff-max-msg-rate = %s, want 10/h", got)
	}
}

const sourceConf = `
<source 0/0>
    max-smtp-in 1
</source>
<source 10.0.0.0/8>
    max-smtp-in 2
    log-commands yes
</source>
<source 10.1.0.0/16>
    max-smtp-in 3
</source>
<source ::/0>
    max-smtp-in 4
</source>
<source 2001:db8::/32>
    max-smtp-in 5
</source>
<source mta1>
    require-auth yes
</source>
<source {auth}>
    always-allow-relaying yes
</source>
<source {pickup}>
    process-x-virtual-mta yes
</source>
smtp-listener 0/0:587 source=mta1
`

func TestSourceFor(t *testing.T) {
	c := mustLoad(t, sourceConf)
	cases := []struct {
		name, ip, src string
		auth          bool
		maxIn         int
		check         func(s *SourceSettings) bool
	}{
		{"0/0", "192.0.2.1", "", false, 1, func(s *SourceSettings) bool { return !s.LogCommands && !s.RequireAuth }},
		{"/8", "10.2.3.4", "", false, 2, func(s *SourceSettings) bool { return s.LogCommands }},
		{"longest prefix, inherits", "10.1.2.3", "", false, 3, func(s *SourceSettings) bool { return s.LogCommands }},
		{"mapped v4", "::ffff:10.1.2.3", "", false, 3, nil},
		{"ipv6 ::/0", "::1", "", false, 4, nil},
		{"ipv6 /32", "2001:db8::1", "", false, 5, nil},
		{"named over ip", "10.1.2.3", "mta1", false, 3, func(s *SourceSettings) bool { return s.RequireAuth && s.LogCommands }},
		{"auth", "192.0.2.1", "", true, 1, func(s *SourceSettings) bool { return s.AlwaysAllowRelaying }},
		{"named and auth", "192.0.2.1", "mta1", true, 1, func(s *SourceSettings) bool { return s.AlwaysAllowRelaying && s.RequireAuth }},
		{"unknown name ignored", "192.0.2.1", "nope", false, 1, nil},
		{"pickup", "", "{pickup}", false, 0, func(s *SourceSettings) bool { return s.ProcessXVirtualMTA && !s.AlwaysAllowRelaying }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ip netip.Addr
			if tc.ip != "" {
				ip = netip.MustParseAddr(tc.ip)
			}
			s := c.SourceFor(ip, tc.src, tc.auth)
			if s.MaxSMTPIn != tc.maxIn {
				t.Errorf("max-smtp-in = %d, want %d", s.MaxSMTPIn, tc.maxIn)
			}
			if tc.check != nil && !tc.check(s) {
				t.Errorf("merged settings wrong:\n%s", s.Dump())
			}
		})
	}
	if got := c.Global.Listeners[0].Source; got != "mta1" {
		t.Errorf("listener source = %q", got)
	}
}

func TestPools(t *testing.T) {
	c := mustLoad(t, precedenceConf)
	p := c.Pool("p")
	if p == nil || len(p.Members) != 2 || p.Members[0].Name != "v1" || p.Members[1] != c.VMTA("v2") {
		t.Fatalf("pool members wrong: %+v", p)
	}
	if c.VMTA("p") != nil || c.Pool("v1") != nil {
		t.Error("pool and vmta lookups mixed up")
	}
}

func TestDomainMacroNested(t *testing.T) {
	c := mustLoad(t, "domain-macro a x.org,y.org\ndomain-macro b $a,z.org\n<domain mx.$b>\nmax-smtp-out 3\n</domain>\n")
	for _, d := range []string{"mx.x.org", "mx.y.org", "mx.z.org"} {
		if got := c.Effective(d, "").MaxSMTPOut; got != 3 {
			t.Errorf("%s: max-smtp-out %d, want 3", d, got)
		}
	}
	if got := c.Effective("x.org", "").MaxSMTPOut; got != 20 {
		t.Errorf("x.org: max-smtp-out %d, want default 20", got)
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	c := mustLoad(t, precedenceConf+sourceConf)
	ip := netip.MustParseAddr("10.1.2.3")
	cases := map[string]func(){
		"exact":   func() { c.Effective("gmail.com", "v1") },
		"pattern": func() { c.Effective("a.b.example.com", "v2") },
		"default": func() { c.Effective("nowhere.test", "") },
		"source":  func() { c.SourceFor(ip, "mta1", true) },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per lookup, want 0", name, n)
		}
	}
}

// TestPatternIndexMatchesWalk checks the suffix index against a plain walk of the
// specificity-sorted pattern list.
func TestPatternIndexMatchesWalk(t *testing.T) {
	c := mustLoad(t, precedenceConf+"<domain *.b.c>\n</domain>\n<domain [*.]c>\n</domain>\n<domain [10.0.0.0/8]>\n</domain>\n")
	tb := &c.domains
	for _, d := range []string{"c", "b.c", "a.b.c", "x.a.b.c", "example.com", "a.example.com", "sub.example.com",
		"x.sub.example.com", "y.x.sub.example.com", "com", "[192.0.2.1]", "[10.1.1.1]", "[8.8.8.8]", "org", ""} {
		want := -1
		for i, p := range tb.patterns {
			if p.Match(d) {
				want = i
				break
			}
		}
		if got := tb.patternFor(d); got != want {
			t.Errorf("%q: index %d, walk %d", d, got, want)
		}
	}
}
