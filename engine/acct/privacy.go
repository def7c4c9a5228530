package acct

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/volleymta/volley/internal/siphash"
	"hash"
	"strings"
)

// privacy applies an acct-file's privacy-policy (reference §2.11): it replaces the local
// part of the recipient in rcpt and orcpt, where the recipient's address appears whole in
// dsnDiag (the SMTP reply), and where a VERP'd orig carries it as "local=domain".
//
// The reference names the policies but not their output, so these are Volley's choices:
// redact writes its text (default "redacted"); siphash writes SipHash-2-4 of the local
// part as 16 lower-case hex digits (the 8 output bytes in little-endian order);
// hmac-sha256 writes HMAC-SHA256 of the local part as 64 hex digits. The local part is
// hashed as written, without case folding. A siphash KEY must be 16 bytes; -hexkey
// variants take the key in hex.
type privacy struct {
	redact []byte
	k0, k1 uint64    // siphash
	mac    hash.Hash // hmac-sha256
	in     []byte    // scratch: the local part being hashed
	out    []byte    // scratch: the masked local part
	pat    []byte    // scratch: the VERP pattern
}

var errPolicy = errors.New(`acct: privacy-policy wants retain, redact ["TEXT"], siphash KEY, siphash-hexkey HEX, hmac-sha256 KEY or hmac-sha256-hexkey HEX`)

// parsePrivacy parses a privacy-policy value; nil means retain.
func parsePrivacy(s string) (*privacy, error) {
	kind, arg, _ := strings.Cut(strings.TrimSpace(s), " ")
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && arg[0] == '"' && arg[len(arg)-1] == '"' {
		arg = arg[1 : len(arg)-1]
	}
	key := []byte(arg)
	switch kind {
	case "siphash-hexkey", "hmac-sha256-hexkey":
		var err error
		if key, err = hex.DecodeString(arg); err != nil {
			return nil, fmt.Errorf("%w: %v", errPolicy, err)
		}
	}
	switch {
	case kind == "" || kind == "retain":
		return nil, nil
	case kind == "redact":
		if arg == "" {
			arg = "redacted"
		}
		return &privacy{redact: []byte(arg)}, nil
	case strings.HasPrefix(kind, "siphash") && len(key) == 16:
		return &privacy{k0: binary.LittleEndian.Uint64(key), k1: binary.LittleEndian.Uint64(key[8:])}, nil
	case strings.HasPrefix(kind, "hmac-sha256") && len(key) > 0:
		return &privacy{mac: hmac.New(sha256.New, key)}, nil
	}
	return nil, errPolicy
}

// mask returns the replacement for local part l, valid until the next call.
func (p *privacy) mask(l string) []byte {
	switch {
	case p.redact != nil:
		return p.redact
	case p.mac != nil:
		p.in = append(p.in[:0], l...)
		p.mac.Reset()
		p.mac.Write(p.in)
		p.in = p.mac.Sum(p.in[:0])
	default:
		p.in = binary.LittleEndian.AppendUint64(p.in[:0], siphash.Sum24(p.k0, p.k1, l))
	}
	p.out = hex.AppendEncode(p.out[:0], p.in)
	return p.out
}

// rewrite appends field f of r (orig, rcpt, orcpt or dsnDiag) with the policy applied.
func (p *privacy) rewrite(dst []byte, f field, r *Record) []byte {
	switch f {
	case fRcpt:
		return p.appendAddr(dst, r.Rcpt)
	case fOrcpt: // "rfc822;local@domain" (RFC 3461 §4.2)
		i := strings.IndexByte(r.Orcpt, ';') + 1
		return p.appendAddr(append(dst, r.Orcpt[:i]...), r.Orcpt[i:])
	}
	local, domain, ok := splitAddr(r.Rcpt)
	if !ok || local == "" {
		return append(dst, *stringField(r, f)...)
	}
	if f == fDSNDiag {
		p.pat = append(p.pat[:0], r.Rcpt...)
		return p.replace(dst, r.DSNDiag, p.pat, local, len(r.Rcpt)-len(local))
	}
	// orig: VERP puts the recipient into the local part as "local=domain".
	ol, _, _ := splitAddr(r.Orig)
	p.pat = append(append(append(p.pat[:0], local...), '='), domain...)
	dst = p.replace(dst, ol, p.pat, local, len(domain)+1)
	return append(dst, r.Orig[len(ol):]...)
}

// appendAddr appends addr with its local part masked.
func (p *privacy) appendAddr(dst []byte, addr string) []byte {
	local, _, ok := splitAddr(addr)
	if local == "" {
		return append(dst, addr...)
	}
	dst = append(dst, p.mask(local)...)
	if ok {
		dst = append(dst, addr[len(local):]...)
	}
	return dst
}

// replace appends s with every ASCII case-insensitive occurrence of pat rewritten as
// mask(local) followed by pat's last keep bytes.
func (p *privacy) replace(dst []byte, s string, pat []byte, local string, keep int) []byte {
	for {
		i := indexFold(s, pat)
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, p.mask(local)...)
		dst = append(dst, s[i+len(pat)-keep:i+len(pat)]...)
		s = s[i+len(pat):]
	}
}

// splitAddr splits at the last '@'; without one, the whole string is the local part.
func splitAddr(a string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, "", false
	}
	return a[:i], a[i+1:], true
}

// indexFold is strings.Index ignoring ASCII case; pat must not be empty.
func indexFold(s string, pat []byte) int {
next:
	for i := 0; i+len(pat) <= len(s); i++ {
		for j := 0; j < len(pat); j++ {
			if lower(s[i+j]) != lower(pat[j]) {
				continue next
			}
		}
		return i
	}
	return -1
}
