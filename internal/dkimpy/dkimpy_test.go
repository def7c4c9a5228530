package dkimpy

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/mailgen"
)

const testMsg = "From: Alice <alice@example.org>\r\n" +
	"To: bob@example.net\r\n" +
	"Subject: dkimpy cross-check\r\n" +
	"Date: Fri, 01 Mar 2024 12:00:00 +0000\r\n" +
	"Message-ID: <1@example.org>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n" +
	"this body is signed.\r\n"

// testKeys holds one RSA and one Ed25519 signer with the TXT records that
// verify them, published as rsa._domainkey.example.org and
// ed._domainkey.example.org.
type testKeys struct {
	rsaPEM, edSecret []byte
	keys             Keys
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM, rsaTXT := RSAKey(rk)
	edSecret, edTXT := Ed25519Key(ek)
	return testKeys{rsaPEM: rsaPEM, edSecret: edSecret, keys: Keys{
		"rsa._domainkey.example.org": rsaTXT,
		"ed._domainkey.example.org":  edTXT,
	}}
}

func (k testKeys) rsaOpt() SignOptions {
	return SignOptions{Selector: "rsa", Domain: "example.org", KeyPEM: k.rsaPEM}
}

func (k testKeys) edOpt() SignOptions {
	return SignOptions{Selector: "ed", Domain: "example.org", KeyPEM: k.edSecret, Ed25519: true}
}

// sign signs each message with opt and returns them with the signature prepended.
func sign(t *testing.T, msgs [][]byte, opt SignOptions) [][]byte {
	t.Helper()
	sigs, err := Sign(msgs, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(msgs))
	for i := range msgs {
		if !bytes.HasPrefix(sigs[i], []byte("DKIM-Signature: ")) || !bytes.HasSuffix(sigs[i], []byte("\r\n")) {
			t.Fatalf("message %d: signature field %q", i, sigs[i])
		}
		out[i] = append(bytes.Clone(sigs[i]), msgs[i]...)
	}
	return out
}

func verify(t *testing.T, msgs [][]byte, keys Keys) []Result {
	t.Helper()
	res, err := VerifyResults(msgs, keys)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSignVerify: dkimpy verifies its own RSA and Ed25519 signatures, in
// every canonicalization, and rejects a tampered body or header.
func TestSignVerify(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	for _, tc := range []struct {
		name string
		opt  SignOptions
	}{
		{"rsa", k.rsaOpt()},
		{"ed25519", k.edOpt()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs [][]byte
			for _, c := range []string{"", "relaxed/relaxed", "relaxed/simple", "simple/relaxed", "simple/simple", "relaxed"} {
				opt := tc.opt
				opt.Canon = c
				msgs = append(msgs, sign(t, [][]byte{[]byte(testMsg)}, opt)...)
			}
			signed := len(msgs)
			for _, m := range msgs[:signed] {
				msgs = append(msgs, append(bytes.Clone(m), "tampered\r\n"...))
				msgs = append(msgs, bytes.Replace(m, []byte("cross-check"), []byte("cross-chuck"), 1))
			}
			ok, err := Verify(msgs, k.keys)
			if err != nil {
				t.Fatal(err)
			}
			res := verify(t, msgs, k.keys)
			for i := range msgs {
				if want := i < signed; ok[i] != want || res[i].OK != want {
					t.Errorf("message %d: Verify %v, VerifyResults %v, want %v\n%s\ndkimpy log:\n%s", i, ok[i], res[i].OK, want, msgs[i], res[i].Log)
				}
			}
			if !strings.Contains(res[signed].Log, "body hash mismatch") {
				t.Errorf("tampered body: log lacks the reason:\n%s", res[signed].Log)
			}
		})
	}
}

// TestVerifyEverySignature: a message is true only when each of its
// signatures verifies, unlike dkim.verify, which checks the topmost one.
func TestVerifyEverySignature(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	both := sign(t, sign(t, [][]byte{[]byte(testMsg)}, k.edOpt()), k.rsaOpt())[0]
	noEd := Keys{"rsa._domainkey.example.org": k.keys["rsa._domainkey.example.org"]}
	res := verify(t, [][]byte{both, both, []byte(testMsg)}, noEd)
	res = append(verify(t, [][]byte{both}, k.keys), res...)
	for i, want := range []struct {
		ok   bool
		sigs string
	}{{true, "[true true]"}, {false, "[true false]"}, {false, "[true false]"}, {false, "[]"}} {
		if res[i].OK != want.ok || fmtBools(res[i].Signatures) != want.sigs {
			t.Errorf("case %d: OK %v Signatures %v, want %v %s\n%s", i, res[i].OK, res[i].Signatures, want.ok, want.sigs, res[i].Log)
		}
	}
}

