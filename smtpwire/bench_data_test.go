package smtpwire

import (
	"math/rand/v2"
	"testing"
)

// dataBenchBody builds a realistic message body of about size octets: CRLF lines of 60 to 100
// printable octets, one in fifty starting with '.', or every one of them if allDots.
func dataBenchBody(size int, allDots bool) []byte {
	r := rand.New(rand.NewPCG(5, 6))
	body := make([]byte, 0, size+128)
	for len(body) < size {
		n := 60 + r.IntN(41)
		for i := range n {
			c := byte('!' + r.IntN(94))
			if i == 0 && (allDots || r.IntN(50) == 0) {
				c = '.'
			}
			body = append(body, c)
		}
		body = append(body, "\r\n"...)
	}
	return body
}

func BenchmarkUnstuff(b *testing.B) {
	realistic := AppendStuffed(nil, dataBenchBody(100_000, false))
	dots := AppendStuffed(nil, dataBenchBody(100_000, true))
	tests := []struct {
		name  string
		o     UnstuffOptions
		src   []byte
		chunk int
	}{
		{"reject/100KB", UnstuffOptions{MaxLine: 1000}, realistic, 0},
		{"normalize/100KB", UnstuffOptions{MaxLine: 1000, Bare: BareNormalize}, realistic, 0},
		{"allow/100KB", UnstuffOptions{MaxLine: 1000, Bare: BareAllow}, realistic, 0},
		{"reject/100KB-4KB-reads", UnstuffOptions{MaxLine: 1000}, realistic, 4096},
		{"reject/100KB-all-dots", UnstuffOptions{MaxLine: 1000}, dots, 0},
		{"reject/100KB-oversize", UnstuffOptions{MaxLine: 1000, MaxSize: 1000}, realistic, 0},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			dst := make([]byte, 0, len(tc.src))
			chunk := tc.chunk
			if chunk == 0 {
				chunk = len(tc.src)
			}
			var u Unstuffer
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.src)))
			for b.Loop() {
				u.Reset(tc.o)
				out, done := dst[:0], false
				for i := 0; i < len(tc.src); i += chunk {
					out, _, done = u.Decode(out, tc.src[i:min(i+chunk, len(tc.src))])
				}
				if !done {
					b.Fatal("not done")
				}
			}
		})
	}
}

func BenchmarkStuff(b *testing.B) {
	tests := []struct {
		name string
		body []byte
	}{
		{"100KB", dataBenchBody(100_000, false)},
		{"100KB-all-dots", dataBenchBody(100_000, true)},
	}
	for _, tc := range tests {
		dst := make([]byte, 0, 2*len(tc.body))
		b.Run("Append/"+tc.name, func(b *testing.B) {
			var s Stuffer
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				s.AppendEnd(s.Append(dst, tc.body))
			}
		})
		b.Run("AppendStuffed/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				AppendStuffed(dst, tc.body)
			}
		})
	}
}
