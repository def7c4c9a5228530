package main

import (
	"strings"
	"testing"
)

func TestDigest(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		// sha256("user@example.com"): the address is lower-cased and trimmed first.
		{[]string{"digest", " User@Example.COM "}, "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"},
		{[]string{"digest", "--md5", "user@example.com"}, "b58996c504c5638798eb6b511e6f49af"},
		{[]string{"digest", "--hmac-sha256", "--key", "secret", "user@example.com"}, ""},
		{[]string{"digest", "--siphash", "--key", "000102030405060708090a0b0c0d0e0f", ""}, "726fdb47dd0e0e31"},
	} {
		code, out, errOut := cli(t, c.args...)
		if code != exitOK || len(strings.TrimSpace(out)) == 0 || c.want != "" && strings.TrimSpace(out) != c.want {
			t.Errorf("%v: exit %d, %q %q; want %q", c.args, code, out, errOut, c.want)
		}
	}
	for _, args := range [][]string{{"digest"}, {"digest", "--hmac-sha256", "x"}, {"digest", "--siphash", "--key", "00", "x"},
		{"digest", "--md5", "--siphash", "x"}} {
		if code, _, _ := cli(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
