package config

import (
	"strings"
	"testing"
)

const rewriteConf = `<rewrite-list esp>
    mail-from *@customer.example *@bounces.esp.example
    mail-from news@brand.example bounce-news@esp.example
    mail-from *@*.old.example nope@x.example
</rewrite-list>
<rewrite-list all>
    mail-from * owner@esp.example
</rewrite-list>
<virtual-mta v1>
    rewrite-list esp
</virtual-mta>
<virtual-mta v2>
</virtual-mta>
<virtual-mta-pool p>
    virtual-mta v1
    virtual-mta v2
    rewrite-list all
</virtual-mta-pool>
`

func TestRewriteList(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(strings.Replace(rewriteConf, "    mail-from *@*.old.example nope@x.example\n", "", 1)))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	esp, all := c.RewriteList("esp"), c.RewriteList("all")
	if esp == nil || c.VMTA("v1").Rewrite != esp || c.VMTA("v2").Rewrite != nil || c.Pool("p").Rewrite != all {
		t.Fatal("lists not linked")
	}
	for _, tc := range []struct {
		l        *RewriteList
		from, to string
	}{
		{esp, "alice@customer.example", "alice@bounces.esp.example"},
		{esp, "Alice@CUSTOMER.example", "Alice@bounces.esp.example"},
		{esp, "news@brand.example", "bounce-news@esp.example"},
		{esp, "NEWS@Brand.Example", "bounce-news@esp.example"},
		{esp, "other@brand.example", "other@brand.example"},
		{esp, "x@sub.customer.example", "x@sub.customer.example"},
		{esp, "", ""}, // the null sender: bounces stay bounces
		{all, "anyone@anywhere.example", "owner@esp.example"},
		{nil, "a@b.example", "a@b.example"},
	} {
		if got := string(tc.l.AppendMailFrom([]byte("x:"), tc.from)); got != "x:"+tc.to {
			t.Errorf("%q: %q, want %q", tc.from, got, "x:"+tc.to)
		}
	}
	dump := c.Dump()
	for _, want := range []string{"<rewrite-list esp>\n    mail-from *@customer.example *@bounces.esp.example\n",
		"    rewrite-list esp\n", "    rewrite-list all\n"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if _, probs := LoadText("dump.conf", []byte(dump)); len(probs) > 0 {
		t.Errorf("the dump does not load: %v", probs)
	}
}

func TestRewriteListProblems(t *testing.T) {
	wantOneProblem(t, map[string]string{
		rewriteConf: "t.conf:4: mail-from: expected PATTERN TARGET",
		"<rewrite-list r>\nmail-from a@b.example\n</rewrite-list>\n":             "t.conf:2: mail-from: expected PATTERN TARGET",
		"<rewrite-list r>\nmail-from a@b.example *@c.example\n</rewrite-list>\n": "t.conf:2: mail-from: expected PATTERN TARGET",
		"<rewrite-list r>\nmail-from *@b.example nobody\n</rewrite-list>\n":      "t.conf:2: mail-from: expected PATTERN TARGET",
		"<rewrite-list r>\nfrom-domain a.example b.example\n</rewrite-list>\n":   "t.conf:2: from-domain: not supported: Volley signs a message when it receives it",
		"<rewrite-list r>\nrcpt-to a b\n</rewrite-list>\n":                       "t.conf:2: rcpt-to: expected mail-from PATTERN TARGET",
		"<virtual-mta v>\nrewrite-list nosuch\n</virtual-mta>\n":                 "t.conf:1: virtual-mta v: rewrite-list: unknown list \"nosuch\"",
		"<rewrite-list r>\n</rewrite-list>\n<rewrite-list r>\n</rewrite-list>\n": "t.conf:3: duplicate rewrite-list \"r\"",
	})
}
