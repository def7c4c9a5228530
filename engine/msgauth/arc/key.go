package arc

// Signing algorithms and DKIM key records (RFC 6376 §3.6.1, RFC 8463):
// how a signature's a= and a published p= fit together.

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// algorithm is a signature's a= value. Both hash with SHA-256, so one
// body hash serves either.
type algorithm uint8

const (
	algRSASHA256     algorithm = iota // rsa-sha256, RFC 6376 §3.3
	algEd25519SHA256                  // ed25519-sha256, RFC 8463
	algorithmCount
)

var algorithmNames = [algorithmCount]string{"rsa-sha256", "ed25519-sha256"}

func (a algorithm) String() string {
	if a < algorithmCount {
		return algorithmNames[a]
	}
	return "algorithm(?)"
}

// parseAlgorithm maps a= to an algorithm. rsa-sha1 is refused: RFC 8301
// withdrew it, and ARC never had it.
func parseAlgorithm(v []byte) (algorithm, bool) {
	for a, n := range algorithmNames {
		if string(v) == n {
			return algorithm(a), true
		}
	}
	return 0, false
}

// RSA key sizes accepted. RFC 8301 §3.2 makes 1024 bits the floor; the
// ceiling bounds the cost a hostile record can impose on a verifier.
const (
	minRSABits = 1024
	maxRSABits = 8192
)

var (
	errKeyRevoked = errors.New("key revoked (empty p=)")
	errKeySyntax  = errors.New("malformed key record")
	errKeyType    = errors.New("key type does not match the signature algorithm")
	errKeyUnknown = errors.New("unknown key type")
	errKeyHash    = errors.New("key record h= excludes sha256")
	errKeyService = errors.New("key record s= excludes email")
	errKeySize    = errors.New("RSA key size outside 1024..8192 bits")
	errKeyNone    = errors.New("no key record")
	errSignature  = errors.New("signature does not verify")
)

// publicKey is a parsed key record. Exactly one of rsa and ed is set.
type publicKey struct {
	rsa     *rsa.PublicKey
	ed      ed25519.PublicKey
	testing bool // t=y: the domain is testing DKIM (RFC 6376 §3.6.1); reported, not acted on
}

// parseKeyRecord parses one DKIM key record. A missing k= means rsa, an
// empty p= a revoked key. v=, when present, must be DKIM1; h= and s=,
// when present, must allow sha256 and email. Unknown tags are ignored.
func parseKeyRecord(txt string) (*publicKey, error) {
	var buf [12]tag
	tags, err := parseTags([]byte(txt), buf[:0])
	if err != nil {
		return nil, errKeySyntax
	}
	if v, ok := lookupTag(tags, "v"); ok && string(v.value) != "DKIM1" {
		return nil, errKeySyntax
	}
	if h, ok := lookupTag(tags, "h"); ok && !listHas(h.value, "sha256") {
		return nil, errKeyHash
	}
	if s, ok := lookupTag(tags, "s"); ok && !listHas(s.value, "email") && !listHas(s.value, "*") {
		return nil, errKeyService
	}
	k := &publicKey{}
	if t, ok := lookupTag(tags, "t"); ok {
		k.testing = listHas(t.value, "y")
	}
	p, ok := lookupTag(tags, "p")
	if !ok {
		return nil, errKeySyntax
	}
	if len(p.value) == 0 {
		return nil, errKeyRevoked
	}
	der, ok := decodeBase64(p.value)
	if !ok {
		return nil, errKeySyntax
	}
	kt := []byte("rsa")
	if t, ok := lookupTag(tags, "k"); ok {
		kt = t.value
	}
	switch string(kt) {
	case "rsa":
		k.rsa, err = parseRSAKey(der)
	case "ed25519":
		if len(der) != ed25519.PublicKeySize {
			return nil, errKeySyntax
		}
		k.ed = ed25519.PublicKey(der)
	default:
		return nil, errKeyUnknown
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// parseRSAKey reads p= as SubjectPublicKeyInfo (what RFC 6376 §3.6.1
// specifies) or, failing that, as a bare PKCS#1 RSAPublicKey, which some
// publishers put there and other verifiers accept.
func parseRSAKey(der []byte) (*rsa.PublicKey, error) {
	var pub *rsa.PublicKey
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		r, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, errKeyType
		}
		pub = r
	} else if r, err := x509.ParsePKCS1PublicKey(der); err == nil {
		pub = r
	} else {
		return nil, errKeySyntax
	}
	if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
		return nil, errKeySize
	}
	return pub, nil
}

// listHas reports whether a colon-separated list (h=, s=, t= of a key
// record) contains item.
func listHas(list []byte, item string) bool {
	for rest := string(list); ; {
		var e string
		e, rest, _ = strings.Cut(rest, ":")
		if strings.TrimSpace(e) == item {
			return true
		}
		if rest == "" {
			return false
		}
	}
}

// verify checks sig over digest (a SHA-256 hash) with k under alg.
func (k *publicKey) verify(alg algorithm, digest, sig []byte) error {
	switch {
	case alg == algRSASHA256 && k.rsa != nil:
		if rsa.VerifyPKCS1v15(k.rsa, crypto.SHA256, digest, sig) != nil {
			return errSignature
		}
	case alg == algEd25519SHA256 && k.ed != nil:
		// RFC 8463 §3: PureEdDSA over the SHA-256 hash, not the data.
		if !ed25519.Verify(k.ed, digest, sig) {
			return errSignature
		}
	default:
		return errKeyType
	}
	return nil
}

// signerAlgorithm says which a= a signer produces, from its public key.
func signerAlgorithm(s crypto.Signer) (algorithm, error) {
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
			return 0, errKeySize
		}
		return algRSASHA256, nil
	case ed25519.PublicKey:
		return algEd25519SHA256, nil
	}
	return 0, errKeyUnknown
}

// sign signs digest (SHA-256) with s as alg requires.
func sign(s crypto.Signer, alg algorithm, digest []byte) ([]byte, error) {
	opts := crypto.SignerOpts(crypto.SHA256)
	if alg == algEd25519SHA256 {
		opts = crypto.Hash(0) // Ed25519 signs the digest bytes themselves (RFC 8463 §3)
	}
	return s.Sign(rand.Reader, digest, opts)
}

// keyCache remembers the keys fetched during one validation: the sets of
// a chain are usually signed with one or two keys, and each lookup may
// cost a resolver round trip.
type keyCache struct {
	lookup  LookupTXT
	entries []keyEntry
}

type keyEntry struct {
	name string
	key  *publicKey
	err  error
}

// get returns the key published at selector._domainkey.domain. Of several
// TXT records the first that parses wins (RFC 6376 §3.6.2.2 leaves the
// choice to the verifier).
func (c *keyCache) get(domain, selector []byte) (*publicKey, error) {
	name := string(selector) + "._domainkey." + string(domain)
	for _, e := range c.entries {
		if e.name == name {
			return e.key, e.err
		}
	}
	k, err := c.fetch(name)
	c.entries = append(c.entries, keyEntry{name, k, err})
	return k, err
}

func (c *keyCache) fetch(name string) (*publicKey, error) {
	if c.lookup == nil {
		return nil, errKeyNone
	}
	txts, err := c.lookup(name)
	if err != nil {
		return nil, fmt.Errorf("key lookup %s: %w", name, err)
	}
	err = errKeyNone
	for _, txt := range txts {
		k, perr := parseKeyRecord(txt)
		if perr == nil {
			return k, nil
		}
		if err == errKeyNone {
			err = perr
		}
	}
	return nil, err
}
