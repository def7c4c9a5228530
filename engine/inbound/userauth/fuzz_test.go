package userauth

import (
	"reflect"
	"testing"
)

// FuzzParsePHC checks, beyond not panicking, that a parsed PHC string is in range and
// canonical: String gives back the input byte for byte, and parsing that gives the same
// value (parse(format(x)) == x).
func FuzzParsePHC(f *testing.F) {
	for _, tc := range phcCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := parsePHC(in)
		if err != nil {
			if !reflect.DeepEqual(p, phc{}) {
				t.Fatalf("error %v with a non-zero value %+v", err, p)
			}
			return
		}
		if p.time < 1 || p.time > phcMaxTime || p.threads < 1 || p.memory < 8*uint32(p.threads) ||
			p.memory > phcMaxMemory || len(p.salt) < phcMinSalt || len(p.salt) > phcMaxSalt ||
			len(p.hash) < phcMinHash || len(p.hash) > phcMaxHash {
			t.Fatalf("%q parsed out of range: %+v", in, p)
		}
		out := p.String()
		if out != in {
			t.Fatalf("String() = %q, input %q", out, in)
		}
		p2, err := parsePHC(out)
		if err != nil {
			t.Fatalf("parsePHC(String()) of %q: %v", out, err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip %+v != %+v", p2, p)
		}
		if k, err := classify(in); k != kindArgon2id || err != nil {
			t.Fatalf("classify(%q) = %v, %v", in, k, err)
		}
	})
}
