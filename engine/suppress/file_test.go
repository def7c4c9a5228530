package suppress

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestImportLineErrors(t *testing.T) {
	in := "# a comment\r\n" +
		"bob@example.com\r\n" +
		"\r\n" +
		"not an address\n" +
		"  @Example.org  \n" +
		strings.Repeat("x", maxLine+10) + "\n" +
		"postmaster\n" +
		"bob@example.com\n" + // a duplicate: counted as an entry, not added
		"@*.wild.example" // no final newline
	l := NewList("imp")
	res, err := l.Import(strings.NewReader(in), FormatList)
	tcheck(t, err, "Import")
	tcompare(t, "Lines", res.Lines, 9)
	tcompare(t, "Entries", res.Entries, 4)
	tcompare(t, "Added", res.Added, 3)
	tcompare(t, "Bad", res.Bad, 3)
	tcompare(t, "Len", l.Len(), 3)
	var lines []int
	for _, err := range res.Errors {
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
		lines = append(lines, le.Line)
	}
	tcompare(t, "bad lines", fmt.Sprint(lines), "[4 6 7]")
	tcompare(t, "message", res.Errors[0].Error(), `line 4: address "not an address": no @ (write LOCAL@* for a local part at any domain, @DOMAIN for a domain)`)
	tcompare(t, "too long", res.Errors[1].Error(), "line 6: line too long")
}

func TestImportErrorCap(t *testing.T) {
	in := strings.Repeat("bad\n", MaxLineErrors+5)
	res, err := NewList("cap").Import(strings.NewReader(in), FormatList)
	tcheck(t, err, "Import")
	tcompare(t, "Bad", res.Bad, MaxLineErrors+5)
	tcompare(t, "Errors kept", len(res.Errors), MaxLineErrors)
}

func TestImportReadError(t *testing.T) {
	r := iotest.TimeoutReader(strings.NewReader("a@example.com\nb@example.com\n"))
	l := NewList("r")
	_, err := l.Import(r, FormatList)
	if err == nil {
		t.Fatal("Import did not report the reader's error")
	}
}

func TestImportFormats(t *testing.T) {
	sha := sha256Hex("a@example.com")
	md := md5Hex("a@example.com")
	tests := []struct {
		format      Format
		in          string
		added, bad  int
		wantEntries []Entry
	}{
		{FormatList, sha + "\n" + md + "\n", 2, 0, []Entry{{KindSHA256, sha}, {KindMD5, md}}},
		{FormatSHA256, sha + "\n" + md + "\na@example.com\n", 1, 2, []Entry{{KindSHA256, sha}}},
		{FormatMD5, strings.ToUpper(md) + "\n" + sha + "\n", 1, 1, []Entry{{KindMD5, md}}},
		{FormatAddressFile, "Postmaster\n" + md + "\nb@example.com\n/re/\n@d.example\n", 4, 1,
			[]Entry{{KindLocalPart, "postmaster"}, {KindLocalPart, md}, {KindAddress, "b@example.com"}, {KindDomain, "d.example"}}},
	}
	for _, tc := range tests {
		t.Run(tc.format.String(), func(t *testing.T) {
			l := NewList("f")
			res, err := l.Import(strings.NewReader(tc.in), tc.format)
			tcheck(t, err, "Import")
			tcompare(t, "Added", res.Added, tc.added)
			tcompare(t, "Bad", res.Bad, tc.bad)
			for _, e := range tc.wantEntries {
				if !l.Has(e) {
					t.Errorf("missing %v", e)
				}
			}
		})
	}
	if _, err := NewList("f").Import(strings.NewReader(""), formatCount); err == nil {
		t.Error("Import with an unknown format did not fail")
	}
}

// TestExportImportRoundTrip: Export writes every kind in a stable order,
// and importing it gives the same list, exported identically.
func TestExportImportRoundTrip(t *testing.T) {
	l := newTestList(t,
		"zed@example.com", "amy@example.com", "ünï@bücher.de",
		"postmaster@*", "abuse@*",
		"@z.example", "@a.example",
		"@*.wild.example",
		sha256Hex("x@example.com"), sha256Hex("y@example.com"),
		md5Hex("x@example.com"),
	)
	_, err := l.Remove(mustEntry(t, "abuse@*"))
	tcheck(t, err, "Remove")
	var out bytes.Buffer
	tcheck(t, l.Export(&out), "Export")

	want := []string{"amy@example.com", "zed@example.com", "ünï@bücher.de", "postmaster@*", "@a.example", "@z.example", "@*.wild.example"}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("Export wrote %d lines, want 10:\n%s", len(lines), out.String())
	}
	for i, w := range want {
		tcompare(t, "line "+strconv.Itoa(i), lines[i], w)
	}
	if !(lines[7] < lines[8]) || len(lines[7]) != 64 || len(lines[9]) != 32 {
		t.Errorf("digests not in order, sha256 then md5: %q", lines[7:])
	}

	back := NewList("back")
	res, err := back.Import(bytes.NewReader(out.Bytes()), FormatList)
	tcheck(t, err, "Import")
	tcompare(t, "Bad", res.Bad, 0)
	tcompare(t, "Len", back.Len(), l.Len())
	var again bytes.Buffer
	tcheck(t, back.Export(&again), "Export again")
	tcompare(t, "second export", again.String(), out.String())
}

func TestLoadList(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		tcheck(t, os.WriteFile(p, []byte(data), 0o600), "write "+name)
		return p
	}
	addrFile := write("addresses", "# bounces\nCarol@Example.com\nabuse\nnot@@valid\n")
	shaFile := write("sha", sha256Hex("dave@example.com")+"\n")
	md5File := write("md5", strings.ToUpper(md5Hex("erin@example.com"))+"\n")
	l, problems := LoadList(ListSpec{
		Name:         "cfg",
		Addresses:    []string{"bob@example.com", "Postmaster", "/^re$/"},
		Domains:      []string{"[*.]blocked.example", "bad*.example"},
		AddressFiles: []string{addrFile, filepath.Join(dir, "missing")},
		HashedFiles: []HashedFile{
			{File: shaFile}, {File: md5File, Algorithm: "MD5"}, {File: shaFile, Algorithm: "sha1"},
		},
	})
	tcompare(t, "Name", l.Name(), "cfg")
	for _, addr := range []string{"bob@example.com", "postmaster@x.example", "x@blocked.example", "x@a.blocked.example",
		"carol@example.com", "abuse@y.example", "dave@example.com", "Erin@example.com"} {
		if _, ok := l.Check(addr); !ok {
			t.Errorf("%s is not suppressed", addr)
		}
	}
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Error())
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{`address "/^re$/"`, `domain "bad*.example"`, addrFile + ":4:", "missing", `unknown algorithm "sha1"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	tcompare(t, "problems", len(problems), 5)
}
