package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyFiles writes key files into dir: name to contents.
func keyFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func rsaPEM(t *testing.T, bits int, pkcs8 bool) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// loadWithKeys writes text as dir/volley.conf, loads it and its keys.
func loadWithKeys(t *testing.T, dir, text string) (*Config, []Problem) {
	t.Helper()
	path := filepath.Join(dir, "volley.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, probs := Load(path)
	if len(probs) > 0 {
		t.Fatalf("config problems: %v", probs)
	}
	return c, c.LoadKeys()
}

func TestLoadKeysFormats(t *testing.T) {
	dir := t.TempDir()
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	keyFiles(t, dir, map[string][]byte{
		"pkcs1.pem":  rsaPEM(t, 2048, false),
		"pkcs8.pem":  rsaPEM(t, 2048, true),
		"ed.pem":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}),
		"ed.seed":    []byte(base64.StdEncoding.EncodeToString(edKey.Seed()) + "\n"),
		"ed.private": []byte(base64.StdEncoding.EncodeToString(edKey)),
	})
	c, probs := loadWithKeys(t, dir, "domain-key a,a.test,pkcs1.pem\ndomain-key b,b.test,"+filepath.Join(dir, "pkcs8.pem")+
		"\n<virtual-mta v>\ndomain-key c,c.test,ed.pem\ndomain-key d,d.test,ed.seed\ndomain-key e,e.test,ed.private\n</virtual-mta>\n")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, tc := range []struct{ vmta, domain, want string }{
		{"", "a.test", "*rsa.PrivateKey"}, {"", "b.test", "*rsa.PrivateKey"},
		{"v", "c.test", "ed25519.PrivateKey"}, {"v", "d.test", "ed25519.PrivateKey"}, {"v", "e.test", "ed25519.PrivateKey"},
	} {
		k, s, ok := c.DKIMKey(tc.vmta, tc.domain)
		if !ok || k.Domain != tc.domain {
			t.Errorf("DKIMKey(%q, %q) = %v, %v", tc.vmta, tc.domain, k, ok)
			continue
		}
		if got := typeName(s); got != tc.want {
			t.Errorf("%s: key type %s, want %s", tc.domain, got, tc.want)
		}
	}
	_, s1, _ := c.DKIMKey("v", "d.test")
	_, s2, _ := c.DKIMKey("v", "e.test")
	if !s1.(ed25519.PrivateKey).Equal(s2) {
		t.Error("a seed and the full key of the same Ed25519 key load as different keys")
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *rsa.PrivateKey:
		return "*rsa.PrivateKey"
	case ed25519.PrivateKey:
		return "ed25519.PrivateKey"
	}
	return "?"
}

// TestLoadKeysProblems: every bad key is a problem at its domain-key line.
func TestLoadKeysProblems(t *testing.T) {
	t.Setenv("GODEBUG", "rsa1024min=0") // to make the 768-bit key
	dir := t.TempDir()
	keyFiles(t, dir, map[string][]byte{
		"small.pem": rsaPEM(t, 768, false),
		"cert.pem":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}}),
		"junk.pem":  []byte("not a key\n"),
		"short":     []byte(base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))),
		"bad.pem":   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
	})
	_, probs := loadWithKeys(t, dir, "postmaster a@b.test\n"+
		"domain-key a,a.test,missing.pem\n"+
		"domain-key b,b.test,small.pem\n"+
		"domain-key c,c.test,cert.pem\n"+
		"domain-key d,d.test,junk.pem\n"+
		"domain-key e,e.test,short\n"+
		"domain-key f,f.test,bad.pem\n")
	want := []string{
		"volley.conf:2: domain-key " + filepath.Join(dir, "missing.pem") + ": no such file or directory",
		"volley.conf:3: domain-key " + filepath.Join(dir, "small.pem") + ": RSA key of 768 bits: at least 1024",
		"volley.conf:4: domain-key " + filepath.Join(dir, "cert.pem") + ": expected an RSA or Ed25519 private key, got a PEM \"CERTIFICATE\" block",
		"volley.conf:5: domain-key " + filepath.Join(dir, "junk.pem") + ": expected a PEM private key or a base64 Ed25519 key",
		"volley.conf:6: domain-key " + filepath.Join(dir, "short") + ": a base64 Ed25519 key must hold 32 or 64 bytes, got 16",
		"volley.conf:7: domain-key " + filepath.Join(dir, "bad.pem") + ": not a valid private key",
	}
	if len(probs) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(probs), len(want), probs)
	}
	for i, p := range probs {
		got := strings.TrimPrefix(p.Error(), dir+string(filepath.Separator))
		if !strings.HasPrefix(got, want[i]) {
			t.Errorf("problem %d:\n got %s\nwant %s...", i, got, want[i])
		}
	}
}

