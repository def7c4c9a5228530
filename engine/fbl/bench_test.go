package fbl

import "testing"

func BenchmarkParseARF(b *testing.B) {
	msg := arfReport(abuseFields, testOriginal)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseXARF(b *testing.B) {
	msg := xarfMail(withOriginal(abusixSpam))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Parse(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateXARF(b *testing.B) {
	doc := withOriginal(v4Spam)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := ValidateXARF(doc); err != nil {
			b.Fatal(err)
		}
	}
}
