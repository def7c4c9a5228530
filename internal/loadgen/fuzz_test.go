package loadgen

import (
	"strings"
	"testing"
)

// FuzzParseRule checks that no input panics, that every error names the
// rule, and that an accepted rule survives String and a second parse.
func FuzzParseRule(f *testing.F) {
	for _, tc := range ruleCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ParseRule(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "loadgen: reply rule ") {
				t.Fatalf("error %q does not name the rule", err)
			}
			return
		}
		s := r.String()
		r2, err := ParseRule(s)
		if err != nil {
			t.Fatalf("ParseRule(%q) ok, but its String %q fails: %v", in, s, err)
		}
		if s2 := r2.String(); s2 != s || r2.Stage != r.Stage || r2.Select != r.Select ||
			r2.Code != r.Code || r2.Text != r.Text || r2.N != r.N || r2.Percent != r.Percent ||
			string(r2.line) != string(r.line) {
			t.Fatalf("round trip of %q: %q became %q", in, s, s2)
		}
		if r.Code < 200 || r.Code > 559 || r.Code/100 == 3 || strings.ContainsAny(string(r.line[:len(r.line)-2]), "\r\n") {
			t.Fatalf("ParseRule(%q) accepted reply %q", in, r.line)
		}
	})
}
