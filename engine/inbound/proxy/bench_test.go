package proxy

import "testing"

func benchParse(b *testing.B, hdr string) {
	in := []byte(hdr + smtpTail)
	b.ReportAllocs()
	b.SetBytes(int64(len(hdr)))
	for b.Loop() {
		if _, n, err := Parse(in); err != nil || n != len(hdr) {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.Run("v1-tcp4", func(b *testing.B) { benchParse(b, "PROXY TCP4 192.168.100.200 10.0.0.1 56324 25\r\n") })
	b.Run("v1-tcp6", func(b *testing.B) { benchParse(b, "PROXY TCP6 2001:db8:85a3::8a2e:370:7334 2001:db8::25 56324 25\r\n") })
	b.Run("v1-unknown", func(b *testing.B) { benchParse(b, "PROXY UNKNOWN\r\n") })
	b.Run("v2-inet", func(b *testing.B) { benchParse(b, v2Inet) })
	b.Run("v2-inet6", func(b *testing.B) { benchParse(b, v2Inet6) })
	b.Run("v2-local", func(b *testing.B) { benchParse(b, v2Local) })
	b.Run("v2-tlvs", func(b *testing.B) { benchParse(b, v2TLVHeader) })
}

func BenchmarkAppend(b *testing.B) {
	h, _, _ := Parse([]byte(v2Inet6))
	buf := make([]byte, 0, 128)
	for _, v2 := range []bool{false, true} {
		name := map[bool]string{false: "v1-tcp6", true: "v2-inet6"}[v2]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(Append(nil, h, v2))))
			for b.Loop() {
				buf = Append(buf[:0], h, v2)
			}
		})
	}
}
