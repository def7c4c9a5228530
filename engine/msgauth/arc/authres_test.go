package arc

import (
	"strings"
	"testing"
)

func TestAuthResults(t *testing.T) {
	cases := []struct {
		name, header, id, want string
	}{
		{
			"suite README example",
			"Authentication-Results: lists.example.org; arc=none;\r\n  spf=pass smtp.mfrom=jqd@d1.example\r\n" +
				"Authentication-Results: lists.example.org; dkim=pass (1024-bit key) header.i=@d1.example\r\n" +
				"Authentication-Results: lists.example.org; dmarc=pass\r\n" +
				"Authentication-Results: nobody.example.org; something=ignored\r\n",
			"lists.example.org",
			"spf=pass smtp.mfrom=jqd@d1.example; dkim=pass (1024-bit key) header.i=@d1.example; dmarc=pass",
		},
		{"case-insensitive id", "Authentication-Results: MX.Example.ORG; spf=pass\r\n", "mx.example.org", "spf=pass"},
		{"version", "Authentication-Results: mx.example.org 1; spf=pass\r\n", "mx.example.org", "spf=pass"},
		{"comment before id", "Authentication-Results: (ours) mx.example.org; spf=pass\r\n", "mx.example.org", "spf=pass"},
		{"quoted id", "Authentication-Results: \"mx.example.org\"; spf=pass\r\n", "mx.example.org", "spf=pass"},
		{"none", "Authentication-Results: mx.example.org; none\r\n", "mx.example.org", ""},
		{"no results", "Authentication-Results: mx.example.org\r\n", "mx.example.org", ""},
		{"arc dropped", "Authentication-Results: mx.example.org; arc = pass (i=2); spf=fail\r\n", "mx.example.org", "spf=fail"},
		{"arcx kept", "Authentication-Results: mx.example.org; arcx=pass\r\n", "mx.example.org", "arcx=pass"},
		{"semicolon in comment", "Authentication-Results: mx.example.org; dkim=pass (a; b) header.d=x; spf=pass\r\n", "mx.example.org", "dkim=pass (a; b) header.d=x; spf=pass"},
		{"semicolon in quotes", "Authentication-Results: mx.example.org; x=pass p.q=\"a;b\"; spf=pass\r\n", "mx.example.org", "x=pass p.q=\"a;b\"; spf=pass"},
		{"other id only", "Authentication-Results: other.example; spf=pass\r\n", "mx.example.org", ""},
		{"prefix id is not the id", "Authentication-Results: mx.example.org.evil; spf=pass\r\n", "mx.example.org", ""},
		{"missing semicolon", "Authentication-Results: mx.example.org spf=pass\r\n", "mx.example.org", ""},
		{"folded", "Authentication-Results: mx.example.org;\r\n\tspf=pass\r\n\t  smtp.mailfrom=a@b\r\n", "mx.example.org", "spf=pass smtp.mailfrom=a@b"},
		{"body ignored", "From: a\r\n\r\nAuthentication-Results: mx.example.org; spf=pass\r\n", "mx.example.org", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := AuthResults([]byte(tc.header+"\r\nbody\r\n"), tc.id); got != tc.want {
				t.Fatalf("%q, want %q", got, tc.want)
			}
		})
	}
}

func TestAuthResultsNoLineBreaks(t *testing.T) {
	got := AuthResults([]byte("Authentication-Results: a; x=y\r\n z\r\n\r\n"), "a")
	if strings.ContainsAny(got, "\r\n") {
		t.Fatalf("%q", got)
	}
}
