package proxy

import (
	"net/netip"
	"strings"
	"testing"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

var v1Cases = []parseCase{
	{name: "tcp4", in: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
		want: Header{Version: 1, Command: Proxy, Source: ap("192.168.0.1:56324"), Dest: ap("192.168.0.11:443")}},
	{name: "tcp4 port bounds", in: "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
		want: Header{Version: 1, Command: Proxy, Source: ap("0.0.0.0:0"), Dest: ap("255.255.255.255:65535")}},
	{name: "tcp6", in: "PROXY TCP6 2001:db8::1 2001:db8::2:25 50000 25\r\n",
		want: Header{Version: 1, Command: Proxy, Source: ap("[2001:db8::1]:50000"), Dest: ap("[2001:db8::2:25]:25")}},
	{name: "tcp6 v4-mapped", in: "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n",
		want: Header{Version: 1, Command: Proxy, Source: ap("[::ffff:192.0.2.1]:1"), Dest: ap("[::1]:2")}},
	{name: "tcp6 upper case full", in: "PROXY TCP6 FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF :: 65535 65535\r\n",
		want: Header{Version: 1, Command: Proxy, Source: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), Dest: ap("[::]:65535")}},
	{name: "unknown", in: "PROXY UNKNOWN\r\n", want: Header{Version: 1, Command: Local}},
	{name: "unknown with addresses ignored", in: "PROXY UNKNOWN ffff:f::1 whatever 65535 x\r\n", want: Header{Version: 1, Command: Local}},
	// Spec §2.1 worst case: exactly 107 bytes.
	{name: "unknown 107 bytes", in: "PROXY UNKNOWN " + strings.Repeat("f", 107-16) + "\r\n", want: Header{Version: 1, Command: Local}},

	{name: "too long", in: "PROXY UNKNOWN " + strings.Repeat("f", 107-15) + "\r\n", err: "proxy v1: header line longer than 107 bytes"},
	{name: "too long no CR", in: "PROXY UNKNOWN " + strings.Repeat("f", 200), err: "proxy v1: header line longer than 107 bytes"},
	{name: "bare LF", in: "PROXY UNKNOWN\n", err: "proxy v1: LF without CR in header line"},
	{name: "CR without LF", in: "PROXY UNKNOWN\rX", err: "proxy v1: CR not followed by LF in header line"},
	{name: "unknown protocol", in: "PROXY UDP4 1.2.3.4 1.2.3.5 1 2\r\n", err: `proxy v1: unknown protocol "UDP4"`},
	{name: "unknown protocol early", in: "PROXY TCP5", err: `proxy v1: unknown protocol "TCP5"`},
	{name: "unknown suffix", in: "PROXY UNKNOWNX\r\n", err: `proxy v1: unknown protocol "UNKNOWNX"`},
	{name: "tcp4 no fields", in: "PROXY TCP4\r\n", err: `proxy v1: TCP4 line has no addresses`},
	{name: "tcp4 suffix", in: "PROXY TCP4X 1.2.3.4 1.2.3.5 1 2\r\n", err: `proxy v1: unknown protocol "TCP4X"`},
	{name: "tcp4 empty fields", in: "PROXY TCP4 \r\n", err: `proxy v1: TCP4 line has 1 fields after the protocol, want 4`},
	{name: "tcp4 three fields", in: "PROXY TCP4 1.2.3.4 1.2.3.5 1\r\n", err: `proxy v1: TCP4 line has 3 fields after the protocol, want 4`},
	{name: "tcp4 five fields", in: "PROXY TCP4 1.2.3.4 1.2.3.5 1 2 3\r\n", err: `proxy v1: TCP4 line has 5 fields after the protocol, want 4`},
	{name: "tcp4 trailing space", in: "PROXY TCP4 1.2.3.4 1.2.3.5 1 2 \r\n", err: `proxy v1: TCP4 line has 5 fields after the protocol, want 4`},
	{name: "tcp4 double space", in: "PROXY TCP4 1.2.3.4  1.2.3.5 1 2\r\n", err: `proxy v1: TCP4 line has 5 fields after the protocol, want 4`},
	{name: "tcp4 bad source", in: "PROXY TCP4 1.2.3 1.2.3.5 1 2\r\n", err: `proxy v1: bad source address "1.2.3" for TCP4`},
	{name: "tcp4 leading zero", in: "PROXY TCP4 1.2.3.04 1.2.3.5 1 2\r\n", err: `proxy v1: bad source address "1.2.3.04" for TCP4`},
	{name: "tcp4 octet range", in: "PROXY TCP4 1.2.3.4 1.2.3.256 1 2\r\n", err: `proxy v1: bad destination address "1.2.3.256" for TCP4`},
	{name: "tcp4 with ipv6", in: "PROXY TCP4 ::1 1.2.3.5 1 2\r\n", err: `proxy v1: bad source address "::1" for TCP4`},
	{name: "tcp6 with ipv4", in: "PROXY TCP6 ::1 1.2.3.5 1 2\r\n", err: `proxy v1: bad destination address "1.2.3.5" for TCP6`},
	{name: "tcp6 zone", in: "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", err: `proxy v1: bad source address "fe80::1%eth0" for TCP6`},
	{name: "tcp6 two ellipses", in: "PROXY TCP6 1::2::3 ::1 1 2\r\n", err: `proxy v1: bad source address "1::2::3" for TCP6`},
	{name: "bad source port", in: "PROXY TCP4 1.2.3.4 1.2.3.5 x 2\r\n", err: `proxy v1: bad source port "x"`},
	{name: "source port range", in: "PROXY TCP4 1.2.3.4 1.2.3.5 65536 2\r\n", err: `proxy v1: bad source port "65536"`},
	{name: "source port leading zero", in: "PROXY TCP4 1.2.3.4 1.2.3.5 025 2\r\n", err: `proxy v1: bad source port "025"`},
	{name: "source port sign", in: "PROXY TCP4 1.2.3.4 1.2.3.5 +25 2\r\n", err: `proxy v1: bad source port "+25"`},
	{name: "bad destination port", in: "PROXY TCP4 1.2.3.4 1.2.3.5 1 -2\r\n", err: `proxy v1: bad destination port "-2"`},
	{name: "destination port too many digits", in: "PROXY TCP4 1.2.3.4 1.2.3.5 1 100000\r\n", err: `proxy v1: bad destination port "100000"`},
	{name: "lower case signature", in: "proxy TCP4 1.2.3.4 1.2.3.5 1 2\r\n", err: "proxy: not a PROXY protocol header"},
	{name: "no space after PROXY", in: "PROXYTCP4\r\n", err: "proxy: not a PROXY protocol header"},
}

func TestParseV1(t *testing.T) { runParseCases(t, v1Cases) }
