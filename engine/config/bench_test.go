package config

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// benchConf is a large config: 500 exact domains, 50 patterns, 20 vMTAs with nested
// domains and two pools.
func benchConf() string {
	var b strings.Builder
	b.WriteString("<domain *>\nmax-smtp-out 10\n</domain>\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "<domain d%d.example>\nmax-msg-rate %d/h\n</domain>\n", i, i+1)
	}
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "<domain [*.]p%d.example>\nmax-smtp-out %d\n</domain>\n", i, i+1)
	}
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "<virtual-mta v%d>\nsmtp-source-host 192.0.2.%d out%d.example\n<domain d%d.example>\nmax-smtp-out 3\n</domain>\n</virtual-mta>\n", i, i+1, i, i)
	}
	b.WriteString("<virtual-mta-pool a>\nvirtual-mta v1\nvirtual-mta v2\n</virtual-mta-pool>\n")
	b.WriteString("<virtual-mta-pool b>\nvirtual-mta v3\n<domain *>\nqueue-priority 60\n</domain>\n</virtual-mta-pool>\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "<source 10.%d.0.0/16>\nmax-smtp-in %d\n</source>\n", i, i+1)
	}
	return b.String()
}

func BenchmarkEffectiveExact(b *testing.B) {
	c := mustLoad(b, benchConf())
	b.ReportAllocs()
	for b.Loop() {
		c.Effective("d250.example", "v7")
	}
}

func BenchmarkEffectivePattern(b *testing.B) {
	c := mustLoad(b, benchConf())
	b.ReportAllocs()
	for b.Loop() {
		c.Effective("mx.p25.example", "v3")
	}
}

func BenchmarkEffectiveDefault(b *testing.B) {
	c := mustLoad(b, benchConf())
	b.ReportAllocs()
	for b.Loop() {
		c.Effective("unknown.test", "v3")
	}
}

func BenchmarkSourceFor(b *testing.B) {
	c := mustLoad(b, benchConf())
	ip := netip.MustParseAddr("10.40.1.1")
	b.ReportAllocs()
	for b.Loop() {
		c.SourceFor(ip, "", false)
	}
}

func BenchmarkBuild(b *testing.B) {
	src := []byte(benchConf())
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := LoadText("bench.conf", src); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}
