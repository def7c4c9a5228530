package config

import "testing"

func TestDidYouMean(t *testing.T) {
	cases := []struct{ src, want string }{
		{"max-smtp-outt 5\n", `t.conf:1: unknown directive "max-smtp-outt" (did you mean "max-smtp-out"?)`},
		{"<domain x.example>\nretry-afterr 10m\n</domain>\n", `t.conf:2: unknown directive "retry-afterr" (did you mean "retry-after"?)`},
		{"frobnicate yes\n", `t.conf:1: unknown directive "frobnicate"`},
		{"<virtual-mta-pol p>\n</virtual-mta-pol>\n", `t.conf:1: unknown block <virtual-mta-pol> (did you mean "virtual-mta-pool"?)`},
		{"<limits>\n</limits>\n", `t.conf:1: unknown block <limits>`},
	}
	for _, tc := range cases {
		_, probs := LoadText("t.conf", []byte(tc.src))
		if len(probs) != 1 || probs[0].Error() != tc.want {
			t.Errorf("%q: problems %v, want [%s]", tc.src, probs, tc.want)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Fatalf("editDistance = %d", d)
	}
}
