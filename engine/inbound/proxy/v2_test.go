package proxy

import (
	"strings"
	"testing"
)

// Hand-assembled v2 headers (spec §2.2).
const (
	v2Inet = v2Sig + "\x21\x11\x00\x0c" +
		"\xc0\x00\x02\x01" + "\xc6\x33\x64\x07" + "\x61\xa8" + "\x00\x19" // 192.0.2.1:25000 -> 198.51.100.7:25
	v2Inet6 = v2Sig + "\x21\x21\x00\x24" +
		"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" +
		"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02" +
		"\xc3\x50" + "\x01\xd1" // [2001:db8::1]:50000 -> [2001:db8::2]:465
	v2Local = v2Sig + "\x20\x00\x00\x00"
	// AF_INET plus an ALPN and an authority TLV: 12 + 7 + 13 = 32 = 0x20.
	v2TLVHeader = v2Sig + "\x21\x11\x00\x20" +
		"\xc0\x00\x02\x01" + "\xc6\x33\x64\x07" + "\x61\xa8" + "\x00\x19" +
		"\x01\x00\x04smtp" + "\x02\x00\x0amx.example"
)

var v2Cases = []parseCase{
	{name: "inet", in: v2Inet,
		want: Header{Version: 2, Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25")}},
	{name: "inet6", in: v2Inet6,
		want: Header{Version: 2, Command: Proxy, Source: ap("[2001:db8::1]:50000"), Dest: ap("[2001:db8::2]:465")}},
	{name: "local", in: v2Local, want: Header{Version: 2, Command: Local}},
	{name: "local ignores inet addresses", in: v2Sig + "\x20\x11\x00\x0c" + strings.Repeat("\x01", 12),
		want: Header{Version: 2, Command: Local}},
	{name: "local ignores unix dgram", in: v2Sig + "\x20\x32\x00\xd8" + strings.Repeat("\x00", 216),
		want: Header{Version: 2, Command: Local}},
	{name: "local with tlv", in: v2Sig + "\x20\x00\x00\x04" + "\x04\x00\x01\x00",
		want: Header{Version: 2, Command: Local, TLVs: []TLV{{TypeNoop, []byte{0}}}}},
	{name: "proxy unspec", in: v2Sig + "\x21\x00\x00\x00", want: Header{Version: 2, Command: Proxy}},
	{name: "tlvs", in: v2TLVHeader,
		want: Header{Version: 2, Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25"),
			TLVs: []TLV{{TypeALPN, []byte("smtp")}, {TypeAuthority, []byte("mx.example")}}}},
	{name: "empty tlv value", in: v2Sig + "\x21\x11\x00\x0f" + v2Inet[16:] + "\xe0\x00\x00",
		want: Header{Version: 2, Command: Proxy, Source: ap("192.0.2.1:25000"), Dest: ap("198.51.100.7:25"),
			TLVs: []TLV{{0xe0, []byte{}}}}},

	{name: "version 1 nibble", in: v2Sig + "\x11\x11\x00\x0c", err: "proxy v2: unsupported version 1"},
	{name: "version 3", in: v2Sig + "\x31", err: "proxy v2: unsupported version 3"},
	{name: "command 2", in: v2Sig + "\x22\x11\x00\x0c", err: "proxy v2: unknown command 0x2"},
	{name: "family 4", in: v2Sig + "\x21\x41", err: "proxy v2: unknown address family 0x4"},
	{name: "local family 4", in: v2Sig + "\x20\x40\x00\x00", err: "proxy v2: unknown address family 0x4"},
	{name: "transport 3", in: v2Sig + "\x21\x13", err: "proxy v2: unknown transport protocol 0x3"},
	{name: "unix", in: v2Sig + "\x21\x31\x00\xd8", err: "proxy v2: unsupported address family AF_UNIX"},
	{name: "unix dgram", in: v2Sig + "\x21\x32", err: "proxy v2: unsupported address family AF_UNIX"},
	{name: "inet dgram", in: v2Sig + "\x21\x12\x00\x0c", err: "proxy v2: unsupported transport DGRAM over AF_INET"},
	{name: "inet6 dgram", in: v2Sig + "\x21\x22", err: "proxy v2: unsupported transport DGRAM over AF_INET6"},
	{name: "unspec dgram", in: v2Sig + "\x21\x02", err: "proxy v2: unsupported transport DGRAM over AF_UNSPEC"},
	{name: "unspec stream", in: v2Sig + "\x21\x01", err: "proxy v2: transport STREAM with address family AF_UNSPEC"},
	{name: "inet unspec transport", in: v2Sig + "\x21\x10", err: "proxy v2: transport UNSPEC with address family AF_INET"},
	{name: "inet short", in: v2Sig + "\x21\x11\x00\x0b", err: "proxy v2: address block too short for AF_INET: length 11, want at least 12"},
	{name: "inet6 short", in: v2Sig + "\x21\x21\x00\x0c", err: "proxy v2: address block too short for AF_INET6: length 12, want at least 36"},
	{name: "local unix short", in: v2Sig + "\x20\x31\x00\x10", err: "proxy v2: address block too short for AF_UNIX: length 16, want at least 216"},
	{name: "tlv truncated header", in: v2Sig + "\x21\x11\x00\x0e" + v2Inet[16:] + "\x01\x00", err: "proxy v2: 2 trailing bytes too short for a TLV"},
	{name: "tlv value overruns", in: v2Sig + "\x21\x11\x00\x10" + v2Inet[16:] + "\x01\x00\x02x", err: "proxy v2: TLV runs past the end of the header"},
	{name: "bad signature", in: "\r\n\r\n\x00\r\nQUIT\r", err: "proxy: not a PROXY protocol header"},
}

func TestParseV2(t *testing.T) { runParseCases(t, v2Cases) }

// TestV2MaxLen checks the 16-bit length bound: a 65535-byte body parses and
// takes MaxV2Len bytes, and one byte less is still ErrNeedMore.
func TestV2MaxLen(t *testing.T) {
	body := v2Inet[16:] + "\xee\xff\xf0" + strings.Repeat("z", 0xffff-12-3)
	in := []byte(v2Sig + "\x21\x11\xff\xff" + body + smtpTail)
	if _, _, err := Parse(in[:MaxV2Len-1]); err != ErrNeedMore {
		t.Fatalf("MaxV2Len-1 bytes: err %v, want ErrNeedMore", err)
	}
	h, n, err := Parse(in)
	tcheck(t, err, "Parse")
	if n != MaxV2Len || len(h.TLVs) != 1 || len(h.TLVs[0].Value) != 0xffff-15 {
		t.Fatalf("n %d, TLVs %d", n, len(h.TLVs))
	}
}
