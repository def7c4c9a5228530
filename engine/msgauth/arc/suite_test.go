package arc

// The public ARC test suite (arc_test_suite, draft-ietf-dmarc-arc-protocol
// era): every validation vector through Validate and every signing vector
// through the sealer, in the suite's standardized layout so that b= can be
// compared byte for byte.

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// suiteDir is the suite's folder, relative to this package: the shared
// folder that sits next to the repository.
const suiteDir = "../../../../shared/corpus/arc"

// scenario is one YAML document of a suite file.
type scenario struct {
	tests      []vector
	txt        map[string]string // DNS name -> TXT record
	domain     string
	selector   string
	privateKey string
}

// vector is one test; fields holds its scalar entries (message, cv, t,
// sig-headers, srv-id, AS, AMS, AAR, ...).
type vector struct {
	name   string
	fields map[string]string
}

// loadSuite reads a suite file, or skips t when the suite is absent. The
// YAML is walked as nodes rather than decoded into maps: one scenario of
// the validation file repeats test names (as_fields_b_head_case and three
// others), which a map decode rejects; both copies are kept.
func loadSuite(t *testing.T, file string) []scenario {
	t.Helper()
	path := filepath.Join(suiteDir, file)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("ARC test suite not found at %s", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, readScenario(doc.Content[0]))
	}
	return out
}

func readScenario(n *yaml.Node) scenario {
	var sc scenario
	forPairs(n, func(k string, v *yaml.Node) {
		switch k {
		case "tests":
			forPairs(v, func(name string, tv *yaml.Node) {
				vec := vector{name: name, fields: map[string]string{}}
				forPairs(tv, func(fk string, fv *yaml.Node) { vec.fields[fk] = fv.Value })
				sc.tests = append(sc.tests, vec)
			})
		case "txt-records", "txt_records":
			sc.txt = map[string]string{}
			forPairs(v, func(name string, rv *yaml.Node) { sc.txt[strings.ToLower(name)] = rv.Value })
		case "domain":
			sc.domain = v.Value
		case "sel":
			sc.selector = v.Value
		case "privatekey":
			sc.privateKey = v.Value
		}
	})
	return sc
}

// forPairs calls fn for each key/value of a mapping node, in file order.
func forPairs(n *yaml.Node, fn func(string, *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, n.Content[i+1])
	}
}

// lookup serves the scenario's TXT records; names are matched without
// regard to case, as DNS does.
func (sc scenario) lookup(name string) ([]string, error) {
	if rec, ok := sc.txt[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
		return []string{rec}, nil
	}
	return nil, errors.New("NXDOMAIN " + name)
}

// crlfText turns a YAML block (LF line ends) into a CRLF message.
func crlfText(s string) []byte {
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// expectedStatus maps the suite's cv. An empty cv marks a chain whose
// newest seal already says cv=fail (cv_fail_i1_as_cv_fail and
// cv_fail_i2_as2_fail, cv_fail_i2_as1_fail): dkimpy reports "no result"
// there, RFC 8617 §5.2 step 2 says fail, and fail is what we report.
func expectedStatus(cv string) (Status, bool) {
	switch strings.TrimSpace(cv) {
	case "None":
		return StatusNone, true
	case "Pass":
		return StatusPass, true
	case "Fail", "":
		return StatusFail, true
	}
	return 0, false
}

// suiteOldestPass is header.oldest-pass for passing vectors where it is
// not 0 (every AMS valid). The suite does not state it; these follow from
// the vectors' descriptions.
var suiteOldestPass = map[string]int{
	"cv_pass_i2_1_ams1_invalid": 2, // "modified from header, ams(1) no longer valid"
}

// validationSkips lists validation vectors not run, with the reason.
var validationSkips = map[string]string{
	"ams_fields_c_na": "relies on dkimpy reading an AMS without c= as relaxed/relaxed; RFC 8617 §4.1.2 gives the AMS " +
		"the DKIM-Signature's semantics, where a missing c= means simple/simple (RFC 6376 §3.5), and under " +
		"simple/simple this header hash does not verify",
}

func TestSuiteValidation(t *testing.T) {
	scenarios := loadSuite(t, "arc-draft-validation-tests.yml")
	total := 0
	for _, sc := range scenarios {
		for _, vec := range sc.tests {
			total++
			t.Run(vec.name, func(t *testing.T) {
				if why, ok := validationSkips[vec.name]; ok {
					t.Skip(why)
				}
				want, ok := expectedStatus(vec.fields["cv"])
				if !ok {
					t.Fatalf("unknown cv %q", vec.fields["cv"])
				}
				msg := crlfText(vec.fields["message"])
				got := Validate(msg, sc.lookup)
				if got.Status != want {
					t.Fatalf("status %v, want %v (%s); reason %q", got.Status, want, vec.fields["description"], got.Reason)
				}
				if got.Status == StatusPass && got.OldestPass != suiteOldestPass[vec.name] {
					t.Errorf("oldest-pass %d, want %d", got.OldestPass, suiteOldestPass[vec.name])
				}
				if want == StatusFail && got.Reason == "" {
					t.Error("fail without a reason")
				}
				if testing.Verbose() && got.Reason != "" {
					t.Logf("%v: %s", got.Status, got.Reason)
				}
				// The same message with LF line ends must read the same.
				if lf := Validate([]byte(vec.fields["message"]), sc.lookup); lf != got {
					t.Errorf("LF form: %+v, CRLF form: %+v", lf, got)
				}
			})
		}
	}
	if total == 0 {
		t.Fatal("no vectors read")
	}
}

// signingSkips lists signing vectors not run, with the reason. Empty:
// every vector passes.
var signingSkips = map[string]string{}

func TestSuiteSigning(t *testing.T) {
	scenarios := loadSuite(t, "arc-draft-sign-tests.yml")
	for _, sc := range scenarios {
		key := suiteKey(t, sc.privateKey)
		for _, vec := range sc.tests {
			t.Run(vec.name, func(t *testing.T) {
				if why, ok := signingSkips[vec.name]; ok {
					t.Skip(why)
				}
				runSigningVector(t, sc, vec, key)
			})
		}
	}
}

func suiteKey(t *testing.T, p string) crypto.Signer {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		t.Fatal("suite private key: no PEM block")
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("suite private key: %v", err)
	}
	return k
}

