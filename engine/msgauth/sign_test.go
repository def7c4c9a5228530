package msgauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/volleymta/volley/engine/config"
)

const testMsg = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n" +
	"Date: Sun, 06 Dec 2026 22:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nHi Bob,\r\nsee you.\r\n"

// testKeys are an RSA-2048 and an Ed25519 key and their DNS records.
type testKeys struct {
	rsa      *rsa.PrivateKey
	ed       ed25519.PrivateKey
	resolver mapResolver
}

func newTestKeys(t testing.TB) *testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	epub, ek, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	return &testKeys{rsa: rk, ed: ek, resolver: mapResolver{txt: map[string][]string{
		"rsa._domainkey.example.org": {"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)},
		"ed._domainkey.example.org":  {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(epub)},
	}}}
}

func (k *testKeys) signer(sel string) crypto.Signer {
	if sel == "ed" {
		return k.ed
	}
	return k.rsa
}

// dkimResults verifies msg's DKIM signatures through Check.
func dkimResults(t testing.TB, r Resolver, msg []byte) []DKIMOutcome {
	t.Helper()
	return Check(context.Background(), r, msg, Envelope{}, Checks{DKIM: true}).DKIM
}

func TestSignVerifies(t *testing.T) {
	keys := newTestKeys(t)
	for _, sel := range []string{"rsa", "ed"} {
		for _, c := range [][2]string{{"relaxed", "relaxed"}, {"simple", "simple"}, {"relaxed", "simple"}} {
			sig, err := Sign([]byte(testMsg), config.DomainKey{Selector: sel, Domain: "example.org"}, keys.signer(sel),
				SignOptions{HeaderCanon: c[0], BodyCanon: c[1]})
			if err != nil {
				t.Fatal(err)
			}
			signed := append(sig, testMsg...)
			res := dkimResults(t, keys.resolver, signed)
			if len(res) != 1 || res[0].Value != authres.ResultPass || res[0].Domain != "example.org" {
				t.Errorf("%s %v: %+v", sel, c, res)
			}
			if want := "c=" + c[0] + "/" + c[1]; !bytes.Contains(sig, []byte(want)) {
				t.Errorf("%s: signature lacks %s: %s", sel, want, sig)
			}
			tampered := bytes.Replace(signed, []byte("see you"), []byte("see yoU"), 1)
			if res := dkimResults(t, keys.resolver, tampered); len(res) != 1 || res[0].Value != authres.ResultFail {
				t.Errorf("%s %v: tampered body: %+v", sel, c, res)
			}
		}
	}
}

// TestSignOverSigns: From and Subject are listed once more than present, so
// a second From added on the way breaks the signature; absent fields of the
// default list are not listed.
func TestSignOverSigns(t *testing.T) {
	keys := newTestKeys(t)
	sig, err := Sign([]byte(testMsg), config.DomainKey{Selector: "rsa", Domain: "example.org"}, keys.rsa, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := tagValue(string(sig), "h")
	if strings.Count(h, "From") != 2 || strings.Count(h, "Subject") != 2 || strings.Contains(h, "Cc") {
		t.Errorf("h=%s: want From and Subject twice, no Cc", h)
	}
	added := append(append(sig, "From: Mallory <m@evil.test>\r\n"...), testMsg...)
	if res := dkimResults(t, keys.resolver, added); len(res) != 1 || res[0].Value == authres.ResultPass {
		t.Errorf("an added From verified: %+v", res)
	}
	// dkim-headers without From still signs From (RFC 6376 §5.4).
	sig, err = Sign([]byte(testMsg), config.DomainKey{Selector: "rsa", Domain: "example.org"}, keys.rsa, SignOptions{Headers: []string{"To"}})
	if err != nil {
		t.Fatal(err)
	}
	if h := tagValue(string(sig), "h"); !strings.Contains(h, "From") {
		t.Errorf("h=%s lacks From", h)
	}
}

// tagValue is a tag's value in a folded DKIM-style field.
func tagValue(field, tag string) string {
	field = strings.NewReplacer("\r\n", "", " ", "", "\t", "").Replace(field)
	for _, part := range strings.Split(field, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.HasSuffix(k, tag) && (len(k) == len(tag) || k[len(k)-len(tag)-1] == ':') {
			return v
		}
	}
	return ""
}

func TestIdentityDomain(t *testing.T) {
	for _, tc := range []struct{ head, identity, want string }{
		{"From: a@Example.ORG\r\n\r\n", "", "example.org"},
		{"From: \"A, B\" <a@x.test>, c@y.test\r\n\r\n", "", "x.test"},
		{"Sender: s@list.test\r\nFrom: a@x.test\r\n\r\n", "sender-or-from", "list.test"},
		{"Sender: s@list.test\r\nFrom: a@x.test\r\n\r\n", "from", "x.test"},
		{"From: Jörg <j@ümlaut.test>\r\n\r\n", "", "ümlaut.test"},
		{"From: =?utf-8?q?J=C3=B6rg?=\r\n <j@folded.test>\r\n\r\n", "", "folded.test"},
		{"Subject: no from\r\n\r\n", "", ""},
	} {
		if got := IdentityDomain([]byte(tc.head), tc.identity); got != tc.want {
			t.Errorf("IdentityDomain(%q, %q) = %q, want %q", tc.head, tc.identity, got, tc.want)
		}
	}
}

// TestSignIdentityOptions: a fixed dkim-identity names the signing domain
// whatever the header says; i= is written only for an address within d=
// (RFC 6376 §3.5); x= is t= plus Expire; OverSign replaces the default
// over-signed names.
func TestSignIdentityOptions(t *testing.T) {
	msg := []byte("From: a@shop.test\r\nSender: b@list.test\r\nTo: r@x.test\r\nSubject: s\r\n\r\nbody\r\n")
	for identity, want := range map[string]string{
		"sender-or-from": "list.test", "sender": "list.test", "from": "shop.test",
		"@esp.test": "esp.test", "bounce@mail.esp.test": "mail.esp.test", "esp.test": "esp.test",
	} {
		if got := IdentityDomain(msg, identity); got != want {
			t.Errorf("IdentityDomain(%q) = %q, want %q", identity, got, want)
		}
	}
	keys := newTestKeys(t)
	k := config.DomainKey{Selector: "ed", Domain: "esp.test"}
	for auid, wantI := range map[string]string{"bounce@mail.esp.test": "i=bounce@mail.esp.test", "@esp.test": "i=@esp.test", "a@other.test": "", "esp.test": ""} {
		sig, err := Sign(msg, k, keys.ed, SignOptions{AUID: auid, Expire: time.Hour, OverSign: []string{"To"}})
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Join(strings.Fields(string(sig)), "")
		if gotI := strings.Contains(s, "i="); gotI != (wantI != "") || (wantI != "" && !strings.Contains(s, wantI+";")) {
			t.Errorf("AUID %q: %s, want %q", auid, s, wantI)
		}
		if !strings.Contains(s, "h=From:Sender:Subject:To:To;") {
			t.Errorf("AUID %q: h= in %s, want To over-signed and Subject not", auid, s)
		}
		var ts, xs int64
		for _, p := range strings.Split(s, ";") {
			if v, ok := strings.CutPrefix(p, "t="); ok {
				ts, _ = strconv.ParseInt(v, 10, 64)
			}
			if v, ok := strings.CutPrefix(p, "x="); ok {
				xs, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if ts == 0 || xs-ts != 3600 {
			t.Errorf("t=%d x=%d, want x one hour after t", ts, xs)
		}
	}
}
