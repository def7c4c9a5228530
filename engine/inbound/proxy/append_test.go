package proxy

import (
	"net/netip"
	"testing"
)

func TestAppend(t *testing.T) {
	tlvs := []TLV{{TypeALPN, []byte("smtp")}, {TypeAuthority, []byte("mx.example")}}
	for _, tc := range []struct {
		name string
		h    Header
		v2   bool
		want string
	}{
		{"v1 tcp4", Header{Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25")}, false,
			"PROXY TCP4 192.0.2.1 198.51.100.7 25000 25\r\n"},
		{"v1 tcp6", Header{Command: Proxy, Source: ap("[2001:db8::1]:50000"), Dest: ap("[2001:db8::2]:465")}, false,
			"PROXY TCP6 2001:db8::1 2001:db8::2 50000 465\r\n"},
		{"v1 mixed maps ipv4", Header{Command: Proxy, Source: ap("192.0.2.1:1"), Dest: ap("[::1]:2")}, false,
			"PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"},
		{"v1 zone dropped", Header{Command: Proxy, Source: ap("[fe80::1%eth0]:1"), Dest: ap("[::1]:2")}, false,
			"PROXY TCP6 fe80::1 ::1 1 2\r\n"},
		{"v1 local", Header{Command: Local, Source: ap("192.0.2.1:1"), Dest: ap("192.0.2.2:2")}, false, "PROXY UNKNOWN\r\n"},
		{"v1 proxy without addresses", Header{Command: Proxy}, false, "PROXY UNKNOWN\r\n"},
		{"v1 drops tlvs", Header{Command: Local, TLVs: tlvs}, false, "PROXY UNKNOWN\r\n"},
		{"v2 inet", Header{Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25")}, true, v2Inet},
		{"v2 inet6", Header{Command: Proxy, Source: ap("[2001:db8::1]:50000"), Dest: ap("[2001:db8::2]:465")}, true, v2Inet6},
		{"v2 local", Header{Command: Local}, true, v2Local},
		{"v2 proxy unspec", Header{Command: Proxy}, true, v2Sig + "\x21\x00\x00\x00"},
		{"v2 tlvs", Header{Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25"), TLVs: tlvs}, true, v2TLVHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Append([]byte("x"), tc.h, tc.v2))
			if got != "x"+tc.want {
				t.Fatalf("Append = %q\nwant     %q", got, "x"+tc.want)
			}
		})
	}
}

// TestAppendAllocs: appending into a buffer with room costs nothing.
func TestAppendAllocs(t *testing.T) {
	h := Header{Command: Proxy, Source: netip.MustParseAddrPort("[2001:db8::1]:50000"), Dest: netip.MustParseAddrPort("[2001:db8::2]:25")}
	buf := make([]byte, 0, 256)
	for _, v2 := range []bool{false, true} {
		if got := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], h, v2) }); got != 0 {
			t.Errorf("v2=%v: %v allocs per Append", v2, got)
		}
	}
}