// runSigningVector seals vec's message as the suite's signer would and
// compares the set with the expected one, then checks that what was
// sealed verifies.
func runSigningVector(t *testing.T, sc scenario, vec vector, key crypto.Signer) {
	msg := crlfText(vec.fields["message"])
	stamp, err := strconv.ParseInt(vec.fields["t"], 10, 64)
	if err != nil {
		t.Fatalf("t: %v", err)
	}
	srvID := vec.fields["srv-id"]
	s := &Sealer{
		Domain:     sc.domain,
		Selector:   sc.selector,
		Key:        key,
		Headers:    strings.Split(vec.fields["sig-headers"], ":"),
		AuthServID: srvID,
		Now:        func() time.Time { return time.Unix(stamp, 0) },
	}
	chain := Validate(msg, sc.lookup)
	set, err := s.seal(msg, AuthResults(msg, srvID), chain, layoutSuite)
	if strings.TrimSpace(vec.fields["AS"]) == "" {
		// The suite expects no set: the newest seal already says cv=fail.
		if !errors.Is(err, ErrChainFailed) {
			t.Fatalf("sealed a chain ending in cv=fail: err %v", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	got := splitSet(t, set)
	compareTags(t, "ARC-Seal", got[kindAS], vec.fields["AS"])
	compareTags(t, "ARC-Message-Signature", got[kindAMS], vec.fields["AMS"])
	if g, w := squash(got[kindAAR]), squash(vec.fields["AAR"]); g != w {
		t.Errorf("ARC-Authentication-Results:\n got %s\nwant %s", g, w)
	}
	checkSealed(t, append(set, msg...), chain.Status, sc.lookup)

	// The wire layout (what Seal sends) must verify just the same.
	wire, err := s.Seal(msg, AuthResults(msg, srvID), chain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	checkSealed(t, append(wire, msg...), chain.Status, sc.lookup)
	if testing.Verbose() {
		t.Logf("sealed:\n%s", wire)
	}
}

// splitSet returns the values of the three fields of a sealed set.
func splitSet(t *testing.T, set []byte) map[kind]string {
	t.Helper()
	got := map[kind]string{}
	for _, f := range parseFields(set) {
		got[kindOf(f.name)] = string(f.value)
	}
	if len(got) != 3 || got[kindNone] != "" {
		t.Fatalf("sealed set is not AS, AMS, AAR:\n%s", set)
	}
	return got
}

// compareTags compares two tag lists as sets of name=value, whitespace
// inside values ignored (folding may differ; b= must be byte-equal).
func compareTags(t *testing.T, what, got, want string) {
	t.Helper()
	g, w := tagMap(t, got), tagMap(t, want)
	for name, wv := range w {
		if gv, ok := g[name]; !ok {
			t.Errorf("%s: missing %s=", what, name)
		} else if gv != wv {
			t.Errorf("%s: %s=%s, want %s", what, name, gv, wv)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("%s: extra %s=", what, name)
		}
	}
}

func tagMap(t *testing.T, v string) map[string]string {
	t.Helper()
	tags, err := parseTags([]byte(v), nil)
	if err != nil {
		t.Fatalf("tag list %q: %v", v, err)
	}
	m := map[string]string{}
	for _, tg := range tags {
		m[string(tg.name)] = strings.Join(strings.Fields(string(tg.value)), "")
	}
	return m
}

// squash is the relaxed form of a field value: whitespace runs to one
// space, none at the ends.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkSealed validates a freshly sealed message. A chain that passed or
// was absent must now pass; a failed one was sealed with cv=fail, which
// validators report as fail, so there only the new set's own signatures
// are checked (as RFC 8617 §5.1.2 scopes them).
func checkSealed(t *testing.T, sealed []byte, before Status, lookup LookupTXT) {
	t.Helper()
	r := Validate(sealed, lookup)
	if before != StatusFail {
		if r.Status != StatusPass {
			t.Fatalf("sealed message does not validate: %+v", r)
		}
		return
	}
	if r.Status != StatusFail {
		t.Fatalf("cv=fail seal validates as %v", r.Status)
	}
	if err := verifyNewestSet(sealed, lookup); err != nil {
		t.Fatalf("newest set: %v", err)
	}
}

// verifyNewestSet checks the AMS of the newest set and its AS as a seal
// over that set alone (the cv=fail scope).
func verifyNewestSet(msg []byte, lookup LookupTXT) error {
	m := parseMessage(toCRLF(msg))
	c := collect(m)
	n := len(c.sets)
	if n == 0 {
		return errors.New("no sets")
	}
	top := c.sets[n-1]
	if top.aar == nil || top.ams == nil || top.as == nil {
		return errors.New("newest set incomplete")
	}
	v := validator{m: m, keys: keyCache{lookup: lookup}}
	if err := v.verifyAMS(top.ams); err != nil {
		return errors.New("AMS: " + err.Error())
	}
	if err := v.verifyAS([]arcSet{top}, 1); err != nil {
		return errors.New("AS: " + err.Error())
	}
	return nil
}
