package arc

// The two signed ARC header fields: ARC-Message-Signature (RFC 8617
// §4.1.2, DKIM-Signature syntax with i= as instance) and ARC-Seal
// (§4.1.3, the same minus h=, bh= and body canonicalization, plus cv=).

import (
	"bytes"
	"errors"
)

// signature is a parsed AMS or AS. Slices point into the message.
type signature struct {
	f        field
	instance int
	alg      algorithm
	sig      []byte // b=, decoded
	domain   []byte // d=
	selector []byte // s=
	bStart   int    // b= value area within f.raw, emptied when hashing (RFC 6376 §3.7)
	bEnd     int

	// ARC-Message-Signature only.
	bodyHash  []byte   // bh=, decoded
	headers   [][]byte // h=, in order
	headCanon canon
	bodyCanon canon
	limit     int64 // l=, -1 when absent

	// ARC-Seal only.
	cv Status
}

var (
	errNoInstance = errors.New("missing or invalid i=")
	errAlgorithm  = errors.New("missing or unsupported a=")
	errB          = errors.New("missing or invalid b=")
	errBH         = errors.New("missing or invalid bh=")
	errDomain     = errors.New("missing or invalid d=")
	errSelector   = errors.New("missing or invalid s=")
	errH          = errors.New("missing h=")
	errHSealed    = errors.New("h= lists ARC-Seal")
	errCanon      = errors.New("invalid c=")
	errTimestamp  = errors.New("invalid t=")
	errLength     = errors.New("invalid l=")
	errCV         = errors.New("missing or invalid cv=")
	errSealHasH   = errors.New("ARC-Seal carries h=")
	errBodyHash   = errors.New("body hash does not match bh=")
	errLengthOver = errors.New("l= is longer than the body")
)

// maxInstance is the highest instance RFC 8617 §4.2.1 allows.
const maxInstance = 50

// parseSignature parses f as an ARC-Seal (seal) or an
// ARC-Message-Signature and checks every tag the validator relies on.
// scratch is reused for the tag list.
func parseSignature(f field, seal bool, scratch []tag) (*signature, []tag, error) {
	s := &signature{f: f, limit: -1}
	tags, err := parseTags(f.value, scratch)
	if err != nil {
		return s, scratch, err
	}
	// i= first, so that a field with other faults is still filed under its
	// instance (a sealer needs the highest one even of a broken chain).
	s.instance, _ = instanceTag(tags)
	if err := s.common(tags); err != nil {
		return s, tags, err
	}
	if seal {
		err = s.sealTags(tags)
	} else {
		err = s.amsTags(tags)
	}
	return s, tags, err
}

// common reads the tags both fields share: i, a, b, d, s, t.
func (s *signature) common(tags []tag) error {
	if s.instance == 0 {
		return errNoInstance
	}
	a, found := lookupTag(tags, "a")
	var ok bool
	if s.alg, ok = parseAlgorithm(a.value); !found || !ok {
		return errAlgorithm
	}
	b, found := lookupTag(tags, "b")
	if s.sig, ok = decodeBase64(b.value); !found || !ok {
		return errB
	}
	off := len(s.f.raw) - len(s.f.value)
	if bytes.HasSuffix(s.f.raw, crlf) {
		off -= 2
	}
	s.bStart, s.bEnd = off+b.start, off+b.end
	d, found := lookupTag(tags, "d")
	if s.domain = d.value; !found || !validDomain(d.value) {
		return errDomain
	}
	sel, found := lookupTag(tags, "s")
	if s.selector = sel.value; !found || !validDomain(sel.value) {
		return errSelector
	}
	if t, found := lookupTag(tags, "t"); found {
		if _, ok := parseNumber(t.value, 12); !ok {
			return errTimestamp
		}
	}
	return nil
}

// instanceTag reads i= as position = 1*2DIGIT in 1..50 (RFC 8617 §3.9).
func instanceTag(tags []tag) (int, bool) {
	t, found := lookupTag(tags, "i")
	if !found {
		return 0, false
	}
	n, ok := parseNumber(t.value, 2)
	if !ok || n < 1 || n > maxInstance {
		return 0, false
	}
	return int(n), true
}

// sealTags reads cv= and refuses h= (RFC 8617 §4.1.3: "MUST result in a
// cv status of fail").
func (s *signature) sealTags(tags []tag) error {
	if _, found := lookupTag(tags, "h"); found {
		return errSealHasH
	}
	cv, found := lookupTag(tags, "cv")
	if !found {
		return errCV
	}
	switch string(cv.value) {
	case "none":
		s.cv = StatusNone
	case "pass":
		s.cv = StatusPass
	case "fail":
		s.cv = StatusFail
	default:
		return errCV
	}
	return nil
}

// amsTags reads bh=, h=, c= and l=. A missing c= means simple/simple, as
// for DKIM (RFC 6376 §3.5), since the AMS keeps DKIM's semantics.
func (s *signature) amsTags(tags []tag) error {
	bh, found := lookupTag(tags, "bh")
	var ok bool
	if s.bodyHash, ok = decodeBase64(bh.value); !found || !ok {
		return errBH
	}
	h, found := lookupTag(tags, "h")
	if !found {
		return errH
	}
	s.headers = splitHeaderList(h.value)
	for _, n := range s.headers {
		if equalFold(n, "arc-seal") {
			return errHSealed // RFC 8617 §4.1.2
		}
	}
	s.headCanon, s.bodyCanon = canonSimple, canonSimple
	if c, found := lookupTag(tags, "c"); found {
		if s.headCanon, s.bodyCanon, ok = parseCanon(c.value); !ok {
			return errCanon
		}
	}
	if l, found := lookupTag(tags, "l"); found {
		if s.limit, ok = parseNumber(l.value, 18); !ok {
			return errLength
		}
	}
	return nil
}

// splitHeaderList splits h= at colons, dropping the FWS around names
// (RFC 6376 §3.5). Empty names are kept; they select nothing.
func splitHeaderList(v []byte) [][]byte {
	n := 1
	for _, c := range v {
		if c == ':' {
			n++
		}
	}
	out := make([][]byte, 0, n)
	for {
		i := 0
		for i < len(v) && v[i] != ':' {
			i++
		}
		out = append(out, trimSpace(v[:i]))
		if i == len(v) {
			return out
		}
		v = v[i+1:]
	}
}

// appendSelf appends the signature's own field with the b= value emptied,
// canonicalized by c and without the final CRLF (RFC 6376 §3.7). tmp is
// scratch for the edited copy and is returned for reuse.
func (s *signature) appendSelf(dst, tmp []byte, c canon) (out, tmpOut []byte) {
	tmp = append(tmp[:0], s.f.raw[:s.bStart]...)
	tmp = append(tmp, s.f.raw[s.bEnd:]...)
	return appendSelfField(dst, newField(tmp), c), tmp
}

// appendSelfField appends f canonicalized by c without its final CRLF.
func appendSelfField(dst []byte, f field, c canon) []byte {
	if c == canonSimple {
		return append(dst, bytes.TrimSuffix(f.raw, crlf)...)
	}
	return appendRelaxedHeader(dst, f.name, f.value)
}
