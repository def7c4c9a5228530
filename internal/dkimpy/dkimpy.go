package dkimpy

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is the interpreter that has Debian's python3-dkim and
// python3-authres. It is a fixed path on purpose: the python3 first on
// PATH may be a separate build without them.
const Python = "/usr/bin/python3"

// requirePeersEnv names the environment variable under which a missing
// dkimpy fails a test instead of skipping it (CI sets it), as for every
// real peer (see internal/testpeer).
const requirePeersEnv = "VOLLEY_REQUIRE_PEERS"

// script is the Python side of every call (dkimpy.py).
//
//go:embed dkimpy.py
var script string

// Keys maps DNS names ("sel._domainkey.example.org") to the TXT record text
// served for them ("v=DKIM1; k=rsa; p=..."). Names match without regard to
// case or a trailing dot; a name that is absent has no record.
type Keys map[string]string

// Available reports whether Debian's python3 with dkim and authres is
// present, by running the embedded script's probe; the error says what is
// missing and how to install it.
func Available() error { return probe(Python) }

// probe runs the embedded script's probe with the interpreter python.
func probe(python string) error {
	var rep reply
	if err := run(python, request{Op: "probe"}, &rep); err != nil {
		return fmt.Errorf("%w (apt-get install python3-dkim python3-authres)", err)
	}
	if rep.Versions["dkimpy"] == "" {
		return errors.New("dkimpy: probe reported no dkimpy version")
	}
	return nil
}

// Require skips the test when dkimpy is missing, or fails it when the
// environment variable VOLLEY_REQUIRE_PEERS is set (CI sets it to 1), so
// that CI cannot pass by skipping.
func Require(t testing.TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv(requirePeersEnv) != "" {
		t.Fatalf("%v; %s is set, so this is a failure", err, requirePeersEnv)
	}
	t.Skipf("skipping the dkimpy cross-check: %v", err)
}

// RSAKey returns k as the PKCS#1 PEM that dkimpy signs with and the DNS
// TXT record ("v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo, base64>") that
// verifies its signatures.
func RSAKey(k *rsa.PrivateKey) (keyPEM []byte, txt string) {
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil { // only for keys crypto/rsa would not produce
		panic("dkimpy: marshal RSA public key: " + err.Error())
	}
	return keyPEM, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(spki)
}

// Ed25519Key returns k as the secret dkimpy signs with (base64 of the
// 32-byte seed, which dkimpy hands to nacl.signing.SigningKey) and the DNS
// TXT record ("v=DKIM1; k=ed25519; p=<32-byte public key, base64>",
// RFC 8463 §4.2) that verifies its signatures.
func Ed25519Key(k ed25519.PrivateKey) (secret []byte, txt string) {
	secret = []byte(base64.StdEncoding.EncodeToString(k.Seed()))
	pub := k.Public().(ed25519.PublicKey)
	return secret, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

// request is what dkimpy.py reads from stdin.
type request struct {
	Op       string   `json:"op"`
	Keys     Keys     `json:"keys,omitempty"`
	Options  *options `json:"options,omitempty"`
	Messages [][]byte `json:"messages"` // base64 in JSON, as encoding/json does for []byte
}

// options carries the signing parameters of Sign and ARCSign.
type options struct {
	Selector  string   `json:"selector"`
	Domain    string   `json:"domain"`
	Key       []byte   `json:"key"`
	Ed25519   bool     `json:"ed25519,omitempty"`
	Headers   []string `json:"headers,omitempty"`
	Canon     string   `json:"canon,omitempty"`
	SrvID     string   `json:"srv_id,omitempty"`
	Timestamp int64    `json:"timestamp,omitempty"`
}

// reply is what dkimpy.py writes to stdout.
type reply struct {
	Versions map[string]string `json:"versions"`
	Results  []result          `json:"results"`
}

// result is dkimpy.py's answer for one message; which fields are set
// depends on the operation.
type result struct {
	OK     bool   `json:"ok"`
	Sigs   []bool `json:"sigs"`
	CV     string `json:"cv"`
	Reason string `json:"reason"`
	Fields []byte `json:"fields"`
	Log    string `json:"log"`
	Error  string `json:"error"`
}

// run starts the interpreter python for req and decodes its reply into
// rep. The script goes to a temporary file rather than "-c" so that
// tracebacks quote its source lines.
func run(python string, req request, rep *reply) error {
	f, err := os.CreateTemp("", "volley-dkimpy-*.py")
	if err != nil {
		return fmt.Errorf("dkimpy: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(script)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dkimpy: write script: %w", err)
	}
	in, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("dkimpy: encode %s request: %w", req.Op, err)
	}
	var stdout, stderr bytes.Buffer
	// -I: ignore PYTHON* variables and the user site, so only Debian's packages load.
	cmd := exec.Command(python, "-I", f.Name())
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dkimpy: %s: %s: %w\n%s", req.Op, python, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), rep); err != nil {
		return fmt.Errorf("dkimpy: %s: decode reply: %w\nstderr: %s", req.Op, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// batch runs op over msgs and returns one result per message, or the first
// message's Python error (with its traceback).
func batch(op string, msgs [][]byte, keys Keys, opt *options) ([]result, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	var rep reply
	if err := run(Python, request{Op: op, Keys: keys, Options: opt, Messages: msgs}, &rep); err != nil {
		return nil, err
	}
	if len(rep.Results) != len(msgs) {
		return nil, fmt.Errorf("dkimpy: %s: %d results for %d messages", op, len(rep.Results), len(msgs))
	}
	for i, r := range rep.Results {
		if r.Error == "" {
			continue
		}
		err := fmt.Errorf("dkimpy: %s: message %d: %s", op, i, strings.TrimSpace(r.Error))
		if r.Log != "" {
			err = fmt.Errorf("%w\ndkimpy log:\n%s", err, strings.TrimSpace(r.Log))
		}
		return nil, err
	}
	return rep.Results, nil
}
