package arc

import (
	"strings"
	"testing"
)

func TestParseTags(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // "n=v|n=v", or "ERR"
	}{
		{"simple", "a=1; b=2", "a=1|b=2"},
		{"trailing semicolon", "a=1; b=2;", "a=1|b=2"},
		{"trailing semicolon and space", "a=1;  \r\n ", "a=1"},
		{"whitespace around", " a = 1 ;\r\n\tb\t=\t2 ", "a=1|b=2"},
		{"inner FWS kept", "b=abc \r\n def; c=x", "b=abc \r\n def|c=x"},
		{"empty value", "h=; a=1", "h=|a=1"},
		{"value with =", "p=abc==; q=a=b", "p=abc==|q=a=b"},
		{"utf-8 value", "d=bücher.example", "d=bücher.example"},
		{"underscore name", "a_b1=x", "a_b1=x"},
		{"empty list", "", ""},
		{"double semicolon", "a=1;; b=2", "ERR"},
		{"spaced semicolons", "a=1; ; b=2", "ERR"},
		{"lone semicolon", ";", "ERR"},
		{"leading semicolon", "; a=1", "ERR"},
		{"no equals", "a=1; b", "ERR"},
		{"bad name", "1a=1", "ERR"},
		{"bad name char", "a-b=1", "ERR"},
		{"empty name", "=1", "ERR"},
		{"only equals", "==", "ERR"},
		{"duplicate", "a=1; a=2", "ERR"},
		{"control char", "a=1\x00", "ERR"},
		{"DEL", "a=\x7f", "ERR"},
		{"blank list", "   ", "ERR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tags, err := parseTags([]byte(tc.in), nil)
			got := "ERR"
			if err == nil {
				parts := make([]string, len(tags))
				for i, tg := range tags {
					parts[i] = string(tg.name) + "=" + string(tg.value)
				}
				got = strings.Join(parts, "|")
			}
			if got != tc.want {
				t.Fatalf("%q: %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestParseTagsSpan checks the value area RFC 6376 §3.7 empties for b=.
func TestParseTagsSpan(t *testing.T) {
	in := "a=1; b= ab\r\n cd ; bh=x"
	tags, err := parseTags([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := lookupTag(tags, "b")
	if got := in[:b.start] + in[b.end:]; got != "a=1; b=; bh=x" {
		t.Fatalf("emptied: %q", got)
	}
	last := "a=1; b=xyz"
	tags, _ = parseTags([]byte(last), nil)
	b, _ = lookupTag(tags, "b")
	if got := last[:b.start] + last[b.end:]; got != "a=1; b=" {
		t.Fatalf("emptied last: %q", got)
	}
}

func TestParseTagsManyDuplicates(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString("t" + strings.Repeat("x", i) + "=1;")
	}
	if _, err := parseTags([]byte(b.String()), nil); err != nil {
		t.Fatalf("100 distinct tags: %v", err)
	}
	b.WriteString("tx=2")
	if _, err := parseTags([]byte(b.String()), nil); err == nil {
		t.Fatal("duplicate among 101 tags accepted")
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"aGVsbG8=", "hello", true},
		{"aGVs\r\n bG8=", "hello", true},
		{"aGVsbG8", "", false},
		{"aGVsbG8*", "", false},
		{"", "", false},
		{"  ", "", false},
	} {
		got, ok := decodeBase64([]byte(tc.in))
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%q: %q %v", tc.in, got, ok)
		}
	}
}

func TestValidDomain(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"example.org", true},
		{"sel_1-a", true},
		{"bücher.example", true},
		{"example...", false},
		{"***", false},
		{".example.org", false},
		{"example.org.", false},
		{"", false},
		{"exa mple.org", false},
		{strings.Repeat("a", 64) + ".org", false},
		{strings.Repeat("a.", 127) + "a", false},
	} {
		if got := validDomain([]byte(tc.in)); got != tc.ok {
			t.Errorf("%q: %v", tc.in, got)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in  string
		max int
		n   int64
		ok  bool
	}{
		{"12", 2, 12, true}, {"01", 2, 1, true}, {"123", 2, 0, false},
		{"", 2, 0, false}, {"1a", 2, 0, false}, {"-1", 2, 0, false}, {"1 2", 12, 0, false},
	} {
		n, ok := parseNumber([]byte(tc.in), tc.max)
		if ok != tc.ok || n != tc.n {
			t.Errorf("%q: %d %v", tc.in, n, ok)
		}
	}
}

func TestSplitHeaderList(t *testing.T) {
	got := splitHeaderList([]byte("from : to\r\n :: Subject"))
	want := []string{"from", "to", "", "Subject"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("%q", got)
		}
	}
}