func fmtBools(b []bool) string {
	s := make([]string, len(b))
	for i, v := range b {
		s[i] = map[bool]string{true: "true", false: "false"}[v]
	}
	return "[" + strings.Join(s, " ") + "]"
}

// TestKeyNames: key names match without regard to case or a trailing dot.
func TestKeyNames(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	msg := sign(t, [][]byte{[]byte(testMsg)}, k.rsaOpt())
	for _, name := range []string{"RSA._domainkey.Example.ORG.", "rsa._domainkey.example.org.", "rsa._DOMAINKEY.example.org"} {
		ok, err := Verify(msg, Keys{name: k.keys["rsa._domainkey.example.org"]})
		if err != nil || !ok[0] {
			t.Errorf("key published as %q: %v %v", name, ok, err)
		}
	}
}

// TestSignHeaders: Headers becomes h=, in order.
func TestSignHeaders(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	opt := k.rsaOpt()
	opt.Headers = []string{"From", "Subject", "To"}
	msg := sign(t, [][]byte{[]byte(testMsg)}, opt)[0]
	if !bytes.Contains(msg, []byte("h=from : subject : to;")) {
		t.Errorf("signature does not list h=from : subject : to:\n%s", msg)
	}
	if ok, err := Verify([][]byte{msg}, k.keys); err != nil || !ok[0] {
		t.Errorf("Verify: %v %v", ok, err)
	}
}

// TestErrors: bad options fail in Go; a Python exception comes back with
// its traceback; empty batches need no interpreter.
func TestErrors(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	msgs := [][]byte{[]byte(testMsg)}
	opt := k.rsaOpt()
	opt.KeyPEM = []byte("not a key")
	_, err := Sign(msgs, opt)
	if err == nil || !strings.Contains(err.Error(), "Traceback") || !strings.Contains(err.Error(), "KeyFormatError") {
		t.Errorf("Sign with a bad key: %v, want a KeyFormatError traceback", err)
	}
	opt = k.rsaOpt()
	opt.Canon = "loose/simple"
	if _, err := Sign(msgs, opt); err == nil {
		t.Error("Sign accepted c=loose/simple")
	}
	if _, err := Sign(msgs, SignOptions{}); err == nil {
		t.Error("Sign accepted empty options")
	}
	if res, err := Verify(nil, nil); err != nil || len(res) != 0 {
		t.Errorf("Verify(nil) = %v, %v", res, err)
	}
}

// TestProbe: Available succeeds here; an interpreter that is missing is an
// error that says what to install.
func TestProbe(t *testing.T) {
	Require(t)
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	err := probe("/nonexistent/python3")
	if err == nil || !strings.Contains(err.Error(), "apt-get install python3-dkim python3-authres") {
		t.Errorf("probe with a missing interpreter: %v", err)
	}
}

const arcServID = "mx.example.org"

// withAR returns msg with an Authentication-Results field for arcServID.
func withAR(msg string) []byte {
	return []byte("Authentication-Results: " + arcServID + "; spf=pass smtp.mailfrom=alice@example.org\r\n" + msg)
}

func (k testKeys) arcOpt() ARCOptions {
	return ARCOptions{Selector: "rsa", Domain: "example.org", KeyPEM: k.rsaPEM, AuthServID: arcServID, Timestamp: 1709294400}
}

// seal seals each message with opt and returns them with the ARC set prepended.
func seal(t *testing.T, msgs [][]byte, opt ARCOptions) [][]byte {
	t.Helper()
	sets, err := ARCSign(msgs, opt)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(msgs))
	for i := range msgs {
		if !bytes.HasPrefix(sets[i], []byte("ARC-Seal: i=1; cv=none;")) {
			t.Fatalf("message %d: ARC set %q", i, sets[i])
		}
		out[i] = append(bytes.Clone(sets[i]), msgs[i]...)
	}
	return out
}

