package bounce

import (
	"strings"
	"testing"
)

func TestLineWriter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		utf8  bool
		width int
		in    string
		want  string
	}{
		{"fits", false, 20, "a b  c", "F: a b c"},
		{"wraps before the word that passes", false, 12, "aaa bbb ccc ddd", "F: aaa bbb\r\n ccc ddd"},
		{"controls separate words", false, 78, "a\r\nb\tc\x00d\x7fe", "F: a b c d e"},
		{"non-ASCII without utf8", false, 78, "é \xff x", "F: ? ? x"},
		{"UTF-8 kept", true, 78, "é 用户", "F: é 用户"},
		{"invalid UTF-8 replaced", true, 78, "a\xffb", "F: a?b"},
		{"only separators", false, 78, " \r\n ", "F: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := lineWriter{width: tc.width, indent: " ", utf8: tc.utf8}
			w.str("F: ")
			w.words(tc.in)
			if string(w.b) != tc.want {
				t.Errorf("got %q, want %q", w.b, tc.want)
			}
		})
	}

	// A word longer than hardMax is broken; every line stays under 998.
	w := lineWriter{width: 78, indent: " "}
	w.str("F: ")
	w.words("short " + strings.Repeat("x", 2500) + " tail")
	w.crlf()
	if p := wireProblem(w.b); p != "" {
		t.Fatal(p)
	}
	lines := strings.Split(strings.TrimSuffix(string(w.b), "\r\n"), "\r\n")
	if len(lines) != 5 || lines[0] != "F: short" || lines[4] != " tail" {
		t.Errorf("%d lines: %q ... %q", len(lines), lines[0], lines[len(lines)-1])
	}
	// Unfolding restores the words.
	if got := strings.ReplaceAll(string(w.b), "\r\n", ""); !strings.HasPrefix(got, "F: short x") || !strings.HasSuffix(got, "x tail") {
		t.Errorf("unfolded %q", got[:20])
	}
}
