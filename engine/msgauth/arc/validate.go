package arc

// Chain validation, RFC 8617 §5.2.

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"strconv"
)

// LookupTXT returns the TXT strings published at a DNS name such as
// "sel._domainkey.example.org": one string per record, the strings of a
// record already joined (as net.LookupTXT returns them). Any error counts
// as a failed key lookup; RFC 8617 §5.2.1 makes no difference between
// temporary and permanent ones.
type LookupTXT func(name string) ([]string, error)

// Status is a chain validation status (RFC 8617 §4.4).
type Status uint8

const (
	StatusNone Status = iota // no ARC sets in the message
	StatusPass               // every check of §5.2 passed
	StatusFail               // a check failed; the chain must be treated as absent
	statusCount
)

var statusNames = [statusCount]string{"none", "pass", "fail"}

// String returns the status as written in cv= and in arc= of an
// Authentication-Results header field.
func (s Status) String() string {
	if s < statusCount {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Result is the validation of a message's ARC chain (RFC 8617 §5.2).
type Result struct {
	Status Status
	// Instance is the highest i= in the chain, 0 when there is none (or
	// when no instance could be read at all).
	Instance int
	// OldestPass is header.oldest-pass (RFC 8617 §5.2 step 5, §6): for a
	// passing chain, the oldest instance from which every AMS still
	// validates, or 0 when all of them do. It is 0 (not computed) when the
	// status is not pass.
	OldestPass int
	// Reason says why the chain failed, for logs and the comment of the
	// Authentication-Results entry; empty unless Status is StatusFail. It
	// holds no control characters, parentheses or backslashes, so it can
	// go inside a header comment as it is.
	Reason string
}

// Validate checks the ARC sets in msg: the header, CRLF CRLF, the body.
// Bare LF line ends are accepted and read as CRLF. lookup fetches key
// records; it may be called once per distinct selector and domain.
func Validate(msg []byte, lookup LookupTXT) Result {
	if !mayHaveARC(msg) {
		return Result{Status: StatusNone} // the common case, decided from the header alone
	}
	m := parseMessage(toCRLF(msg))
	c := collect(m)
	if !c.present {
		return Result{Status: StatusNone}
	}
	v := validator{m: m, keys: keyCache{lookup: lookup}}
	return v.run(c)
}

// validator holds the state of one Validate call: the message, the keys
// and body hashes already computed, and scratch buffers reused across the
// chain's signatures.
type validator struct {
	m      *message
	keys   keyCache
	bodies []bodySum
	canon  []byte  // canonical form of one header field
	tmp    []byte  // a signature field with b= emptied
	sel    []int32 // h= resolved to field indices
	h      hash.Hash
}

// bodySum is one computed body hash.
type bodySum struct {
	c     canon
	limit int64
	n     int64 // canonical length
	sum   [sha256.Size]byte
}

func (v *validator) run(c *chain) Result {
	n := len(c.sets)
	fail := func(e *chainError) Result {
		return Result{Status: StatusFail, Instance: n, Reason: e.Error()}
	}
	if e := c.check(); e != nil {
		return fail(e)
	}
	// Step 4: the newest AMS must validate.
	top := c.sets[n-1].ams
	if err := v.verifyAMS(top); err != nil {
		return fail(&chainError{kind: kindAMS, instance: n, err: err})
	}
	// Step 6: every AS, newest first.
	for i := n; i >= 1; i-- {
		if err := v.verifyAS(c.sets, i); err != nil {
			return fail(&chainError{kind: kindAS, instance: i, err: err})
		}
	}
	// Step 5, done last since it cannot change the status: the oldest
	// AMS that still validates.
	oldest := 0
	for i := n - 1; i >= 1; i-- {
		if v.verifyAMS(c.sets[i-1].ams) != nil {
			oldest = i + 1
			break
		}
	}
	return Result{Status: StatusPass, Instance: n, OldestPass: oldest}
}

// verifyAMS checks one ARC-Message-Signature like a DKIM signature (RFC
// 6376 §6.1.3): body hash, then header hash, then the key (so that a
// message broken locally costs no DNS query).
func (v *validator) verifyAMS(s *signature) error {
	sum, err := v.bodyHash(s.bodyCanon, s.limit)
	if err != nil {
		return err
	}
	if !bytes.Equal(sum, s.bodyHash) {
		return errBodyHash
	}
	h := v.hasher()
	v.sel = v.m.selectFields(s.headers, v.sel)
	for _, i := range v.sel {
		if i >= 0 {
			v.canon = appendHeader(v.canon[:0], s.headCanon, v.m.fields[i])
			h.Write(v.canon)
		}
	}
	v.canon, v.tmp = s.appendSelf(v.canon[:0], v.tmp, s.headCanon)
	h.Write(v.canon)
	return v.check(s, h)
}

// verifyAS checks the ARC-Seal of instance i: relaxed forms of AAR, AMS
// and AS of every instance 1..i in that order, the seal itself last with
// b= emptied (RFC 8617 §5.1.1).
func (v *validator) verifyAS(sets []arcSet, i int) error {
	h := v.hasher()
	for j := 0; j < i-1; j++ {
		v.hashSet(h, &sets[j])
	}
	s := &sets[i-1]
	v.canon = appendHeader(v.canon[:0], canonRelaxed, *s.aar)
	v.canon = appendHeader(v.canon, canonRelaxed, s.ams.f)
	v.canon, v.tmp = s.as.appendSelf(v.canon, v.tmp, canonRelaxed)
	h.Write(v.canon)
	return v.check(s.as, h)
}

func (v *validator) hashSet(h hash.Hash, s *arcSet) {
	v.canon = appendHeader(v.canon[:0], canonRelaxed, *s.aar)
	v.canon = appendHeader(v.canon, canonRelaxed, s.ams.f)
	v.canon = appendHeader(v.canon, canonRelaxed, s.as.f)
	h.Write(v.canon)
}

// check fetches the signer's key and verifies s.sig over the hash in h.
func (v *validator) check(s *signature, h hash.Hash) error {
	k, err := v.keys.get(s.domain, s.selector)
	if err != nil {
		return err
	}
	var sum [sha256.Size]byte
	return k.verify(s.alg, h.Sum(sum[:0]), s.sig)
}

func (v *validator) hasher() hash.Hash {
	if v.h == nil {
		v.h = sha256.New()
	}
	v.h.Reset()
	return v.h
}

// bodyHash returns the SHA-256 of the body in canonical form c cut at
// limit bytes (limit < 0: all), computing it once per (c, limit).
func (v *validator) bodyHash(c canon, limit int64) ([]byte, error) {
	for i := range v.bodies {
		if b := &v.bodies[i]; b.c == c && b.limit == limit {
			return b.result()
		}
	}
	w := bodyHasher{h: sha256.New(), limit: limit, buf: make([]byte, 0, 4096)}
	hashBody(&w, c, v.m.body)
	v.bodies = append(v.bodies, bodySum{c: c, limit: limit, n: w.n})
	b := &v.bodies[len(v.bodies)-1]
	w.h.Sum(b.sum[:0])
	return b.result()
}

func (b *bodySum) result() ([]byte, error) {
	if b.limit > b.n {
		return nil, errLengthOver // RFC 6376 §6.1.3 leaves it open; a short body cannot match
	}
	return b.sum[:], nil
}
