package proxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The v2 (binary) header (spec §2.2):
//
//	offset  size  field
//	0       12    signature \r\n\r\n\x00\r\nQUIT\n
//	12      1     version (high nibble, 2) | command (low nibble: 0 LOCAL, 1 PROXY)
//	13      1     family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) |
//	              transport (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
//	14      2     length of what follows, big-endian
//	16      len   address block (12, 36 or 216 bytes by family), then TLVs
const (
	v2Sig      = "\r\n\r\n\x00\r\nQUIT\n"
	v2FixedLen = 16

	famUnspec = 0x0
	famInet   = 0x1
	famInet6  = 0x2
	famUnix   = 0x3

	transUnspec = 0x0
	transStream = 0x1
	transDgram  = 0x2

	addrLenInet  = 12  // 4 + 4 + 2 + 2
	addrLenInet6 = 36  // 16 + 16 + 2 + 2
	addrLenUnix  = 216 // 108 + 108
)

var famNames = [...]string{famUnspec: "AF_UNSPEC", famInet: "AF_INET", famInet6: "AF_INET6", famUnix: "AF_UNIX"}

// famAddrLen is the address block size per family (spec §2.2).
var famAddrLen = [...]int{famUnspec: 0, famInet: addrLenInet, famInet6: addrLenInet6, famUnix: addrLenUnix}

var errV2TLV = errors.New("proxy v2: TLV runs past the end of the header")

// parseV2 parses b, which starts with '\r'.
func parseV2(b []byte) (Header, int, error) {
	if !hasPrefixPart(b, v2Sig) {
		return Header{}, 0, ErrNotProxy
	}
	if len(b) > 12 {
		// spec §2.2: the version nibble must be 2; commands other than LOCAL
		// and PROXY are rejected.
		if v := b[12] >> 4; v != 2 {
			return Header{}, 0, fmt.Errorf("proxy v2: unsupported version %d", v)
		}
		if c := b[12] & 0xf; c > 1 {
			return Header{}, 0, fmt.Errorf("proxy v2: unknown command 0x%x", c)
		}
	}
	if len(b) > 13 {
		if err := checkFamily(Command(b[12]&0xf), b[13]); err != nil {
			return Header{}, 0, err
		}
	}
	if len(b) < v2FixedLen {
		return Header{}, 0, ErrNeedMore
	}
	cmd, fam := Command(b[12]&0xf), b[13]>>4
	bodyLen := int(binary.BigEndian.Uint16(b[14:16]))
	if addrLen := famAddrLen[fam]; bodyLen < addrLen {
		return Header{}, 0, fmt.Errorf("proxy v2: address block too short for %s: length %d, want at least %d",
			famNames[fam], bodyLen, addrLen)
	}
	n := v2FixedLen + bodyLen
	if len(b) < n {
		return Header{}, 0, ErrNeedMore
	}
	body := b[v2FixedLen:n]
	h := Header{Version: 2, Command: cmd}
	if cmd == Proxy {
		h.Source, h.Dest = v2Addrs(fam, body)
	}
	tlvs, err := parseTLVs(body[famAddrLen[fam]:])
	if err != nil {
		return Header{}, 0, err
	}
	h.TLVs = tlvs
	return h, n, nil
}

// checkFamily validates the family/transport byte. With LOCAL the spec
// (§2.2) says the receiver ignores the family, so only its size matters;
// with PROXY only AF_UNSPEC, TCP over IPv4 and TCP over IPv6 are served.
func checkFamily(cmd Command, ft byte) error {
	fam, trans := ft>>4, ft&0xf
	if fam > famUnix {
		return fmt.Errorf("proxy v2: unknown address family 0x%x", fam)
	}
	if trans > transDgram {
		return fmt.Errorf("proxy v2: unknown transport protocol 0x%x", trans)
	}
	if cmd == Local {
		return nil
	}
	switch {
	case fam == famUnix:
		return errors.New("proxy v2: unsupported address family AF_UNIX")
	case trans == transDgram:
		return fmt.Errorf("proxy v2: unsupported transport DGRAM over %s", famNames[fam])
	case fam == famUnspec && trans != transUnspec:
		return errors.New("proxy v2: transport STREAM with address family AF_UNSPEC")
	case fam != famUnspec && trans == transUnspec:
		return fmt.Errorf("proxy v2: transport UNSPEC with address family %s", famNames[fam])
	}
	return nil
}

// v2Addrs decodes the address block of an AF_INET or AF_INET6 header; body
// is at least the family's address length. Ports are big-endian.
func v2Addrs(fam byte, body []byte) (src, dst netip.AddrPort) {
	switch fam {
	case famInet:
		s := netip.AddrFrom4([4]byte(body[0:4]))
		d := netip.AddrFrom4([4]byte(body[4:8]))
		return netip.AddrPortFrom(s, binary.BigEndian.Uint16(body[8:10])),
			netip.AddrPortFrom(d, binary.BigEndian.Uint16(body[10:12]))
	case famInet6:
		s := netip.AddrFrom16([16]byte(body[0:16]))
		d := netip.AddrFrom16([16]byte(body[16:32]))
		return netip.AddrPortFrom(s, binary.BigEndian.Uint16(body[32:34])),
			netip.AddrPortFrom(d, binary.BigEndian.Uint16(body[34:36]))
	}
	return netip.AddrPort{}, netip.AddrPort{} // AF_UNSPEC: use the socket's addresses
}

// parseTLVs validates the TLV area (spec §2.2.7: type, 16-bit big-endian
// length, value) and copies it into one buffer owned by the result. It
// returns nil, allocating nothing, when p is empty.
func parseTLVs(p []byte) ([]TLV, error) {
	if len(p) == 0 {
		return nil, nil
	}
	count := 0
	for q := p; len(q) > 0; count++ {
		if len(q) < 3 {
			return nil, fmt.Errorf("proxy v2: %d trailing bytes too short for a TLV", len(q))
		}
		l := 3 + int(binary.BigEndian.Uint16(q[1:3]))
		if l > len(q) {
			return nil, errV2TLV
		}
		q = q[l:]
	}
	buf := make([]byte, len(p))
	copy(buf, p)
	tlvs := make([]TLV, 0, count)
	for len(buf) > 0 {
		l := 3 + int(binary.BigEndian.Uint16(buf[1:3]))
		tlvs = append(tlvs, TLV{Type: buf[0], Value: buf[3:l:l]})
		buf = buf[l:]
	}
	return tlvs, nil
}
