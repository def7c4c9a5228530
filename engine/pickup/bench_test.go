package pickup

import (
	"strings"
	"testing"
)

// benchFile returns a 10 KB pickup file with 3 recipients in wire form.
func benchFile() []byte {
	var b strings.Builder
	b.WriteString("x-sender: <bounces+123@mailer.example.com>\r\nx-job: newsletter-2026-11\r\nx-envid: 123-456\r\n")
	b.WriteString("x-receiver: <alice@example.net>\r\nx-receiver: <bob@example.org>\r\nx-receiver: <carol@example.com>\r\n")
	b.WriteString("From: News <news@mailer.example.com>\r\nTo: alice@example.net\r\nSubject: November news\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	line := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 1) + "0123456789012345678901234\r\n"
	for b.Len() < 10<<10 {
		b.WriteString(line)
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	in := benchFile()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLF measures a file with bare LF line ends, which Parse
// copies into CRLF form.
func BenchmarkParseLF(b *testing.B) {
	in := []byte(strings.ReplaceAll(string(benchFile()), "\r\n", "\n"))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}
