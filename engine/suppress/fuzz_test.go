package suppress

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzImport feeds arbitrary files to the line parser. Properties: the
// line counts add up, every entry read writes back as a line that reads
// as the same entry, and Export of the list imports back to the same
// export.
func FuzzImport(f *testing.F) {
	f.Add("bob@example.com\n@example.org\n@*.wild.example\npostmaster@*\n# comment\n\n", uint8(FormatList))
	f.Add(sha256Hex("a@example.com")+"\n"+md5Hex("a@example.com")+"\r\n", uint8(FormatList))
	f.Add("Postmaster\n/re/\n<Bob@Example.COM>\n", uint8(FormatAddressFile))
	f.Add(strings.ToUpper(md5Hex("x@y.z"))+"\nzz\n", uint8(FormatMD5))
	f.Add(sha256Hex("x@y.z")+"\n", uint8(FormatSHA256))
	f.Add("ünï@Bücher.DE\n*@*.a.b\n@\n*@*\na@b@c\n", uint8(FormatList))
	f.Fuzz(func(t *testing.T, in string, format uint8) {
		fm := Format(format % uint8(formatCount))
		l := NewList("fuzz")
		res, err := l.Import(strings.NewReader(in), fm)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if res.Entries+res.Bad > res.Lines || res.Added > res.Entries || res.Added != l.Len() {
			t.Fatalf("counts do not add up: %+v, Len %d", res, l.Len())
		}
		for e := range l.All() {
			back, err := ParseEntry(e.String())
			if err != nil || back != e {
				t.Fatalf("entry %#v writes as %q, which reads as %#v, %v", e, e.String(), back, err)
			}
		}
		var out bytes.Buffer
		if err := l.Export(&out); err != nil {
			t.Fatal(err)
		}
		back := NewList("back")
		res2, err := back.Import(bytes.NewReader(out.Bytes()), FormatList)
		if err != nil || res2.Bad != 0 || back.Len() != l.Len() {
			t.Fatalf("re-import of the export: %+v, %v; Len %d, want %d", res2, err, back.Len(), l.Len())
		}
		var again bytes.Buffer
		back.Export(&again)
		if again.String() != out.String() {
			t.Fatalf("export changed on the round trip:\n%q\n%q", out.String(), again.String())
		}
	})
}
