package arc

import (
	"bytes"
	"crypto"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// testMessage is a small message with the fields a list would sign.
const testMessage = "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=alice@example.com;\r\n" +
	"\tdkim=pass header.d=example.com\r\n" +
	"Received: from a.example.com by mx.example.org; Tue, 3 Jan 2017 12:22:54 -0800\r\n" +
	"From: Alice <alice@example.com>\r\n" +
	"To: list@example.org\r\n" +
	"Subject: Hello  there\r\n" +
	"Date: Tue, 3 Jan 2017 12:22:54 -0800\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Hi all,  \r\n" +
	"this is a test.\r\n" +
	"\r\n\r\n"

// sealers returns an RSA-2048 and an Ed25519 sealer on a pinned clock.
func sealers(t testing.TB, keys testKeys) map[string]*Sealer {
	t.Helper()
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	return map[string]*Sealer{
		"rsa": {Domain: "example.org", Selector: "rsa", Key: keys.rsa, AuthServID: "mx.example.org", Now: clock},
		"ed":  {Domain: "example.net", Selector: "ed", Key: keys.ed, AuthServID: "relay.example.net", Now: clock},
	}
}

// sealOnce validates msg, seals it with s and returns the sealed message.
func sealOnce(t testing.TB, s *Sealer, msg []byte, lookup LookupTXT) ([]byte, Result) {
	t.Helper()
	chain := Validate(msg, lookup)
	set, err := s.Seal(msg, AuthResults(msg, s.AuthServID), chain)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	return append(set, msg...), chain
}

func TestSealRoundTrip(t *testing.T) {
	keys := loadTestKeys(t)
	ss := sealers(t, keys)
	for _, order := range [][2]string{{"rsa", "rsa"}, {"ed", "ed"}, {"rsa", "ed"}, {"ed", "rsa"}} {
		t.Run(order[0]+"+"+order[1], func(t *testing.T) {
			msg := []byte(testMessage)
			one, chain := sealOnce(t, ss[order[0]], msg, keys.lookup)
			if chain.Status != StatusNone {
				t.Fatalf("unsealed message: %+v", chain)
			}
			if r := Validate(one, keys.lookup); r != (Result{Status: StatusPass, Instance: 1}) {
				t.Fatalf("after one seal: %+v", r)
			}
			two, chain := sealOnce(t, ss[order[1]], one, keys.lookup)
			if chain.Status != StatusPass || !bytes.Contains(two, []byte("cv=pass")) {
				t.Fatalf("second seal: chain %+v", chain)
			}
			if r := Validate(two, keys.lookup); r != (Result{Status: StatusPass, Instance: 2}) {
				t.Fatalf("after two seals: %+v", r)
			}
			expectFail(t, "body changed", bytes.Replace(two, []byte("this is a test"), []byte("this is a tost"), 1), keys, "body hash")
			expectFail(t, "signed header changed", bytes.Replace(two, []byte("Subject: Hello"), []byte("Subject: Jello"), 1), keys, "ARC-Message-Signature i=2")
			expectFail(t, "seal cv changed", bytes.Replace(two, []byte("cv=pass"), []byte("cv=none"), 1), keys, "cv=pass")
			expectFail(t, "AAR changed", bytes.Replace(two, []byte("i=1; "+ss[order[0]].AuthServID+"; arc=none"), []byte("i=1; "+ss[order[0]].AuthServID+"; arc=pass"), 1), keys, "ARC-Seal")
			// Seal 2 covers seal 1, and seals are checked newest first.
			expectFail(t, "seal 1 signature changed", tamperSig(t, two, 1), keys, "ARC-Seal i=2 signature")
			expectFail(t, "no key published", two, testKeys{}, "")
		})
	}
}

// expectFail validates msg and wants fail with a reason containing why.
func expectFail(t *testing.T, name string, msg []byte, keys testKeys, why string) {
	t.Helper()
	r := Validate(msg, keys.lookup)
	if r.Status != StatusFail || !strings.Contains(r.Reason, why) {
		t.Errorf("%s: %+v, want fail mentioning %q", name, r, why)
	}
}

// tamperSig flips one character of the b= of the ARC-Seal of instance i.
func tamperSig(t *testing.T, msg []byte, i int) []byte {
	t.Helper()
	m := parseMessage(msg)
	c := collect(m)
	as := c.sets[i-1].as
	out := bytes.Clone(msg)
	off := bytes.Index(msg, as.f.raw) + as.bStart + 2 // past any fold
	for !isAlpha(out[off]) {
		off++
	}
	out[off] ^= 0x20 // swap case
	return out
}

func TestSealOldestPass(t *testing.T) {
	keys := loadTestKeys(t)
	ss := sealers(t, keys)
	one, _ := sealOnce(t, ss["rsa"], []byte(testMessage), keys.lookup)
	// Hop 2, a list, validates, then rewrites the subject, then seals:
	// AMS 1 breaks, the chain still passes, and oldest-pass says where.
	chain := Validate(one, keys.lookup)
	edited := bytes.Replace(one, []byte("Subject: Hello"), []byte("Subject: [list] Hello"), 1)
	set, err := ss["ed"].Seal(edited, "", chain)
	if err != nil {
		t.Fatal(err)
	}
	two := append(set, edited...)
	three, _ := sealOnce(t, ss["rsa"], two, keys.lookup)
	if r := Validate(three, keys.lookup); r != (Result{Status: StatusPass, Instance: 3, OldestPass: 2}) {
		t.Fatalf("%+v, want pass, instance 3, oldest-pass 2", r)
	}
}

func TestSealFailedChain(t *testing.T) {
	keys := loadTestKeys(t)
	ss := sealers(t, keys)
	one, _ := sealOnce(t, ss["rsa"], []byte(testMessage), keys.lookup)
	broken := tamperSig(t, one, 1)
	two, chain := sealOnce(t, ss["ed"], broken, keys.lookup)
	if chain.Status != StatusFail || !bytes.HasPrefix(two, []byte("ARC-Seal: i=2;")) || !bytes.Contains(two[:200], []byte("cv=fail")) {
		t.Fatalf("sealing a broken chain: %+v\n%s", chain, two[:200])
	}
	if aar := squash(splitSet(t, two[:len(two)-len(broken)])[kindAAR]); !strings.HasPrefix(aar, "i=2; relay.example.net; arc=fail") {
		t.Fatal("AAR does not say arc=fail")
	}
	r := Validate(two, keys.lookup)
	if r.Status != StatusFail || r.Instance != 2 || !strings.Contains(r.Reason, "cv=fail") {
		t.Fatalf("after a cv=fail seal: %+v", r)
	}
	if err := verifyNewestSet(two, keys.lookup); err != nil {
		t.Fatalf("the cv=fail set itself: %v", err)
	}
	if _, err := ss["rsa"].Seal(two, "", r); !errors.Is(err, ErrChainFailed) {
		t.Fatalf("sealing after cv=fail: %v", err)
	}
}

func TestSealInstanceLimit(t *testing.T) {
	keys := loadTestKeys(t)
	s := sealers(t, keys)["ed"]
	msg := []byte(testMessage)
	for range maxInstance {
		msg, _ = sealOnce(t, s, msg, keys.lookup)
	}
	r := Validate(msg, keys.lookup)
	if r != (Result{Status: StatusPass, Instance: 50}) {
		t.Fatalf("50 sets: %+v", r)
	}
	if _, err := s.Seal(msg, "", r); !errors.Is(err, ErrChainTooLong) {
		t.Fatalf("51st set: %v", err)
	}
	// A hand-made 51st set is refused by the validator.
	over := append([]byte("ARC-Seal: i=51; a=ed25519-sha256; cv=pass; d=example.net; s=ed; b=AAAA\r\n"), msg...)
	if r := Validate(over, keys.lookup); r.Status != StatusFail {
		t.Fatalf("i=51: %+v", r)
	}
}

func TestSealErrors(t *testing.T) {
	keys := loadTestKeys(t)
	good := *sealers(t, keys)["rsa"]
	msg := []byte(testMessage)
	sealed, _ := sealOnce(t, &good, msg, keys.lookup)
	cases := []struct {
		name  string
		edit  func(s *Sealer)
		msg   []byte
		chain Result
	}{
		{"no key", func(s *Sealer) { s.Key = nil }, msg, Result{}},
		{"bad domain", func(s *Sealer) { s.Domain = "exa mple.org" }, msg, Result{}},
		{"empty selector", func(s *Sealer) { s.Selector = "" }, msg, Result{}},
		{"empty authserv-id", func(s *Sealer) { s.AuthServID = "" }, msg, Result{}},
		{"authserv-id with ;", func(s *Sealer) { s.AuthServID = "a;b" }, msg, Result{}},
		{"authserv-id with space", func(s *Sealer) { s.AuthServID = "a b" }, msg, Result{}},
		{"authserv-id with control", func(s *Sealer) { s.AuthServID = "a\x01" }, msg, Result{}},
		{"signs ARC-Seal", func(s *Sealer) { s.Headers = []string{"From", "ARC-Seal"} }, msg, Result{}},
		{"signs A-R", func(s *Sealer) { s.Headers = []string{"Authentication-Results"} }, msg, Result{}},
		{"unsupported key", func(s *Sealer) { s.Key = fakeSigner{} }, msg, Result{}},
		{"none but sealed", nil, sealed, Result{Status: StatusNone}},
		{"pass but unsealed", nil, msg, Result{Status: StatusPass, Instance: 1}},
		{"unknown status", nil, msg, Result{Status: 7}},
		{"fail without ARC fields", nil, msg, Result{Status: StatusFail}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			if tc.edit != nil {
				tc.edit(&s)
			}
			if out, err := s.Seal(tc.msg, "", tc.chain); err == nil {
				t.Fatalf("sealed:\n%s", out)
			}
		})
	}
}