// TestARC: dkimpy's seal passes its own arc_verify; a message without ARC
// is "none"; one changed after sealing is "fail".
func TestARC(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	sealed := seal(t, [][]byte{withAR(testMsg)}, k.arcOpt())[0]
	for _, name := range []string{"ARC-Authentication-Results: i=1; " + arcServID + ";", "ARC-Message-Signature: i=1;", "t=1709294400;"} {
		if !bytes.Contains(sealed, []byte(name)) {
			t.Errorf("sealed message lacks %q:\n%s", name, sealed)
		}
	}
	msgs := [][]byte{
		sealed,
		[]byte(testMsg),
		append(bytes.Clone(sealed), "tampered\r\n"...),
	}
	cv, err := ARCVerify(msgs, k.keys)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ARCVerifyResults(msgs, k.keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"pass", "none", "fail"} {
		if cv[i] != want || res[i].CV != want {
			t.Errorf("message %d: ARCVerify %q, ARCVerifyResults %q (%s), want %q\n%s", i, cv[i], res[i].CV, res[i].Reason, want, res[i].Log)
		}
	}
	if cv, err := ARCVerify(msgs[:1], nil); err != nil || cv[0] != "fail" {
		t.Errorf("sealed message without its key: %v %v, want fail", cv, err)
	}
}

// TestARCSecondHop: a second seal over a passing chain carries i=2, cv=pass.
func TestARCSecondHop(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	first := seal(t, [][]byte{withAR(testMsg)}, k.arcOpt())[0]
	hop := append([]byte("Authentication-Results: "+arcServID+"; arc=pass; spf=pass smtp.mailfrom=alice@example.org\r\n"), first...)
	sets, err := ARCSign([][]byte{hop}, k.arcOpt())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(sets[0], []byte("ARC-Seal: i=2; cv=pass;")) {
		t.Fatalf("second seal %q", sets[0])
	}
	cv, err := ARCVerify([][]byte{append(sets[0], hop...)}, k.keys)
	if err != nil || cv[0] != "pass" {
		t.Errorf("two-hop chain: %v %v, want pass", cv, err)
	}
}

// TestARCSignErrors: no Authentication-Results, Ed25519 and missing
// options are errors, not empty seals.
func TestARCSignErrors(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	if _, err := ARCSign([][]byte{[]byte(testMsg)}, k.arcOpt()); err == nil || !strings.Contains(err.Error(), "sealed nothing") {
		t.Errorf("message without Authentication-Results: %v", err)
	}
	opt := k.arcOpt()
	opt.Ed25519 = true
	if _, err := ARCSign([][]byte{withAR(testMsg)}, opt); err == nil {
		t.Error("Ed25519 sealing accepted")
	}
	opt = k.arcOpt()
	opt.AuthServID = ""
	if _, err := ARCSign([][]byte{withAR(testMsg)}, opt); err == nil {
		t.Error("empty AuthServID accepted")
	}
}

// TestVariedMessages signs mailgen's 100 varied messages with dkimpy and
// verifies them with dkimpy, with RSA and Ed25519, and seals and checks
// them with ARC: every one must pass, which shows mailgen's messages are
// sound input for DKIM (and that one batch of 100 is quick).
func TestVariedMessages(t *testing.T) {
	Require(t)
	k := newTestKeys(t)
	msgs := mailgen.Varied(100, 1)
	for _, tc := range []struct {
		name string
		opt  SignOptions
	}{
		{"rsa", k.rsaOpt()},
		{"ed25519", k.edOpt()},
	} {
		start := time.Now()
		signed := sign(t, msgs, tc.opt)
		mid := time.Now()
		res := verify(t, signed, k.keys)
		t.Logf("%s: dkimpy signed 100 messages in %v, verified them in %v", tc.name, mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
		for i, r := range res {
			if !r.OK {
				t.Errorf("%s: message %d (%v) did not verify\ndkimpy log:\n%s", tc.name, i, mailgen.Features(i), r.Log)
			}
		}
	}

	withAR := make([][]byte, len(msgs))
	for i, m := range msgs {
		withAR[i] = mailgen.WithAuthResults(m, arcServID)
	}
	start := time.Now()
	sealed := seal(t, withAR, k.arcOpt())
	mid := time.Now()
	res, err := ARCVerifyResults(sealed, k.keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("arc: dkimpy sealed 100 messages in %v, verified them in %v", mid.Sub(start).Round(time.Millisecond), time.Since(mid).Round(time.Millisecond))
	for i, r := range res {
		if r.CV != "pass" {
			t.Errorf("arc: message %d (%v): cv=%s (%s)\ndkimpy log:\n%s", i, mailgen.Features(i), r.CV, r.Reason, r.Log)
		}
	}
}
