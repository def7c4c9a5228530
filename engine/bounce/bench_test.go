package bounce

import (
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

// BenchmarkBuild builds DSNs into a reused buffer.
func BenchmarkBuild(b *testing.B) {
	big := testOriginal + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 800) // ~47 KB
	for _, bc := range []struct {
		name   string
		change func(*Params)
	}{
		{"headers", func(*Params) {}},
		{"full-47KB", func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte(big) }},
		{"10-recipients", func(p *Params) {
			o := p.Outcomes[0]
			for range 9 {
				p.Outcomes = append(p.Outcomes, o)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := testParams()
			bc.change(p)
			buf, _, err := Build(nil, p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf, _, _ = Build(buf[:0], p)
			}
		})
	}
}
