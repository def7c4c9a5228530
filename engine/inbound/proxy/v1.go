package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
)

// The v1 (text) header is one line (spec §2.1):
//
//	"PROXY" SP ( "TCP4" | "TCP6" ) SP srcaddr SP dstaddr SP srcport SP dstport CRLF
//	"PROXY" SP "UNKNOWN" [ SP anything-but-CRLF ] CRLF
//
// at most MaxV1Len bytes long, CRLF included.
const v1Sig = "PROXY "

var (
	errV1TooLong = errors.New("proxy v1: header line longer than 107 bytes")
	errV1BareLF  = errors.New("proxy v1: LF without CR in header line")
	errV1BareCR  = errors.New("proxy v1: CR not followed by LF in header line")
)

// parseV1 parses b, which starts with 'P'.
func parseV1(b []byte) (Header, int, error) {
	if !hasPrefixPart(b, v1Sig) {
		return Header{}, 0, ErrNotProxy
	}
	if len(b) <= len(v1Sig) {
		return Header{}, 0, ErrNeedMore
	}
	rest := b[len(v1Sig):]
	if !hasPrefixPart(rest, "TCP4") && !hasPrefixPart(rest, "TCP6") && !hasPrefixPart(rest, "UNKNOWN") {
		return Header{}, 0, fmt.Errorf("proxy v1: unknown protocol %q", token(rest))
	}
	end, err := v1LineEnd(b)
	if err != nil {
		return Header{}, 0, err
	}
	n := end + 2 // CRLF
	line := b[len(v1Sig):end]
	switch {
	case string(line) == "UNKNOWN" || hasPrefix(line, "UNKNOWN "):
		// Spec §2.1: with UNKNOWN the receiver ignores the rest of the line
		// and uses the real connection endpoints.
		return Header{Version: 1, Command: Local}, n, nil
	case string(line) == "TCP4" || string(line) == "TCP6":
		return Header{}, 0, fmt.Errorf("proxy v1: %s line has no addresses", line)
	case hasPrefix(line, "TCP4 "), hasPrefix(line, "TCP6 "):
		h, err := parseV1Addrs(line[5:], line[3] == '6')
		if err != nil {
			return Header{}, 0, err
		}
		return h, n, nil
	}
	return Header{}, 0, fmt.Errorf("proxy v1: unknown protocol %q", token(line))
}

// v1LineEnd finds the CR of the CRLF that ends the line in b, or says why it
// cannot (yet): ErrNeedMore while no CR has arrived within the first
// MaxV1Len bytes.
func v1LineEnd(b []byte) (int, error) {
	lim := min(len(b), MaxV1Len)
	for i := 0; i < lim; i++ {
		switch b[i] {
		case '\n':
			return 0, errV1BareLF
		case '\r':
			if i+2 > MaxV1Len { // spec §2.1: 107 bytes including CRLF
				return 0, errV1TooLong
			}
			if i+1 == len(b) {
				return 0, ErrNeedMore
			}
			if b[i+1] != '\n' {
				return 0, errV1BareCR
			}
			return i, nil
		}
	}
	if len(b) >= MaxV1Len {
		return 0, errV1TooLong
	}
	return 0, ErrNeedMore
}

// parseV1Addrs parses "srcaddr SP dstaddr SP srcport SP dstport" for TCP4
// (v6 false) or TCP6 (v6 true).
func parseV1Addrs(s []byte, v6 bool) (Header, error) {
	proto := "TCP4"
	if v6 {
		proto = "TCP6"
	}
	var f [4][]byte
	nf := 0
	for {
		i := bytes.IndexByte(s, ' ')
		if i < 0 {
			if nf < len(f) {
				f[nf] = s
			}
			nf++
			break
		}
		if nf < len(f) {
			f[nf] = s[:i]
		}
		nf++
		s = s[i+1:]
	}
	if nf != len(f) {
		return Header{}, fmt.Errorf("proxy v1: %s line has %d fields after the protocol, want 4", proto, nf)
	}
	var src, dst netip.Addr
	var ok bool
	if src, ok = parseV1Addr(f[0], v6); !ok {
		return Header{}, fmt.Errorf("proxy v1: bad source address %q for %s", f[0], proto)
	}
	if dst, ok = parseV1Addr(f[1], v6); !ok {
		return Header{}, fmt.Errorf("proxy v1: bad destination address %q for %s", f[1], proto)
	}
	sp, ok := parsePort(f[2])
	if !ok {
		return Header{}, fmt.Errorf("proxy v1: bad source port %q", f[2])
	}
	dp, ok := parsePort(f[3])
	if !ok {
		return Header{}, fmt.Errorf("proxy v1: bad destination port %q", f[3])
	}
	return Header{
		Version: 1,
		Command: Proxy,
		Source:  netip.AddrPortFrom(src, sp),
		Dest:    netip.AddrPortFrom(dst, dp),
	}, nil
}

// parseV1Addr parses a TCP4 dotted quad or a TCP6 address (spec §2.1: "the
// advertised protocol family dictates what format to use").
func parseV1Addr(s []byte, v6 bool) (netip.Addr, bool) {
	if v6 {
		return parseIPv6(s)
	}
	return parseIPv4(s)
}

// parsePort parses a decimal port in [0, 65535] without sign or leading
// zeros (spec §2.1 shows ports as plain decimal integers).
func parsePort(s []byte) (uint16, bool) {
	if len(s) == 0 || len(s) > 5 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	v := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 0xffff {
		return 0, false
	}
	return uint16(v), true
}

// token returns the start of s up to the first space or line end, at most
// 16 bytes, for error messages.
func token(s []byte) []byte {
	for i, c := range s {
		if c == ' ' || c == '\r' || c == '\n' || i == 16 {
			return s[:i]
		}
	}
	return s
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}
