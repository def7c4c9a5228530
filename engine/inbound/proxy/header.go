package proxy

import (
	"errors"
	"net/netip"
)

// Command says whether a header carries a client's addresses (Proxy) or the
// connection was opened by the proxy itself (Local).
type Command uint8

const (
	// Local means the proxy opened the connection on its own behalf (a v2
	// LOCAL command, e.g. a health check, or a v1 "PROXY UNKNOWN" line): the
	// header carries no addresses and the caller uses the socket's own.
	Local Command = iota
	// Proxy means the connection is relayed for the client in Source.
	Proxy
	commandCount
)

var commandNames = [commandCount]string{Local: "LOCAL", Proxy: "PROXY"}

// String returns the command's name as the spec spells it.
func (c Command) String() string {
	if c < commandCount {
		return commandNames[c]
	}
	return "Command(?)"
}

// TLV is one v2 type-length-value record, kept raw (spec §2.2.7). Value is a
// copy owned by the Header and never aliases the parsed input.
type TLV struct {
	Type  byte
	Value []byte
}

// TLV types defined by the spec (§2.2.7). Unknown types are kept like these.
const (
	TypeALPN      byte = 0x01 // PP2_TYPE_ALPN
	TypeAuthority byte = 0x02 // PP2_TYPE_AUTHORITY
	TypeCRC32C    byte = 0x03 // PP2_TYPE_CRC32C
	TypeNoop      byte = 0x04 // PP2_TYPE_NOOP
	TypeUniqueID  byte = 0x05 // PP2_TYPE_UNIQUE_ID
	TypeSSL       byte = 0x20 // PP2_TYPE_SSL (sub-TLVs kept inside Value)
	TypeNetNS     byte = 0x30 // PP2_TYPE_NETNS
)

// Header is a parsed PROXY protocol header.
//
// When Source is not valid (v1 "PROXY UNKNOWN", v2 LOCAL, v2 PROXY with
// AF_UNSPEC) the caller uses the socket's own addresses. Source and Dest are
// either both valid or both zero.
type Header struct {
	Version int     // 1 (text) or 2 (binary)
	Command Command // Local or Proxy; v1 UNKNOWN parses as Local
	Source  netip.AddrPort
	Dest    netip.AddrPort
	// TLVs holds the v2 TLV records in wire order; nil for v1 and for v2
	// headers without any. Their values share one allocation owned by the
	// Header.
	TLVs []TLV
}

// Spec limits.
const (
	// MaxV1Len is the longest v1 line, CRLF included (spec §2.1: 107 bytes).
	MaxV1Len = 107
	// MaxV2Len is the longest v2 header: the 16-byte fixed part plus a
	// 16-bit length (spec §2.2).
	MaxV2Len = v2FixedLen + 0xffff
	// MaxLen is the most bytes Parse ever needs before it decides, so a
	// caller's per-connection header buffer of MaxLen bytes always suffices.
	MaxLen = MaxV2Len
)

// ErrNeedMore means the input is a valid but incomplete prefix of a header:
// call Parse again with the same bytes and more appended.
var ErrNeedMore = errors.New("proxy: need more data")

// ErrNotProxy means the input does not start with a v1 or v2 signature.
var ErrNotProxy = errors.New("proxy: not a PROXY protocol header")

// Parse parses a PROXY protocol header at the start of b, the bytes received
// so far on a connection. It returns ErrNeedMore while b is a valid prefix of
// a header, ErrNotProxy when b starts with neither signature, another error
// when the header is malformed or unsupported, and otherwise the header and
// the number of bytes it took: the application stream starts at b[n:].
//
// Parse keeps no state between calls and does not retain b; the Header it
// returns never aliases b. It allocates only for v2 TLVs (one buffer and one
// slice) and for the descriptive errors, whose messages quote the bad field.
func Parse(b []byte) (h Header, n int, err error) {
	if len(b) == 0 {
		return Header{}, 0, ErrNeedMore
	}
	switch b[0] {
	case v1Sig[0]:
		return parseV1(b)
	case v2Sig[0]:
		return parseV2(b)
	}
	return Header{}, 0, ErrNotProxy
}

// hasPrefixPart reports whether b and sig agree over their common length:
// b is either a prefix of sig or starts with it.
func hasPrefixPart(b []byte, sig string) bool {
	m := min(len(b), len(sig))
	return string(b[:m]) == sig[:m]
}