type fakeSigner struct{ crypto.Signer }

func (fakeSigner) Public() crypto.PublicKey { return "not a key" }

func TestSealHeaders(t *testing.T) {
	keys := loadTestKeys(t)
	s := *sealers(t, keys)["ed"]
	msg := []byte("From: a@example.com\r\nReceived: x\r\nTo: b@example.com\r\nTo: c@example.com\r\nX-Other: 1\r\n\r\nbody\r\n")
	set, err := s.Seal(msg, "", Result{})
	if err != nil {
		t.Fatal(err)
	}
	if h := amsTag(t, set, "h"); h != "from:to:to" {
		t.Fatalf("default h=%s", h)
	}
	s.Headers = []string{"From", " Subject ", "", "X-Other"}
	if set, err = s.Seal(msg, "", Result{}); err != nil {
		t.Fatal(err)
	}
	if h := amsTag(t, set, "h"); h != "from:subject:x-other" {
		t.Fatalf("explicit h=%s", h)
	}
	if r := Validate(append(set, msg...), keys.lookup); r.Status != StatusPass {
		t.Fatalf("%+v", r)
	}
}

// amsTag returns a tag of the AMS in set, whitespace removed.
func amsTag(t *testing.T, set []byte, name string) string {
	t.Helper()
	for _, f := range parseFields(set) {
		if kindOf(f.name) == kindAMS {
			return tagMap(t, string(f.value))[name]
		}
	}
	t.Fatal("no AMS")
	return ""
}

