package config

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSourceGroup(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(`total-max-smtp-in 50
<source-group feeders>
    max-smtp-in 20
    reserved-smtp-in 10
</source-group>
<source 10.0.0.0/8>
    source-group feeders
</source>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	g := c.SourceGroup("feeders")
	if g == nil || g.MaxSMTPIn != 20 || g.ReservedSMTPIn != 10 || len(c.SourceGroups) != 1 {
		t.Fatalf("group %+v", g)
	}
	if s := c.SourceFor(netip.MustParseAddr("10.1.2.3"), "", false); s.SourceGroup != "feeders" {
		t.Errorf("source group %q", s.SourceGroup)
	}
	dump := c.Dump()
	if !strings.Contains(dump, "<source-group feeders>\n    max-smtp-in 20\n    reserved-smtp-in 10\n</source-group>\n") ||
		!strings.Contains(dump, "    source-group feeders\n") {
		t.Errorf("dump:\n%s", dump)
	}
	if c2, probs := LoadText("dump.conf", []byte(dump)); len(probs) > 0 || c2.SourceGroup("feeders").ReservedSMTPIn != 10 {
		t.Errorf("the dump does not load back: %v", probs)
	}
	wantOneProblem(t, map[string]string{
		"<source 0/0>\nsource-group nosuch\n</source>\n":                               "t.conf:2: source-group: unknown group \"nosuch\"",
		"<source-group g>\nmax-smtp-in 2\nreserved-smtp-in 3\n</source-group>\n":       "t.conf:1: <source-group g>: reserved-smtp-in is more than its max-smtp-in",
		"total-max-smtp-in 5\n<source-group g>\nreserved-smtp-in 6\n</source-group>\n": "t.conf:2: the source groups reserve 6 connections, more than total-max-smtp-in (5)",
		"<source-group g>\n</source-group>\n<source-group g>\n</source-group>\n":       "t.conf:3: duplicate source-group \"g\"",
		"<source-group g>\nmax-msg-rate 1/h\n</source-group>\n":                        "t.conf:2: directive \"max-msg-rate\" is not allowed in <source-group>",
	})
}
