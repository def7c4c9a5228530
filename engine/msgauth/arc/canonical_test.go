package arc

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"testing"
)

// rfcExample is the message of RFC 6376 §3.4.5.
const rfcExample = "A: X\r\n" +
	"B : Y\t\r\n" +
	"\tZ  \r\n" +
	"\r\n" +
	" C \r\n" +
	"D \t E\r\n" +
	"\r\n" +
	"\r\n"

func TestCanonicalRFCExample(t *testing.T) {
	m := parseMessage([]byte(rfcExample))
	var relaxed, simple []byte
	for _, f := range m.fields {
		relaxed = appendHeader(relaxed, canonRelaxed, f)
		simple = appendHeader(simple, canonSimple, f)
	}
	if want := "a:X\r\nb:Y Z\r\n"; string(relaxed) != want {
		t.Errorf("relaxed headers %q, want %q", relaxed, want)
	}
	if want := "A: X\r\nB : Y\t\r\n\tZ  \r\n"; string(simple) != want {
		t.Errorf("simple headers %q, want %q", simple, want)
	}
	if got, want := canonBody(canonRelaxed, m.body, -1), " C\r\nD E\r\n"; got != want {
		t.Errorf("relaxed body %q, want %q", got, want)
	}
	if got, want := canonBody(canonSimple, m.body, -1), " C \r\nD \t E\r\n"; got != want {
		t.Errorf("simple body %q, want %q", got, want)
	}
}

// recorder is a hash.Hash that keeps what it is given.
type recorder struct {
	hash.Hash
	bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { return r.Buffer.Write(p) }
func (r *recorder) Reset()                      { r.Buffer.Reset() }

func canonBody(c canon, body []byte, limit int64) string {
	r := &recorder{Hash: sha256.New()}
	w := bodyHasher{h: r, limit: limit}
	hashBody(&w, c, body)
	return r.String()
}

func TestCanonicalBody(t *testing.T) {
	cases := []struct {
		name, body      string
		simple, relaxed string
	}{
		{"empty", "", "\r\n", ""},
		{"only empty lines", "\r\n\r\n\r\n", "\r\n", ""},
		{"whitespace lines at end", "a\r\n  \r\n\t\r\n", "a\r\n  \r\n\t\r\n", "a\r\n"},
		{"no final CRLF", "a  b", "a  b\r\n", "a b\r\n"},
		{"inner empty lines kept", "a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
		{"tabs and spaces", "\t a \t b \t\r\n", "\t a \t b \t\r\n", " a b\r\n"},
		{"bare CR kept", "a\rb \r\n", "a\rb \r\n", "a\rb\r\n"},
		{"trailing CR", "a\r", "a\r\r\n", "a\r\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := canonBody(canonSimple, []byte(tc.body), -1); got != tc.simple {
				t.Errorf("simple %q, want %q", got, tc.simple)
			}
			if got := canonBody(canonRelaxed, []byte(tc.body), -1); got != tc.relaxed {
				t.Errorf("relaxed %q, want %q", got, tc.relaxed)
			}
		})
	}
}

// TestCanonicalBodyChunks pushes bodies larger than the hasher's buffer
// through both forms and compares with a direct construction.
func TestCanonicalBodyChunks(t *testing.T) {
	line := "word  word\tword   \r\n"
	body := bytes.Repeat([]byte(line), 1000)
	want := bytes.Repeat([]byte("word word word\r\n"), 1000)
	if got := canonBody(canonRelaxed, body, -1); got != string(want) {
		t.Fatalf("relaxed: %d bytes, want %d", len(got), len(want))
	}
	if got := canonBody(canonSimple, body, -1); got != string(body) {
		t.Fatalf("simple: %d bytes, want %d", len(got), len(body))
	}
}

func TestCanonicalBodyLimit(t *testing.T) {
	body := []byte("hello  world\r\nagain\r\n")
	for _, tc := range []struct {
		c     canon
		limit int64
		want  string
	}{
		{canonRelaxed, 0, ""},
		{canonRelaxed, 5, "hello"},
		{canonRelaxed, 100, "hello world\r\nagain\r\n"},
		{canonSimple, 7, "hello  "},
		{canonSimple, 22, "hello  world\r\nagain\r\n"},
	} {
		if got := canonBody(tc.c, body, tc.limit); got != tc.want {
			t.Errorf("%v l=%d: %q, want %q", tc.c, tc.limit, got, tc.want)
		}
	}
	w := bodyHasher{h: sha256.New(), limit: 3}
	hashBody(&w, canonRelaxed, body)
	if w.n != int64(len("hello world\r\nagain\r\n")) {
		t.Errorf("canonical length %d", w.n)
	}
}

func TestCanonicalHeaderRelaxed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Subject: hi\r\n", "subject:hi\r\n"},
		{"SUBJECT \t:  \t hi   there \t \r\n", "subject:hi there\r\n"},
		{"X: a\r\n b\r\n\tc\r\n", "x:a b c\r\n"},
		{"X:\r\n a\r\n", "x:a\r\n"},
		{"X:\r\n", "x:\r\n"},
		{"X: a", "x:a\r\n"},
		{"X: a\r\nb\r\n", "x:ab\r\n"}, // an invalid fold: CRLF removed, nothing else
	} {
		got := appendHeader(nil, canonRelaxed, newField([]byte(tc.in)))
		if string(got) != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseCanon(t *testing.T) {
	for _, tc := range []struct {
		in         string
		head, body canon
		ok         bool
	}{
		{"relaxed/relaxed", canonRelaxed, canonRelaxed, true},
		{"relaxed", canonRelaxed, canonSimple, true},
		{"simple/relaxed", canonSimple, canonRelaxed, true},
		{"simple", canonSimple, canonSimple, true},
		{"", 0, 0, false},
		{"relaxed/", 0, 0, false},
		{"Relaxed/relaxed", 0, 0, false},
		{"relaxed/relaxed/relaxed", 0, 0, false},
	} {
		h, b, ok := parseCanon([]byte(tc.in))
		if ok != tc.ok || ok && (h != tc.head || b != tc.body) {
			t.Errorf("%q: %v %v %v", tc.in, h, b, ok)
		}
	}
}
