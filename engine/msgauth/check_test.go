package msgauth

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dmarc"

	"github.com/volleymta/volley/engine/config"
)

// TestCheckSPFAndDMARC: SPF judges the client against the MAIL FROM
// domain's record; DMARC passes with an aligned DKIM or SPF pass.
func TestCheckSPFAndDMARC(t *testing.T) {
	keys := newTestKeys(t)
	r := keys.resolver
	r.txt["example.org"] = []string{"v=spf1 ip4:127.0.0.1 -all"}
	r.txt["bounce.example.org"] = []string{"v=spf1 ip4:127.0.0.1 -all"}
	r.txt["other.test"] = []string{"v=spf1 ip4:127.0.0.1 -all"}
	r.txt["_dmarc.example.org"] = []string{"v=DMARC1; p=reject"}
	sig, err := Sign([]byte(testMsg), config.DomainKey{Selector: "ed", Domain: "example.org"}, keys.ed, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signed := append(sig, testMsg...)
	ok, bad := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	for _, tc := range []struct {
		name      string
		msg       string
		env       Envelope
		spf, dmar authres.ResultValue
	}{
		{"signed, spf pass", string(signed), Envelope{ok, "mx.example.org", "a@example.org"}, authres.ResultPass, authres.ResultPass},
		{"unsigned, aligned spf (relaxed)", testMsg, Envelope{ok, "mx", "b@bounce.example.org"}, authres.ResultPass, authres.ResultPass},
		{"unsigned, spf fail", testMsg, Envelope{bad, "mx", "a@example.org"}, authres.ResultFail, authres.ResultFail},
		{"unsigned, spf pass but not aligned", testMsg, Envelope{ok, "mx", "a@other.test"}, authres.ResultPass, authres.ResultFail},
		{"signed, spf fail", string(signed), Envelope{bad, "mx", "a@example.org"}, authres.ResultFail, authres.ResultPass},
		{"no spf record", testMsg, Envelope{ok, "mx", "a@nospf.test"}, authres.ResultNone, authres.ResultFail},
	} {
		v := Check(context.Background(), r, []byte(tc.msg), tc.env, Checks{SPF: true, DKIM: true})
		if v.SPF != tc.spf || v.DMARC != tc.dmar {
			t.Errorf("%s: spf=%s dmarc=%s, want spf=%s dmarc=%s", tc.name, v.SPF, v.DMARC, tc.spf, tc.dmar)
		}
	}
	// No DMARC record anywhere up the tree: none.
	nodmarc := strings.Replace(testMsg, "alice@example.org", "alice@sub.nodmarc.test", 1)
	if v := Check(context.Background(), r, []byte(nodmarc), Envelope{ok, "mx", "a@x.test"}, Checks{SPF: true}); v.DMARC != authres.ResultNone {
		t.Errorf("no DMARC record: dmarc=%s", v.DMARC)
	}
	// The organisational domain's record covers a subdomain author.
	sub := strings.Replace(testMsg, "alice@example.org", "alice@news.example.org", 1)
	if v := Check(context.Background(), r, []byte(sub), Envelope{bad, "mx", "a@x.test"}, Checks{SPF: true}); v.DMARC != authres.ResultFail {
		t.Errorf("subdomain of a reject domain: dmarc=%s, want fail", v.DMARC)
	}
}

// TestHeaderFormat: the Authentication-Results field RFC 8601 readers parse
// back into the same results.
func TestHeaderFormat(t *testing.T) {
	keys := newTestKeys(t)
	r := keys.resolver
	r.txt["example.org"] = []string{"v=spf1 ip4:127.0.0.1 -all"}
	sig, _ := Sign([]byte(testMsg), config.DomainKey{Selector: "rsa", Domain: "example.org"}, keys.rsa, SignOptions{})
	v := Check(context.Background(), r, append(sig, testMsg...), Envelope{netip.MustParseAddr("127.0.0.1"), "mx", "a@example.org"}, Checks{SPF: true, DKIM: true})
	h := string(v.Header("mta.example.net"))
	if !strings.HasPrefix(h, "Authentication-Results: mta.example.net;") || !strings.HasSuffix(h, "\r\n") {
		t.Fatalf("header %q", h)
	}
	for _, line := range strings.Split(strings.TrimSuffix(h, "\r\n"), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d octets", len(line))
		}
	}
	value := strings.TrimPrefix(strings.ReplaceAll(strings.TrimSuffix(h, "\r\n"), "\r\n", ""), "Authentication-Results:")
	id, results, err := authres.Parse(value)
	if err != nil || id != "mta.example.net" {
		t.Fatalf("parse %q: %q %v", value, id, err)
	}
	methods := map[string]authres.ResultValue{}
	for _, res := range results {
		switch x := res.(type) {
		case *authres.SPFResult:
			methods["spf"] = x.Value
		case *authres.DKIMResult:
			methods["dkim"] = x.Value
		case *authres.DMARCResult:
			methods["dmarc"] = x.Value
		case *authres.ARCResult:
			methods["arc"] = x.Value
		case *authres.GenericResult:
			methods[x.Method] = x.Value
		}
	}
	want := map[string]authres.ResultValue{"spf": "pass", "dkim": "pass", "dmarc": "none", "arc": "none"}
	for k, w := range want {
		if methods[k] != w {
			t.Errorf("%s=%s, want %s (header %q)", k, methods[k], w, h)
		}
	}
	if ri := v.ResInfo(); strings.Contains(ri, " arc=") || !strings.HasPrefix(ri, "spf=pass") {
		t.Errorf("ResInfo %q", ri)
	}
}

