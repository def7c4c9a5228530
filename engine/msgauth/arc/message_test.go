package arc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestToCRLF(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"\n", "\r\n"},
		{"a\r\nb\nc\r\n", "a\r\nb\r\nc\r\n"},
		{"a\rb\n", "a\rb\r\n"},
	} {
		if got := toCRLF([]byte(tc.in)); string(got) != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	in := []byte("a\r\nb\r\n")
	if out := toCRLF(in); &out[0] != &in[0] {
		t.Error("a CRLF message was copied")
	}
}

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		fields   []string // raw fields
		body     string
	}{
		{"plain", "A: 1\r\nB: 2\r\n\r\nbody\r\n", []string{"A: 1\r\n", "B: 2\r\n"}, "body\r\n"},
		{"folded", "A: 1\r\n 2\r\n\tx\r\nB: 2\r\n\r\n", []string{"A: 1\r\n 2\r\n\tx\r\n", "B: 2\r\n"}, ""},
		{"no body", "A: 1\r\nB: 2\r\n", []string{"A: 1\r\n", "B: 2\r\n"}, ""},
		{"no final CRLF", "A: 1\r\nB: 2", []string{"A: 1\r\n", "B: 2"}, ""},
		{"no header", "\r\nbody\r\n", nil, "body\r\n"},
		{"empty", "", nil, ""},
		{"leading continuation dropped", " x\r\nA: 1\r\n\r\n", []string{"A: 1\r\n"}, ""},
		{"no colon kept", "garbage\r\nA: 1\r\n\r\nb", []string{"garbage\r\n", "A: 1\r\n"}, "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := parseMessage([]byte(tc.in))
			var got []string
			for _, f := range m.fields {
				got = append(got, string(f.raw))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.fields) || string(m.body) != tc.body {
				t.Fatalf("fields %q body %q", got, m.body)
			}
		})
	}
	f := newField([]byte("Subject \t: hi\r\n there\r\n"))
	if string(f.name) != "Subject" || string(f.value) != " hi\r\n there" {
		t.Fatalf("name %q value %q", f.name, f.value)
	}
}

// TestSelectFields checks RFC 6376 §5.4.2: repeated names take fields
// from the bottom up, extra mentions select nothing, case is ignored.
func TestSelectFields(t *testing.T) {
	m := parseMessage([]byte("Received: 1\r\nTo: a\r\nreceived: 2\r\nFrom: x\r\nRECEIVED: 3\r\n: nameless\r\n\r\n"))
	names := [][]byte{[]byte("received"), []byte("from"), []byte("Received"), []byte("subject"), []byte("received"), []byte("received"), []byte("")}
	got := m.selectFields(names, nil)
	want := []int32{4, 3, 2, -1, 0, -1, -1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

// TestSelectFieldsLarge makes sure a header of many fields and an h= of
// many names resolve correctly (and, by the sort, quickly).
func TestSelectFieldsLarge(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "X-%d: v\r\nReceived: %d\r\n", i%50, i)
	}
	m := parseMessage([]byte(b.String() + "\r\n"))
	names := make([][]byte, 0, 6000)
	for range 6000 {
		names = append(names, []byte("received"))
	}
	got := m.selectFields(names, nil)
	for k, i := range got {
		switch {
		case k < 5000 && (i < 0 || !bytes.Equal(m.fields[i].value, []byte(fmt.Sprintf(" %d", 4999-k)))):
			t.Fatalf("mention %d: field %d", k, i)
		case k >= 5000 && i != -1:
			t.Fatalf("mention %d beyond the fields: %d", k, i)
		}
	}
}

func TestCompareFold(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		sign int
	}{{"abc", "ABC", 0}, {"abc", "abd", -1}, {"b", "A", 1}, {"ab", "abc", -1}, {"", "", 0}} {
		got := compareFold([]byte(tc.a), []byte(tc.b))
		if got < 0 && tc.sign >= 0 || got > 0 && tc.sign <= 0 || got == 0 && tc.sign != 0 {
			t.Errorf("%q %q: %d", tc.a, tc.b, got)
		}
	}
}