func TestSealAAR(t *testing.T) {
	keys := loadTestKeys(t)
	s := *sealers(t, keys)["ed"]
	for _, tc := range []struct{ results, want string }{
		{"", "i=1; relay.example.net; arc=none"},
		{"spf=pass smtp.mailfrom=a@b", "i=1; relay.example.net; arc=none; spf=pass smtp.mailfrom=a@b"},
		{" spf=pass;\r\n\tdkim=fail (bad)  header.d=b ; ", "i=1; relay.example.net; arc=none; spf=pass; dkim=fail (bad) header.d=b"},
		{"x=y\r\nInjected: header", "i=1; relay.example.net; arc=none; x=y Injected: header"},
		{"arc=pass; spf=pass;; dkim=none (x; y)", "i=1; relay.example.net; arc=none; spf=pass; dkim=none (x; y)"},
	} {
		set, err := s.Seal([]byte(testMessage), tc.results, Result{})
		if err != nil {
			t.Fatal(err)
		}
		got := splitSet(t, set)[kindAAR]
		if squash(got) != tc.want {
			t.Errorf("results %q: AAR %q, want %q", tc.results, squash(got), tc.want)
		}
	}
}

// TestSealLF seals a message with LF line ends: the set (CRLF) prepended
// to it validates, and so does its CRLF form.
func TestSealLF(t *testing.T) {
	keys := loadTestKeys(t)
	lf := []byte(strings.ReplaceAll(testMessage, "\r\n", "\n"))
	sealed, _ := sealOnce(t, sealers(t, keys)["rsa"], lf, keys.lookup)
	for name, m := range map[string][]byte{"mixed": sealed, "crlf": toCRLF(sealed), "lf": bytes.ReplaceAll(sealed, []byte("\r\n"), []byte("\n"))} {
		if r := Validate(m, keys.lookup); r.Status != StatusPass {
			t.Errorf("%s: %+v", name, r)
		}
	}
}

// TestSealGolden pins key, clock and message and compares whole fields:
// RSA PKCS#1 v1.5 and Ed25519 signatures are both deterministic.
func TestSealGolden(t *testing.T) {
	keys := loadTestKeys(t)
	for name, s := range sealers(t, keys) {
		t.Run(name, func(t *testing.T) {
			one, _ := sealOnce(t, s, []byte(testMessage), keys.lookup)
			two, _ := sealOnce(t, s, one, keys.lookup)
			got := two[:len(two)-len(testMessage)]
			path := "testdata/seal_" + name + ".golden"
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("sealed sets differ from %s:\n%s", path, got)
			}
		})
	}
}
