package arc

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{StatusNone: "none", StatusPass: "pass", StatusFail: "fail", 9: "status(9)"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}

func TestValidateNone(t *testing.T) {
	for _, msg := range []string{"", "\r\n", "From: a\r\n\r\nbody", testMessage, "X-ARC-Seal: i=1\r\n\r\n"} {
		if r := Validate([]byte(msg), nil); r != (Result{}) {
			t.Errorf("%q: %+v", msg, r)
		}
	}
}

func TestValidateLookup(t *testing.T) {
	keys := loadTestKeys(t)
	sealed, _ := sealOnce(t, sealers(t, keys)["rsa"], []byte(testMessage), keys.lookup)
	calls := 0
	counting := func(name string) ([]string, error) {
		calls++
		return keys.lookup(name)
	}
	if r := Validate(sealed, counting); r.Status != StatusPass || calls != 1 {
		t.Fatalf("%+v after %d lookups, want pass after 1", r, calls)
	}
	failing := func(string) ([]string, error) { return nil, errors.New("SERVFAIL (timeout)\r\n") }
	if r := Validate(sealed, failing); r.Status != StatusFail || !strings.Contains(r.Reason, "SERVFAIL") ||
		strings.ContainsAny(r.Reason, "()\r\n\\") {
		t.Fatalf("DNS failure: %+v", r)
	}
	if r := Validate(sealed, nil); r.Status != StatusFail {
		t.Fatalf("nil lookup: %+v", r)
	}
	// The key of one algorithm published for the other.
	swapped := testKeys{txt: map[string]string{"rsa._domainkey.example.org": keys.txt["ed._domainkey.example.net"]}}
	if r := Validate(sealed, swapped.lookup); r.Status != StatusFail || !strings.Contains(r.Reason, "key type") {
		t.Fatalf("ed25519 key for rsa-sha256: %+v", r)
	}
	revoked := testKeys{txt: map[string]string{"rsa._domainkey.example.org": "v=DKIM1; p="}}
	if r := Validate(sealed, revoked.lookup); r.Status != StatusFail || !strings.Contains(r.Reason, "revoked") {
		t.Fatalf("revoked key: %+v", r)
	}
}

// TestValidateDoesNotModify checks that inputs are left alone, LF ones
// included (they are copied, not rewritten).
func TestValidateDoesNotModify(t *testing.T) {
	keys := loadTestKeys(t)
	sealed, _ := sealOnce(t, sealers(t, keys)["ed"], []byte(testMessage), keys.lookup)
	lf := bytes.ReplaceAll(sealed, []byte("\r\n"), []byte("\n"))
	for _, m := range [][]byte{sealed, lf} {
		before := bytes.Clone(m)
		Validate(m, keys.lookup)
		AuthResults(m, "mx.example.org")
		if !bytes.Equal(before, m) {
			t.Fatal("input modified")
		}
	}
}

func TestBodyLengthOver(t *testing.T) {
	b := bodySum{limit: 10, n: 5}
	if _, err := b.result(); !errors.Is(err, errLengthOver) {
		t.Fatalf("l= beyond the body: %v", err)
	}
	b = bodySum{limit: 5, n: 5}
	if _, err := b.result(); err != nil {
		t.Fatalf("l= at the body's length: %v", err)
	}
}
