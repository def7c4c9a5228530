package arc

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
)

// testKeys are the pinned keys of testdata/ and the DNS that publishes
// them: rsa at rsa._domainkey.example.org, ed at ed._domainkey.example.net.
type testKeys struct {
	rsa *rsa.PrivateKey
	ed  ed25519.PrivateKey
	txt map[string]string
}

func loadTestKeys(t testing.TB) testKeys {
	t.Helper()
	var k testKeys
	k.rsa = readPEM(t, "testdata/rsa2048.pem").(*rsa.PrivateKey)
	k.ed = readPEM(t, "testdata/ed25519.pem").(ed25519.PrivateKey)
	spki, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k.txt = map[string]string{
		"rsa._domainkey.example.org": "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(spki),
		"ed._domainkey.example.net":  "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k.ed.Public().(ed25519.PublicKey)),
	}
	return k
}

func readPEM(t testing.TB, path string) crypto.Signer {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k.(crypto.Signer)
}

// lookup serves k.txt.
func (k testKeys) lookup(name string) ([]string, error) {
	if rec, ok := k.txt[strings.ToLower(name)]; ok {
		return []string{rec}, nil
	}
	return nil, errors.New("NXDOMAIN")
}

func TestParseKeyRecord(t *testing.T) {
	keys := loadTestKeys(t)
	rsaRec := keys.txt["rsa._domainkey.example.org"]
	p := strings.TrimPrefix(rsaRec, "v=DKIM1; k=rsa; p=")
	pkcs1 := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&keys.rsa.PublicKey))
	// A 512-bit key (the suite's 512._domainkey record); Go no longer
	// generates keys that small.
	const small = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAIWmlgix/84GJ+dfgjm7LTc9EPdfkftlgiPpCq4/kbDAZmU0VvYKDljjleJ1dfvS+CGy9U/kk1tG3EeEvb82xAcCAwEAAQ=="
	edP := strings.TrimPrefix(keys.txt["ed._domainkey.example.net"], "v=DKIM1; k=ed25519; p=")
	cases := []struct {
		name, rec string
		err       error // nil: parses
		ed        bool
	}{
		{"rsa", rsaRec, nil, false},
		{"no k means rsa", "p=" + p, nil, false},
		{"no v", "k=rsa; p=" + p, nil, false},
		{"pkcs1 body", "v=DKIM1; p=" + pkcs1, nil, false},
		{"folded p", "v=DKIM1; p=" + p[:40] + " \r\n " + p[40:], nil, false},
		{"ed25519", "v=DKIM1; k=ed25519; p=" + edP, nil, true},
		{"revoked", "v=DKIM1; p=", errKeyRevoked, false},
		{"no p", "v=DKIM1; k=rsa", errKeySyntax, false},
		{"bad v", "v=DKIM2; p=" + p, errKeySyntax, false},
		{"v not DKIM1 case", "v=dkim1; p=" + p, errKeySyntax, false},
		{"h allows sha256", "h=sha1:sha256; p=" + p, nil, false},
		{"h sha1 only", "h=sha1; p=" + p, errKeyHash, false},
		{"s email", "s=email; p=" + p, nil, false},
		{"s star", "s=*; p=" + p, nil, false},
		{"s other", "s=tlsrpt; p=" + p, errKeyService, false},
		{"unknown k", "k=dsa; p=" + p, errKeyUnknown, false},
		{"ed25519 wrong length", "k=ed25519; p=" + p, errKeySyntax, false},
		{"rsa says ed25519 body", "k=rsa; p=" + edP, errKeySyntax, false},
		{"not base64", "p=!!!!", errKeySyntax, false},
		{"512 bits", "p=" + small, errKeySize, false},
		{"garbage", "omgwhatsgoingon", errKeySyntax, false},
		{"duplicate tag", "p=" + p + "; p=" + p, errKeySyntax, false},
		{"unknown tags ignored", "x=1; n=notes here; p=" + p, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseKeyRecord(tc.rec)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && (k.ed != nil) != tc.ed {
				t.Fatalf("ed25519 %v, want %v", k.ed != nil, tc.ed)
			}
		})
	}
}

func TestParseKeyRecordTesting(t *testing.T) {
	keys := loadTestKeys(t)
	k, err := parseKeyRecord(keys.txt["rsa._domainkey.example.org"] + "; t=y:s")
	if err != nil || !k.testing {
		t.Fatalf("t=y:s: %v testing=%v", err, k != nil && k.testing)
	}
}

func TestKeyCache(t *testing.T) {
	keys := loadTestKeys(t)
	calls := 0
	c := keyCache{lookup: func(name string) ([]string, error) {
		calls++
		if name == "multi._domainkey.example.org" {
			return []string{"garbage", keys.txt["rsa._domainkey.example.org"]}, nil
		}
		return keys.lookup(name)
	}}
	for range 3 {
		if _, err := c.get([]byte("example.org"), []byte("rsa")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.get([]byte("example.org"), []byte("absent")); err == nil {
			t.Fatal("absent key found")
		}
	}
	if calls != 2 {
		t.Fatalf("%d lookups for 2 names", calls)
	}
	if _, err := c.get([]byte("example.org"), []byte("multi")); err != nil {
		t.Fatalf("first valid of several records: %v", err)
	}
	if _, err := (&keyCache{}).get([]byte("example.org"), []byte("rsa")); !errors.Is(err, errKeyNone) {
		t.Fatalf("nil lookup: %v", err)
	}
}

func TestVerifyAlgorithmMismatch(t *testing.T) {
	keys := loadTestKeys(t)
	rk, _ := parseKeyRecord(keys.txt["rsa._domainkey.example.org"])
	ek, _ := parseKeyRecord(keys.txt["ed._domainkey.example.net"])
	digest := make([]byte, 32)
	sig, err := sign(keys.ed, algEd25519SHA256, digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := ek.verify(algEd25519SHA256, digest, sig); err != nil {
		t.Fatalf("ed25519: %v", err)
	}
	if err := rk.verify(algEd25519SHA256, digest, sig); !errors.Is(err, errKeyType) {
		t.Fatalf("ed25519 signature, rsa key: %v", err)
	}
	if err := ek.verify(algRSASHA256, digest, sig); !errors.Is(err, errKeyType) {
		t.Fatalf("rsa-sha256 signature, ed25519 key: %v", err)
	}
	digest[0] = 1
	if err := ek.verify(algEd25519SHA256, digest, sig); !errors.Is(err, errSignature) {
		t.Fatalf("changed digest: %v", err)
	}
}

func TestParseAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"rsa-sha256", true}, {"ed25519-sha256", true}, {"rsa-sha1", false}, {"RSA-SHA256", false}, {"", false}} {
		if a, ok := parseAlgorithm([]byte(tc.in)); ok != tc.ok || ok && a.String() != tc.in {
			t.Errorf("%q: %v %v", tc.in, a, ok)
		}
	}
}
