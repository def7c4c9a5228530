package arc

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// benchMessage is a 4 KB message: a typical header and a text body.
func benchMessage() []byte {
	var b strings.Builder
	b.WriteString("Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=news@example.com;\r\n" +
		"\tdkim=pass header.d=example.com header.s=s1; dmarc=pass header.from=example.com\r\n" +
		"Received: from out.example.com (out.example.com [192.0.2.1])\r\n\tby mx.example.org with ESMTPS id 4Ab1; Tue, 3 Jan 2017 12:22:54 -0800\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1;\r\n\th=from:to:subject:date:message-id; bh=KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=;\r\n\tb=AAAA\r\n" +
		"From: Example News <news@example.com>\r\n" +
		"To: list@example.org\r\n" +
		"Subject: This week at Example: new things, old things, and everything between\r\n" +
		"Date: Tue, 3 Jan 2017 12:22:54 -0800\r\n" +
		"Message-ID: <20170103202254.4Ab1@example.com>\r\n" +
		"List-Id: <news.example.com>\r\n" +
		"List-Unsubscribe: <https://example.com/u/4Ab1>, <mailto:unsub@example.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 7bit\r\n" +
		"\r\n")
	for i := 0; b.Len() < 4096-80; i++ {
		fmt.Fprintf(&b, "Line %3d of the body, with  some   spacing and a tab\tin it. \r\n", i)
	}
	return []byte(b.String())
}

func BenchmarkSeal(b *testing.B) {
	keys := loadTestKeys(b)
	msg := benchMessage()
	for _, name := range []string{"rsa", "ed"} {
		s := sealers(b, keys)[name]
		label := map[string]string{"rsa": "rsa2048", "ed": "ed25519"}[name]
		b.Run(label, func(b *testing.B) {
			results := AuthResults(msg, "mx.example.org")
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := s.Seal(msg, results, Result{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	keys := loadTestKeys(b)
	msg := benchMessage()
	ss := sealers(b, keys)
	for _, name := range []string{"rsa", "ed"} {
		label := map[string]string{"rsa": "rsa2048", "ed": "ed25519"}[name]
		one, _ := sealOnce(b, ss[name], msg, keys.lookup)
		two, _ := sealOnce(b, ss[name], one, keys.lookup)
		lookup := LookupTXT(keys.lookup)
		for sets, m := range [][]byte{one, two} {
			b.Run(fmt.Sprintf("%s/i=%d", label, sets+1), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(m)))
				for b.Loop() {
					if r := Validate(m, lookup); r.Status != StatusPass {
						b.Fatal(r)
					}
				}
			})
		}
	}
	b.Run("none", func(b *testing.B) {
		lookup := LookupTXT(keys.lookup)
		b.ReportAllocs()
		b.SetBytes(int64(len(msg)))
		for b.Loop() {
			if r := Validate(msg, lookup); r.Status != StatusNone {
				b.Fatal(r)
			}
		}
	})
}

func BenchmarkBodyHash(b *testing.B) {
	body := parseMessage(benchMessage()).body
	for c := range canonCount {
		b.Run(c.String(), func(b *testing.B) {
			w := bodyHasher{h: sha256.New(), limit: -1, buf: make([]byte, 0, 4096)}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				w.h.Reset()
				hashBody(&w, c, body)
			}
		})
	}
}
