package config

import (
	"strings"
	"testing"
)

func TestAliasLines(t *testing.T) {
	c, probs := LoadText("t.conf", []byte("alias postmaster@example.com ops@example.net\nalias Abuse@Example.com abuse-desk@example.net\n"))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for addr, want := range map[string]string{"POSTMASTER@example.com": "ops@example.net", "abuse@example.com": "abuse-desk@example.net"} {
		if to, ok := c.Alias(addr); !ok || to != want {
			t.Errorf("Alias(%q) = %q, %v; want %q", addr, to, ok, want)
		}
	}
	if _, ok := c.Alias("other@example.com"); ok {
		t.Error("an address without an alias line has one")
	}
	dump := c.Dump()
	if !strings.Contains(dump, "alias postmaster@example.com ops@example.net\nalias Abuse@Example.com abuse-desk@example.net\n") {
		t.Errorf("dump:\n%s", dump)
	}
	wantOneProblem(t, map[string]string{
		"alias a@example.com\n":        "t.conf:1: alias: expected SOURCE TARGET",
		"alias a@example.com b c\n":    "t.conf:1: alias: expected SOURCE TARGET",
		"alias a@example.com nobody\n": "t.conf:1: alias: expected an address",
		"alias a@example.com b@example.net\nalias A@example.com c@x.test\n": "t.conf:2: alias: A@example.com is aliased twice",
	})
}
