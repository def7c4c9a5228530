package acct

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// TestAppendCSVMatchesEncodingCSV: the hand-written quoting writes what encoding/csv's
// Writer writes, field by field.
func TestAppendCSVMatchesEncodingCSV(t *testing.T) {
	for _, s := range []string{
		"", "plain", "a,b", `say "hi"`, `"`, `""`, "line\nbreak", "cr\rhere", "crlf\r\nx",
		" leading space", "\tleading tab", "trailing space ", "ünïcödé", "smtp;550 5.1.1 <a@b>: no",
	} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		if err := w.Write([]string{s}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		got := string(appendCSV(nil, s)) + "\n"
		if got != want.String() {
			t.Errorf("appendCSV(%q) = %q, encoding/csv writes %q", s, got, want.String())
		}
		if got := string(appendCSV(nil, []byte(s))) + "\n"; got != want.String() {
			t.Errorf("appendCSV([]byte %q) = %q", s, got)
		}
	}
}
