package proxy

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Append appends the wire form of h to dst and returns the extended slice:
// the binary v2 form when v2 is true, else the v1 text line. It is the
// encoder for the engine's own client side and for tests.
//
// h.Version is ignored. A header with Command Local or without valid
// addresses encodes as v1 "PROXY UNKNOWN" or, for v2, as a LOCAL (Local) or
// AF_UNSPEC PROXY (Proxy) header without addresses. Otherwise two IPv4
// addresses encode as TCP4 (AF_INET); any other pair as TCP6 (AF_INET6),
// an IPv4 member mapped to ::ffff:a.b.c.d. Zones are dropped. v1 drops TLVs; v2
// writes them in order, and each value must be at most 65535 bytes with the
// whole body within 65535 bytes.
func Append(dst []byte, h Header, v2 bool) []byte {
	if v2 {
		return appendV2(dst, h)
	}
	return appendV1(dst, h)
}

func hasAddrs(h Header) bool {
	return h.Command == Proxy && h.Source.IsValid() && h.Dest.IsValid()
}

func both4(h Header) bool {
	return h.Source.Addr().Is4() && h.Dest.Addr().Is4()
}

// as6 maps an IPv4 address into IPv6 (::ffff:a.b.c.d) and keeps others.
func as6(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom16(a.As16())
	}
	return a
}

func appendV1(dst []byte, h Header) []byte {
	dst = append(dst, v1Sig...)
	if !hasAddrs(h) {
		return append(dst, "UNKNOWN\r\n"...)
	}
	src, dstAddr := h.Source.Addr().WithZone(""), h.Dest.Addr().WithZone("")
	if both4(h) {
		dst = append(dst, "TCP4 "...)
	} else {
		dst = append(dst, "TCP6 "...)
		src, dstAddr = as6(src), as6(dstAddr)
	}
	dst = src.AppendTo(dst)
	dst = append(dst, ' ')
	dst = dstAddr.AppendTo(dst)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Source.Port()), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Dest.Port()), 10)
	return append(dst, "\r\n"...)
}

func appendV2(dst []byte, h Header) []byte {
	cmd := byte(Local)
	if h.Command == Proxy {
		cmd = byte(Proxy)
	}
	ft := byte(famUnspec<<4 | transUnspec)
	addrLen := 0
	if hasAddrs(h) {
		if both4(h) {
			ft, addrLen = famInet<<4|transStream, addrLenInet
		} else {
			ft, addrLen = famInet6<<4|transStream, addrLenInet6
		}
	}
	bodyLen := addrLen
	for _, t := range h.TLVs {
		bodyLen += 3 + len(t.Value)
	}
	dst = append(dst, v2Sig...)
	dst = append(dst, 0x20|cmd, ft)
	dst = binary.BigEndian.AppendUint16(dst, uint16(bodyLen))
	if addrLen != 0 {
		if addrLen == addrLenInet {
			s, d := h.Source.Addr().As4(), h.Dest.Addr().As4()
			dst = append(append(dst, s[:]...), d[:]...)
		} else {
			s, d := h.Source.Addr().As16(), h.Dest.Addr().As16()
			dst = append(append(dst, s[:]...), d[:]...)
		}
		dst = binary.BigEndian.AppendUint16(dst, h.Source.Port())
		dst = binary.BigEndian.AppendUint16(dst, h.Dest.Port())
	}
	for _, t := range h.TLVs {
		dst = append(dst, t.Type)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst
}