// TestDKIMKeyChoice: the vMTA's line before the top level's, the domain or
// a parent of it before "*", which signs as the message's domain.
func TestDKIMKeyChoice(t *testing.T) {
	dir := t.TempDir()
	keyFiles(t, dir, map[string][]byte{"k.pem": rsaPEM(t, 1024, false)})
	c, probs := loadWithKeys(t, dir, "domain-key top,a.test,k.pem\ndomain-key any,*,k.pem\n"+
		"<virtual-mta v>\ndomain-key mine,a.test,k.pem\n</virtual-mta>\n"+
		"<virtual-mta w>\n</virtual-mta>\n<virtual-mta-pool p>\nvirtual-mta w\ndomain-key pool,a.test,k.pem\n</virtual-mta-pool>\n")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, tc := range []struct{ vmta, domain, sel, d string }{
		{"v", "a.test", "mine", "a.test"},
		{"w", "a.test", "top", "a.test"},
		{"p", "a.test", "pool", "a.test"},
		{"", "a.test", "top", "a.test"},
		{"v", "b.test", "any", "b.test"},
		{"v", "news.a.test", "mine", "a.test"}, // a parent's key signs as the parent
		{"", "x.news.a.test", "top", "a.test"},
		{"", "aa.test", "any", "aa.test"}, // a.test is no parent of aa.test
	} {
		k, _, ok := c.DKIMKey(tc.vmta, tc.domain)
		if !ok || k.Selector != tc.sel || k.Domain != tc.d {
			t.Errorf("DKIMKey(%q, %q) = %+v %v; want selector %s d=%s", tc.vmta, tc.domain, k, ok, tc.sel, tc.d)
		}
	}
	if _, _, ok := (&Config{}).DKIMKey("", "a.test"); ok {
		t.Error("a config without keys signs")
	}
}

// TestARCKey: the sealing key's domain is the host-name or its nearest
// parent; a domain with arc-seal yes and no such key is a problem.
func TestARCKey(t *testing.T) {
	dir := t.TempDir()
	keyFiles(t, dir, map[string][]byte{"k.pem": rsaPEM(t, 1024, false)})
	c, probs := loadWithKeys(t, dir, "host-name mta1.out.example.net\n"+
		"domain-key org,example.net,k.pem\ndomain-key near,out.example.net,k.pem\ndomain-key other,example.org,k.pem\n"+
		"<virtual-mta v>\nhost-name mx.example.org\n</virtual-mta>\n"+
		"<domain *>\narc-seal yes\n</domain>\n")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if k, _, ok := c.ARCKey(""); !ok || k.Selector != "near" {
		t.Errorf("ARCKey(\"\") = %+v, %v; want the out.example.net key", k, ok)
	}
	if k, _, ok := c.ARCKey("v"); !ok || k.Selector != "other" {
		t.Errorf("ARCKey(v) = %+v, %v; want the example.org key", k, ok)
	}
	_, probs = loadWithKeys(t, dir, "host-name mta1.example.com\ndomain-key org,example.net,k.pem\n"+
		"<domain *>\narc-seal yes\n</domain>\n")
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "volley.conf:4: arc-seal yes: no domain-key of the top level") {
		t.Errorf("problems %v; want one at the arc-seal line", probs)
	}
}
