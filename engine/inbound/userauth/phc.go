package userauth

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// phc is a parsed argon2id hash in the PHC string format
// (github.com/P-H-C/phc-string-format, as the Argon2 reference implementation writes it):
//
//	$argon2id$v=19$m=MEMORY,t=TIME,p=THREADS$SALT$HASH
//
// MEMORY is in KiB; SALT and HASH are standard base64 without padding. The parser accepts
// only the canonical form, so String reproduces the parsed text byte for byte: version 19
// (0x13, RFC 9106 §3.1; the version-less argon2 1.0 form is refused), the parameters in
// the order m, t, p with nothing else, decimal numbers without sign or leading zeros, and
// base64 with zero trailing bits.
type phc struct {
	memory  uint32 // m, KiB
	time    uint32 // t, passes
	threads uint8  // p, lanes
	salt    []byte
	hash    []byte
}

// Limits on parsed PHC strings. RFC 9106 §3.1 allows wider ranges; these reject typos that
// would make every check take seconds or gigabytes, and x/crypto/argon2 takes p as a uint8.
const (
	phcMaxMemory  = 2 << 20 // KiB: 2 GiB
	phcMaxTime    = 1024
	phcMaxThreads = 255
	phcMinSalt    = 8 // RFC 9106 §3.1: at least 8 bytes
	phcMaxSalt    = 64
	phcMinHash    = 4 // RFC 9106 §3.1: tag length at least 4 bytes
	phcMaxHash    = 128
)

const phcID = "$argon2id$"

var (
	errPHCForm    = errors.New("not of the form $argon2id$v=19$m=M,t=T,p=P$SALT$HASH")
	errPHCVersion = errors.New("version is not v=19")
	errPHCMemory  = errors.New("m is not a number of KiB from 8×p to 2097152")
	errPHCTime    = errors.New("t is not a number from 1 to 1024")
	errPHCThreads = errors.New("p is not a number from 1 to 255")
	errPHCSalt    = errors.New("salt is not 8 to 64 bytes of unpadded standard base64")
	errPHCHash    = errors.New("hash is not 4 to 128 bytes of unpadded standard base64")
)

var phcB64 = base64.RawStdEncoding.Strict()

// parsePHC parses an argon2id PHC string. The returned salt and hash are fresh slices.
func parsePHC(s string) (phc, error) {
	var p phc
	rest, ok := strings.CutPrefix(s, phcID)
	// The base64 decoder skips CR and LF; refuse them so that the form stays canonical.
	if !ok || strings.ContainsAny(rest, "\r\n") {
		return p, errPHCForm
	}
	// "$argon2id$v=19$m=...": five '$'-separated fields after the id.
	version, rest, ok1 := strings.Cut(rest, "$")
	params, rest, ok2 := strings.Cut(rest, "$")
	salt, hash, ok3 := strings.Cut(rest, "$")
	if !ok1 || !ok2 || !ok3 || strings.Contains(hash, "$") {
		if ok1 && strings.HasPrefix(version, "m=") {
			return p, errPHCVersion // the version-less argon2 1.0 form
		}
		return p, errPHCForm
	}
	if version != "v=19" {
		return p, errPHCVersion
	}
	if err := p.parseParams(params); err != nil {
		return p, err
	}
	var err error
	if p.salt, err = phcB64.DecodeString(salt); err != nil || len(p.salt) < phcMinSalt || len(p.salt) > phcMaxSalt {
		return phc{}, errPHCSalt
	}
	if p.hash, err = phcB64.DecodeString(hash); err != nil || len(p.hash) < phcMinHash || len(p.hash) > phcMaxHash {
		return phc{}, errPHCHash
	}
	return p, nil
}

// parseParams parses "m=M,t=T,p=P" into p.
func (p *phc) parseParams(s string) error {
	m, rest, _ := strings.Cut(s, ",")
	t, pp, ok := strings.Cut(rest, ",")
	if !ok || strings.Contains(pp, ",") {
		return errPHCForm
	}
	m, okm := strings.CutPrefix(m, "m=")
	t, okt := strings.CutPrefix(t, "t=")
	pp, okp := strings.CutPrefix(pp, "p=")
	if !okm || !okt || !okp {
		return errPHCForm
	}
	threads, ok := parseDec(pp, phcMaxThreads)
	if !ok || threads < 1 {
		return errPHCThreads
	}
	time, ok := parseDec(t, phcMaxTime)
	if !ok || time < 1 {
		return errPHCTime
	}
	memory, ok := parseDec(m, phcMaxMemory)
	if !ok || memory < 8*threads { // RFC 9106 §3.1: m ≥ 8×p
		return errPHCMemory
	}
	p.memory, p.time, p.threads = uint32(memory), uint32(time), uint8(threads)
	return nil
}

// parseDec parses a decimal number with no sign and no leading zero, at most max.
func parseDec(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= max
}

// String returns p in the canonical PHC form that parsePHC accepts.
func (p *phc) String() string {
	b := make([]byte, 0, len(phcID)+40+phcB64.EncodedLen(len(p.salt))+phcB64.EncodedLen(len(p.hash)))
	b = append(b, phcID+"v=19$m="...)
	b = strconv.AppendUint(b, uint64(p.memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(p.time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p.threads), 10)
	b = append(b, '$')
	b = phcB64.AppendEncode(b, p.salt)
	b = append(b, '$')
	b = phcB64.AppendEncode(b, p.hash)
	return string(b)
}
