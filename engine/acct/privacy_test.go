package acct

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"github.com/volleymta/volley/internal/siphash"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

func TestPrivacyPolicies(t *testing.T) {
	r := Record{Type: Bounced, Orig: "bounces+User=Example.com@news.example.net", Rcpt: "user@example.com",
		Orcpt: "rfc822;user@example.com", DSNDiag: "smtp;550 5.1.1 <USER@example.com>: unknown; user@example.com again"}
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte("user"))
	hm := hex.EncodeToString(mac.Sum(nil))
	sip := siphash.Sum24(0x3736353433323130, 0x6665646362613938, "user") // key "0123456789abcdef"
	var sb [8]byte
	for i := range sb {
		sb[i] = byte(sip >> (8 * i))
	}
	sh := hex.EncodeToString(sb[:])
	for _, tc := range []struct {
		policy, mask string
	}{
		{"redact", "redacted"},
		{`redact "X"`, "X"},
		{"hmac-sha256 secret", hm},
		{"hmac-sha256-hexkey " + hex.EncodeToString([]byte("secret")), hm},
		{"siphash 0123456789abcdef", sh},
		{"siphash-hexkey " + hex.EncodeToString([]byte("0123456789abcdef")), sh},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			e := mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"b"}, PrivacyPolicy: tc.policy,
				RecordFields: map[string][]string{"b": {"orig", "rcpt", "orcpt", "dsnDiag"}}})
			got := string(e.AppendRecord(nil, &r))
			m := tc.mask
			want := "b,bounces+" + m + "=Example.com@news.example.net," + m + "@example.com,rfc822;" + m +
				"@example.com,smtp;550 5.1.1 <" + m + "@example.com>: unknown; " + m + "@example.com again\n"
			if got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestPrivacyEdges(t *testing.T) {
	e := mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"b"}, PrivacyPolicy: "redact",
		RecordFields: map[string][]string{"b": {"orig", "rcpt", "dsnDiag"}}})
	for _, tc := range []struct {
		r    Record
		want string
	}{
		{Record{Type: Bounced, Orig: "plain@example.net", Rcpt: "a@example.com", DSNDiag: "a a a"},
			"b,plain@example.net,redacted@example.com,a a a\n"},
		{Record{Type: Bounced, Orig: "", Rcpt: "postmaster", DSNDiag: "x"}, "b,,redacted,x\n"},
		{Record{Type: Bounced, Rcpt: "@example.com", DSNDiag: "@example.com"}, "b,,@example.com,@example.com\n"},
	} {
		if got := string(e.AppendRecord(nil, &tc.r)); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestPrivacyParseErrors(t *testing.T) {
	for _, p := range []string{"hash", "siphash", "siphash tooshort", "siphash-hexkey zz", "hmac-sha256", "hmac-sha256-hexkey 0"} {
		if _, err := parsePrivacy(p); err == nil || !strings.Contains(err.Error(), "privacy-policy") {
			t.Errorf("parsePrivacy(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "retain"} {
		if pp, err := parsePrivacy(p); pp != nil || err != nil {
			t.Errorf("parsePrivacy(%q) = %v, %v", p, pp, err)
		}
	}
}
