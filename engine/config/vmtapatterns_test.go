package config

import (
	"net/netip"
	"strings"
	"testing"
)

const vmtaPatternsConf = `<virtual-mta brand1>
</virtual-mta>
<virtual-mta promo>
</virtual-mta>
<virtual-mta yahoo>
</virtual-mta>
<virtual-mta-pool rest>
    virtual-mta brand1
</virtual-mta-pool>
<pattern-list select>
    header X-Campaign /^promo-/ virtual-mta=promo
    mail-from /@brand1\.example$/ virtual-mta=brand1
    rcpt-to /@(yahoo|ymail)\.com$/ virtual-mta=yahoo
    * virtual-mta=rest
</pattern-list>
<source 127.0.0.1>
    pattern-list select
</source>
`

// TestVMTAPatternList: entries in order, the first match wins; header
// entries read the message's field; * catches the rest.
func TestVMTAPatternList(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(vmtaPatternsConf))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	l := c.VMTAPatternList("select")
	if l == nil || len(l.Entries) != 4 || !l.RecipientDependent() {
		t.Fatalf("list %+v", l)
	}
	if name := c.SourceFor(netip.MustParseAddr("127.0.0.1"), "", false).PatternList; name != "select" {
		t.Errorf("source's pattern-list %q", name)
	}
	campaign := ""
	header := func(name string) (string, bool) {
		if strings.EqualFold(name, "X-Campaign") && campaign != "" {
			return campaign, true
		}
		return "", false
	}
	for _, tc := range []struct{ campaign, from, rcpt, want string }{
		{"promo-dec", "news@brand1.example", "a@yahoo.com", "promo"},
		{"", "news@BRAND1.example", "a@yahoo.com", "brand1"},
		{"weekly", "x@other.example", "a@YMAIL.com", "yahoo"},
		{"", "x@other.example", "a@gmail.com", "rest"},
	} {
		campaign = tc.campaign
		if got := l.VMTA(tc.from, tc.rcpt, header); got != tc.want {
			t.Errorf("%+v: %q", tc, got)
		}
	}
	if got := (&VMTAPatternList{}).VMTA("a@b", "c@d", header); got != "" {
		t.Errorf("an empty list chose %q", got)
	}
}

// TestVMTAPatternListProblems: every bad entry is named at its line.
func TestVMTAPatternListProblems(t *testing.T) {
	for entry, want := range map[string]string{
		"mail-from /(/ virtual-mta=v":      "t.conf:4: mail-from: ",
		"rcpt-to /x/":                      "t.conf:4: rcpt-to: expected virtual-mta=NAME after the pattern",
		"header /x/ virtual-mta=v":         "t.conf:4: header: expected header NAME /RE/",
		"* recipient-priority=10":          "t.conf:4: *: not supported: Volley's pattern-list chooses virtual-mta=NAME only",
		"rcpt-to /x/ call-to:list1":        "t.conf:4: rcpt-to: not supported",
		"mail-from /x/ virtual-mta=nosuch": "t.conf:4: pattern-list p: unknown virtual-mta or pool \"nosuch\"",
		"subject /x/ virtual-mta=v":        "t.conf:4: subject: expected mail-from /RE/",
		"* virtual-mta=v virtual-mta=v":    "t.conf:4: *: expected one virtual-mta=NAME",
	} {
		conf := "<virtual-mta v>\n</virtual-mta>\n<pattern-list p>\n" + entry + "\n</pattern-list>\n"
		_, probs := LoadText("t.conf", []byte(conf))
		if len(probs) != 1 || !strings.HasPrefix(probs[0].Error(), want) {
			t.Errorf("%s: problems %v, want one starting %q", entry, probs, want)
		}
	}
	_, probs := LoadText("t.conf", []byte("<source 0/0>\npattern-list nosuch\n</source>\n"))
	if len(probs) != 1 || !strings.HasPrefix(probs[0].Error(), "t.conf:2: pattern-list: unknown list \"nosuch\"") {
		t.Errorf("unknown list: %v", probs)
	}
}

// TestVMTAPatternListDump: Dump writes the block back, and it loads to the
// same entries.
func TestVMTAPatternListDump(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(vmtaPatternsConf))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	dump := c.Dump()
	c2, probs := LoadText("dump.conf", []byte(dump))
	if len(probs) > 0 {
		t.Fatalf("%v\n%s", probs, dump)
	}
	a, b := c.VMTAPatternList("select").Entries, c2.VMTAPatternList("select").Entries
	if len(a) != len(b) {
		t.Fatalf("%d entries after the dump, want %d:\n%s", len(b), len(a), dump)
	}
	for i := range a {
		if a[i].String() != b[i].String() || a[i].String() == "" {
			t.Errorf("entry %d: %q then %q", i, a[i].String(), b[i].String())
		}
	}
	if !strings.Contains(dump, "    rcpt-to /@(yahoo|ymail)\\.com$/ virtual-mta=yahoo\n") {
		t.Errorf("dump:\n%s", dump)
	}
}
