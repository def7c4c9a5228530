package arc

import (
	"bytes"
	"strings"
	"testing"
)

// TestFormatSigStable checks what signing relies on: the text up to b=
// is the same with and without the signature, and both canonicalize to
// the same relaxed form once b= is emptied.
func TestFormatSigStable(t *testing.T) {
	names := strings.Repeat("content-transfer-encoding:", 12) + "from"
	tags := []tagKV{{"i", "1"}, {"a", "rsa-sha256"}, {"c", "relaxed/relaxed"}, {"d", "example.org"},
		{"s", "sel"}, {"t", "1700000000"}, {"h", names}, {"bh", strings.Repeat("A", 44)}, {"b", ""}}
	for lay := range layoutCount {
		unsigned := formatSig("ARC-Message-Signature", tags, lay)
		signed := slicesWithB(tags, strings.Repeat("Zm9v", 86))
		full := formatSig("ARC-Message-Signature", signed, lay)
		if lay == layoutWire && !bytes.HasPrefix(full, bytes.TrimSuffix(unsigned, crlf)) {
			t.Fatalf("layout %d: signed text does not extend the unsigned one:\n%s\n%s", lay, unsigned, full)
		}
		f := newField(full)
		tl, err := parseTags(f.value, nil)
		if err != nil {
			t.Fatalf("layout %d: %v", lay, err)
		}
		b, _ := lookupTag(tl, "b")
		off := len(f.raw) - len(f.value) - 2
		emptied := append(append([]byte{}, f.raw[:off+b.start]...), f.raw[off+b.end:]...)
		got := appendSelfField(nil, newField(emptied), canonRelaxed)
		want := appendSelfField(nil, newField(unsigned), canonRelaxed)
		if !bytes.Equal(got, want) {
			t.Fatalf("layout %d:\n%s\n%s", lay, got, want)
		}
		if h := strings.Join(strings.Fields(string(mustTag(t, tl, "h"))), ""); h != names {
			t.Fatalf("layout %d: h=%s", lay, h)
		}
		if lay == layoutWire {
			checkLines(t, full)
		}
	}
}

func slicesWithB(tags []tagKV, b string) []tagKV {
	out := append([]tagKV(nil), tags...)
	out[len(out)-1].value = b
	return out
}

func mustTag(t *testing.T, tags []tag, name string) []byte {
	t.Helper()
	v, ok := lookupTag(tags, name)
	if !ok {
		t.Fatalf("no %s=", name)
	}
	return v.value
}

// checkLines wants every line within 78 columns (a tab counted as 8),
// CRLF line ends, and continuation lines that start with a tab.
func checkLines(t *testing.T, field []byte) {
	t.Helper()
	if !bytes.HasSuffix(field, crlf) {
		t.Fatalf("no final CRLF: %q", field)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(field), "\r\n"), "\r\n") {
		width := len(strings.ReplaceAll(line, "\t", "        "))
		if width > lineMax || strings.Contains(line, "\n") || i > 0 && !strings.HasPrefix(line, "\t") {
			t.Fatalf("line %d (%d columns): %q", i, width, line)
		}
	}
}

func TestFormatAAR(t *testing.T) {
	v := "i=1; mx.example.org; arc=none; spf=pass smtp.mailfrom=someone@example.com; dkim=pass header.d=example.com header.s=sel; dmarc=pass header.from=example.com"
	out := formatAAR(v, layoutWire)
	checkLines(t, out)
	if got := squash(string(newField(out).value)); got != v {
		t.Fatalf("%q", got)
	}
	if got := string(formatAAR(v, layoutSuite)); got != "ARC-Authentication-Results: "+v+"\r\n" {
		t.Fatalf("%q", got)
	}
}
