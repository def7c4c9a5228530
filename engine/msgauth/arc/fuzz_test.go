package arc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// fuzzEnv is what the fuzz targets share: the pinned keys, sealers, and
// DNS serving both the pinned keys and the suite's records (when the
// suite is present), so that seeds from either can pass.
type fuzzEnv struct {
	keys   testKeys
	txt    map[string]string
	sealer *Sealer
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	keys := loadTestKeys(f)
	env := &fuzzEnv{keys: keys, txt: map[string]string{}, sealer: sealers(f, keys)["ed"]}
	for k, v := range keys.txt {
		env.txt[k] = v
	}
	return env
}

func (e *fuzzEnv) lookup(name string) ([]string, error) {
	if rec, ok := e.txt[strings.ToLower(name)]; ok {
		return []string{rec}, nil
	}
	return nil, errors.New("NXDOMAIN")
}

// addSeeds adds our own sealed messages and, when the suite is present,
// its messages and records.
func (e *fuzzEnv) addSeeds(f *testing.F) {
	ss := sealers(f, e.keys)
	one, _ := sealOnce(f, ss["rsa"], []byte(testMessage), e.keys.lookup)
	two, _ := sealOnce(f, ss["ed"], one, e.keys.lookup)
	f.Add(one)
	f.Add(two)
	f.Add([]byte(testMessage))
	f.Add([]byte(rfcExample))
	for _, file := range []string{"arc-draft-validation-tests.yml", "arc-draft-sign-tests.yml"} {
		data, err := os.ReadFile(filepath.Join(suiteDir, file))
		if err != nil {
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc yaml.Node
			if dec.Decode(&doc) != nil {
				break
			}
			sc := readScenario(doc.Content[0])
			for k, v := range sc.txt {
				e.txt[k] = v
			}
			for _, vec := range sc.tests {
				f.Add(crlfText(vec.fields["message"]))
			}
		}
	}
}

// maxFuzzTime bounds one call. It is far above what any input should
// take (well under a millisecond per KB); it is there to turn a
// quadratic path into a failure instead of a slow fuzzer.
const maxFuzzTime = 5 * time.Second

// FuzzValidate checks that Validate never panics, returns a consistent
// Result, reads LF and CRLF alike, and stays fast.
func FuzzValidate(f *testing.F) {
	env := newFuzzEnv(f)
	env.addSeeds(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		start := time.Now()
		r := Validate(msg, env.lookup)
		if d := time.Since(start); d > maxFuzzTime {
			t.Fatalf("Validate took %v on %d bytes", d, len(msg))
		}
		checkResult(t, r)
		if crlf := Validate(toCRLF(msg), env.lookup); crlf != r {
			t.Fatalf("CRLF form %+v, input %+v", crlf, r)
		}
	})
}

func checkResult(t *testing.T, r Result) {
	t.Helper()
	switch r.Status {
	case StatusNone:
		if r != (Result{}) {
			t.Fatalf("none with details: %+v", r)
		}
	case StatusPass:
		if r.Instance < 1 || r.Instance > maxInstance || r.Reason != "" ||
			r.OldestPass != 0 && (r.OldestPass < 2 || r.OldestPass > r.Instance) {
			t.Fatalf("inconsistent pass: %+v", r)
		}
	case StatusFail:
		if r.Reason == "" || r.Instance < 0 || r.Instance > maxInstance || r.OldestPass != 0 {
			t.Fatalf("inconsistent fail: %+v", r)
		}
	default:
		t.Fatalf("status %v", r.Status)
	}
}

// FuzzSealValidate seals arbitrary messages and validates the result:
// whatever the sealer signs, the validator must accept. It catches any
// difference between how the two canonicalize, select fields or format.
func FuzzSealValidate(f *testing.F) {
	env := newFuzzEnv(f)
	env.addSeeds(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 0 && isWSP(msg[0]) {
			return // prepended fields would swallow a leading continuation line
		}
		chain := Validate(msg, env.lookup)
		start := time.Now()
		set, err := env.sealer.Seal(msg, AuthResults(msg, env.sealer.AuthServID), chain)
		if d := time.Since(start); d > maxFuzzTime {
			t.Fatalf("Seal took %v on %d bytes", d, len(msg))
		}
		if errors.Is(err, ErrChainFailed) || errors.Is(err, ErrChainTooLong) {
			return
		}
		if err != nil {
			t.Fatalf("seal after %+v: %v", chain, err)
		}
		sealed := append(set, msg...)
		r := Validate(sealed, env.lookup)
		if chain.Status == StatusFail {
			if r.Status != StatusFail {
				t.Fatalf("cv=fail set validates as %+v", r)
			}
			if err := verifyNewestSet(sealed, env.lookup); err != nil {
				t.Fatalf("cv=fail set: %v\n%s", err, set)
			}
			return
		}
		if r.Status != StatusPass || r.Instance != chain.Instance+1 {
			t.Fatalf("after sealing %+v: %+v\n%s", chain, r, set)
		}
	})
}

// FuzzParseTags checks the tag-list parser: no panic, and a list it
// accepts, written out again, parses to the same tags.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"a=1; b=2;", "b=abc \r\n def; c=x", "h=;", "v=DKIM1; k=ed25519; p=", "a=1;; b", "=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tags, err := parseTags(in, nil)
		if err != nil {
			return
		}
		var b []byte
		for _, tg := range tags {
			if tg.start < 0 || tg.end > len(in) || tg.start > tg.end {
				t.Fatalf("span %d..%d of %d", tg.start, tg.end, len(in))
			}
			b = append(append(append(append(b, tg.name...), '='), tg.value...), ';')
		}
		again, err := parseTags(b, nil)
		if err != nil || len(again) != len(tags) {
			t.Fatalf("%q -> %q: %v", in, b, err)
		}
		for i := range tags {
			if !bytes.Equal(tags[i].name, again[i].name) || !bytes.Equal(tags[i].value, again[i].value) {
				t.Fatalf("%q -> %q: tag %d differs", in, b, i)
			}
		}
	})
}

// FuzzAuthResults checks that gathering results never panics and never
// lets a line break or stray space through to the AAR.
func FuzzAuthResults(f *testing.F) {
	f.Add([]byte("Authentication-Results: mx.example.org; spf=pass (a;b) x=\"y;z\"; arc=none\r\n\r\n"), "mx.example.org")
	f.Add([]byte("Authentication-Results: \"q\\\"x\" 1; none\r\n"), "q\\\"x")
	f.Fuzz(func(t *testing.T, msg []byte, id string) {
		r := AuthResults(msg, id)
		if strings.HasPrefix(r, " ") || strings.HasSuffix(r, " ") || strings.Contains(r, "  ") {
			t.Fatalf("untrimmed: %q", r)
		}
		for i := 0; i < len(r); i++ {
			if r[i] < ' ' || r[i] == 0x7f {
				t.Fatalf("control character: %q", r)
			}
		}
	})
}
