package arc

import (
	"strings"
	"testing"
)

func TestAARInstance(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
	}{
		{"i=1; example.org; spf=pass", 1},
		{" i = 12 ; example.org", 12},
		{"\r\n i=3;", 3},
		{"(comment) i (c) = (c) 5 (c);x", 5},
		{"i=50;", 50},
		{"i=01;", 1},
		{"i=51;", 0},
		{"i=0;", 0},
		{"i=;", 0},
		{"i=1 example.org;", 0},
		{"example.org; i=1;", 0},
		{"I=1;", 0},
		{"i=squanch;", 0},
		{"i=100;", 0},
		{"i=1", 0},
		{"(unterminated i=1;", 0},
		{"", 0},
	} {
		n, ok := aarInstance([]byte(tc.in))
		if ok != (tc.n > 0) || n != tc.n {
			t.Errorf("%q: %d %v, want %d", tc.in, n, ok, tc.n)
		}
	}
}

func TestSkipCFWS(t *testing.T) {
	for _, tc := range []struct {
		in  string
		end int
	}{
		{"  x", 2}, {"(a (b) \\) c) x", 13}, {"\r\n\tx", 3}, {"((", 2}, {"", 0}, {"x", 0},
	} {
		if got := skipCFWS([]byte(tc.in), 0); got != tc.end {
			t.Errorf("%q: %d, want %d", tc.in, got, tc.end)
		}
	}
}

// TestCollect checks the shape rules on hand-made chains; signatures are
// never reached, so the values only need to parse.
func TestCollect(t *testing.T) {
	set := func(i, cv string) string {
		return "ARC-Seal: i=" + i + "; a=rsa-sha256; cv=" + cv + "; d=example.org; s=s; b=AAAA\r\n" +
			"ARC-Message-Signature: i=" + i + "; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA\r\n" +
			"ARC-Authentication-Results: i=" + i + "; example.org; spf=pass\r\n"
	}
	cases := []struct {
		name, header string
		sets         int
		err          string // substring of the check error, "" for none
	}{
		{"none", "From: a\r\n", 0, ""},
		{"one", set("1", "none"), 1, ""},
		{"two", set("2", "pass") + set("1", "none"), 2, ""},
		{"out of order is fine", set("1", "none") + set("2", "pass"), 2, ""},
		{"gap", set("3", "pass") + set("1", "none"), 3, "i=2 set is incomplete"},
		{"first not none", set("1", "pass"), 1, "instance 1 must say cv=none"},
		{"later not pass", set("2", "none") + set("1", "none"), 2, "after instance 1 must say cv=pass"},
		{"newest fail", set("2", "fail") + set("1", "none"), 2, "newest ARC-Seal says cv=fail"},
		{"duplicate set", set("1", "none") + set("1", "none"), 1, "appears more than once"},
		{"unreadable seal", "ARC-Seal: garbage\r\n" + set("1", "none"), 1, "malformed tag list"},
		{"lone garbage", "arc-seal: x\r\n", 0, "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := collect(parseMessage([]byte(tc.header + "\r\n")))
			if len(c.sets) != tc.sets {
				t.Fatalf("%d sets, want %d", len(c.sets), tc.sets)
			}
			if c.present != (tc.name != "none") {
				t.Fatalf("present %v", c.present)
			}
			err := c.check()
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("check: %v, want %q", err, tc.err)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for in, want := range map[string]kind{
		"ARC-Seal": kindAS, "arc-seal": kindAS, "Arc-Message-Signature": kindAMS,
		"ARC-AUTHENTICATION-RESULTS": kindAAR, "ARC-Seal2": kindNone, "From": kindNone, "": kindNone,
	} {
		if got := kindOf([]byte(in)); got != want {
			t.Errorf("%q: %v", in, got)
		}
	}
}