// TestOrgDomain: RFC 7489 §3.2's organisational domain comes from the
// Public Suffix List, so names under a multi-label suffix (co.uk, a private
// entry such as github.io) are separate organisations.
func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.org":           "example.org",
		"mail.news.example.org": "example.org",
		"Mail.Example.ORG.":     "example.org",
		"mail.bank.co.uk":       "bank.co.uk",
		"co.uk":                 "co.uk",
		"alice.github.io":       "alice.github.io",
		"sub.nodmarc.test":      "nodmarc.test",
		"localhost":             "localhost",
	} {
		if got := orgDomain(in); got != want {
			t.Errorf("orgDomain(%q) = %q, want %q", in, got, want)
		}
	}
	if aligned("evil.co.uk", "bank.co.uk", dmarc.AlignmentRelaxed) {
		t.Error("evil.co.uk is aligned with bank.co.uk: one registrant could pass DMARC as another")
	}
	if !aligned("mail.bank.co.uk", "bank.co.uk", dmarc.AlignmentRelaxed) || aligned("mail.bank.co.uk", "bank.co.uk", dmarc.AlignmentStrict) {
		t.Error("mail.bank.co.uk: want aligned with bank.co.uk when relaxed only")
	}
}

// TestDMARCUnderMultiLabelSuffix: a signature of another registrant under
// the same public suffix does not make a From domain pass; the From
// domain's policy is found at its organisational domain (bank.co.uk), not
// one label higher, and the labels in between are not asked.
func TestDMARCUnderMultiLabelSuffix(t *testing.T) {
	keys := newTestKeys(t)
	r := keys.resolver
	r.txt["_dmarc.bank.co.uk"] = []string{"v=DMARC1; p=reject"}
	r.txt["_dmarc.co.uk"] = []string{"v=DMARC1; p=none"} // must never be read
	from := strings.Replace(testMsg, "alice@example.org", "alice@news.bank.co.uk", 1)
	sig, err := Sign([]byte(from), config.DomainKey{Selector: "ed", Domain: "evil.co.uk"}, keys.ed, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.txt["ed._domainkey.evil.co.uk"] = r.txt["ed._domainkey.example.org"]
	signed := append(sig, from...)
	v := Check(context.Background(), r, signed, Envelope{netip.MustParseAddr("127.0.0.2"), "mx", "a@x.test"}, Checks{DKIM: true})
	if len(v.DKIM) != 1 || v.DKIM[0].Value != authres.ResultPass {
		t.Fatalf("evil.co.uk's signature: %+v, want one pass", v.DKIM)
	}
	if v.DMARC != authres.ResultFail {
		t.Errorf("From news.bank.co.uk signed by evil.co.uk: dmarc=%s, want fail (bank.co.uk's policy, no aligned pass)", v.DMARC)
	}
	var asked []string
	lookup := func(name string) ([]string, error) {
		asked = append(asked, name)
		return r.LookupTXT(context.Background(), name)
	}
	if _, err := lookupPolicy("dept.news.bank.co.uk", lookup); err != nil {
		t.Fatal(err)
	}
	if want := []string{"_dmarc.dept.news.bank.co.uk", "_dmarc.bank.co.uk"}; strings.Join(asked, " ") != strings.Join(want, " ") {
		t.Errorf("asked %v, want %v", asked, want)
	}
}

// TestIPRev: RFC 8601's iprev: a PTR name that resolves back to the
// client passes; a name that does not, or no PTR, fails; a name server
// that cannot answer is a temperror; the result goes into
// Authentication-Results as iprev=RESULT policy.iprev=IP.
func TestIPRev(t *testing.T) {
	r := mapResolver{
		ptr: map[string][]string{
			"192.0.2.5": {"other.test.", "mail.good.test."}, "192.0.2.6": {"liar.test."},
			"2001:db8::7": {"v6.good.test."}, "192.0.2.9": {"!temp"},
		},
		ip: map[string][]net.IPAddr{
			"mail.good.test": {{IP: net.ParseIP("192.0.2.5")}}, "liar.test": {{IP: net.ParseIP("192.0.2.99")}},
			"v6.good.test": {{IP: net.ParseIP("2001:db8::7")}},
		},
	}
	for ip, want := range map[string]authres.ResultValue{
		"192.0.2.5": authres.ResultPass, "192.0.2.6": authres.ResultFail, "192.0.2.8": authres.ResultFail,
		"2001:db8::7": authres.ResultPass, "192.0.2.9": authres.ResultTempError,
	} {
		v := Check(context.Background(), r, []byte(testMsg), Envelope{Client: netip.MustParseAddr(ip), HELO: "mx"}, Checks{IPRev: true})
		if v.IPRev != want {
			t.Errorf("%s: iprev=%s, want %s", ip, v.IPRev, want)
		}
		shown := ip
		if strings.Contains(ip, ":") {
			shown = `"` + ip + `"` // not a token: RFC 8601 quotes it
		}
		if h := string(v.Header("mx.volley.test")); !strings.Contains(h, "iprev="+string(want)+" policy.iprev="+shown) {
			t.Errorf("%s: header %q", ip, h)
		}
		if v.SPF != "" || v.DMARC != "" {
			t.Errorf("%s: iprev alone ran spf=%q dmarc=%q", ip, v.SPF, v.DMARC)
		}
	}
	if v := Check(context.Background(), r, []byte(testMsg), Envelope{Client: netip.MustParseAddr("192.0.2.5")}, Checks{}); v.IPRev != "" {
		t.Errorf("not asked for: iprev=%s", v.IPRev)
	}
}
