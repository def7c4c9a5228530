package arc

// Sealing, RFC 8617 §5.1: adding the next ARC set to a message.

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrChainFailed is returned by Seal when the newest ARC-Seal of the
	// message already says cv=fail: RFC 8617 §5.1 step 2 stops there, the
	// chain is over and no set is added. The message goes on unsealed.
	ErrChainFailed = errors.New("arc: newest ARC-Seal says cv=fail, the chain cannot be extended")
	// ErrChainTooLong is returned by Seal when the message already has a
	// set of instance 50, the highest RFC 8617 §4.2.1 allows.
	ErrChainTooLong = errors.New("arc: chain already at instance 50")

	errChainMismatch = errors.New("arc: chain status does not match the message's ARC header fields")
	errNoKey         = errors.New("arc: Sealer.Key is nil")
	errBadDomain     = errors.New("arc: Sealer.Domain or Sealer.Selector is not a domain name")
	errBadServID     = errors.New("arc: Sealer.AuthServID is empty or not a token")
	errSignedARC     = errors.New("arc: Sealer.Headers lists an ARC or Authentication-Results field (RFC 8617 §4.1.2)")
)

// Sealer adds one ARC set (AAR, AMS, AS) to messages. It is read-only
// while sealing; one Sealer may serve many goroutines at once if Key may.
type Sealer struct {
	// Domain and Selector name the key: its public half is published at
	// Selector._domainkey.Domain. Both required.
	Domain, Selector string
	// Key signs both the AMS and the AS: an *rsa.PrivateKey of 1024 to
	// 8192 bits gives rsa-sha256, an ed25519.PrivateKey ed25519-sha256.
	// Any crypto.Signer with such a public key works (an HSM handle).
	// Required.
	Key crypto.Signer
	// Headers are the header fields the AMS signs, written to h= in this
	// order (lower-cased). nil means DefaultHeaders, each listed as many
	// times as the message has it and left out when absent, as DKIM
	// signers do. ARC fields and Authentication-Results may not be listed
	// (RFC 8617 §4.1.2).
	Headers []string
	// AuthServID is the authserv-id written in the AAR: the name of the
	// host that did the checks, as in its Authentication-Results. Required.
	AuthServID string
	// Now is the clock for t=; nil means time.Now.
	Now func() time.Time
}

// DefaultHeaders returns the fields an AMS signs when Sealer.Headers is
// nil: RFC 6376 §5.4.1's list, the list-management fields of bulk mail
// (RFC 2369, RFC 8058) and DKIM-Signature, which RFC 8617 §4.1.2 says the
// AMS should cover. A new slice each call.
func DefaultHeaders() []string {
	return []string{
		"from", "sender", "reply-to", "subject", "date", "message-id", "to", "cc",
		"mime-version", "content-type", "content-transfer-encoding", "content-id",
		"content-description", "resent-date", "resent-from", "resent-sender", "resent-to",
		"resent-cc", "resent-message-id", "in-reply-to", "references", "list-id",
		"list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe",
		"list-post", "list-owner", "list-archive", "feedback-id", "dkim-signature",
	}
}

// Seal returns the three header fields to prepend to msg, each folded and
// CRLF-terminated, in the order ARC-Seal, ARC-Message-Signature,
// ARC-Authentication-Results (top to bottom). msg is the message as it
// will leave, every change already made (RFC 8617 §5.1 step 1); bare LF
// line ends are read as CRLF.
//
// results is the resinfo list for the AAR ("spf=pass smtp.mailfrom=a@b;
// dkim=pass header.d=b"; see AuthResults), without authserv-id and arc=;
// the AAR reads "i=N; AuthServID; arc=<chain status>; results". chain is
// Validate's result for msg. A failed chain is sealed with cv=fail, the
// seal then covering the new set only (RFC 8617 §5.1.2). Seal returns
// ErrChainFailed when the newest seal already says cv=fail and
// ErrChainTooLong at instance 50; an error too when chain contradicts the
// message (none with ARC fields present, pass with a malformed chain).
func (s *Sealer) Seal(msg []byte, results string, chain Result) ([]byte, error) {
	return s.seal(msg, results, chain, layoutWire)
}

func (s *Sealer) seal(msg []byte, results string, chain Result, lay layout) ([]byte, error) {
	alg, err := s.check()
	if err != nil {
		return nil, err
	}
	m := parseMessage(toCRLF(msg))
	c := collect(m)
	n, cv, err := nextInstance(c, chain.Status)
	if err != nil {
		return nil, err
	}
	names, err := s.signedHeaders(m)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	sc := sealCall{s: s, m: m, alg: alg, lay: lay, instance: strconv.Itoa(n),
		stamp: strconv.FormatInt(now().Unix(), 10), h: sha256.New()}
	aar := formatAAR(aarValue(sc.instance, s.AuthServID, cv, results), lay)
	ams, err := sc.signAMS(names)
	if err != nil {
		return nil, err
	}
	var prior []arcSet
	if cv != StatusFail {
		prior = c.sets // RFC 8617 §5.1.1; a failed chain's sets are left out (§5.1.2)
	}
	as, err := sc.signAS(prior, aar, ams, cv)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(as)+len(ams)+len(aar))
	return append(append(append(out, as...), ams...), aar...), nil
}

// check validates the Sealer and returns the algorithm its key gives.
func (s *Sealer) check() (algorithm, error) {
	if s.Key == nil {
		return 0, errNoKey
	}
	if !validDomain([]byte(s.Domain)) || !validDomain([]byte(s.Selector)) {
		return 0, errBadDomain
	}
	if !validServID(s.AuthServID) {
		return 0, errBadServID
	}
	return signerAlgorithm(s.Key)
}

// nextInstance picks the instance and cv= of the new set (RFC 8617 §5.1
// steps 2 and 3) and checks that status fits the message.
func nextInstance(c *chain, status Status) (int, Status, error) {
	if c.topCV() == StatusFail {
		return 0, 0, ErrChainFailed
	}
	n := len(c.sets) + 1
	if n > maxInstance {
		return 0, 0, ErrChainTooLong
	}
	switch status {
	case StatusNone:
		if c.present {
			return 0, 0, errChainMismatch
		}
	case StatusPass:
		if len(c.sets) == 0 || c.check() != nil {
			return 0, 0, errChainMismatch
		}
	case StatusFail:
		if !c.present {
			return 0, 0, errChainMismatch
		}
	default:
		return 0, 0, errChainMismatch
	}
	return n, status, nil
}

// validServID accepts an authserv-id we can write unquoted: a non-empty
// run of printable ASCII without the specials that would end or hide it.
func validServID(id string) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(";()\"\\", c) >= 0 {
			return false
		}
	}
	return id != ""
}

// aarValue is "i=N; authserv-id; arc=status; results". results is taken
// in relaxed form (which is all the seal covers, and keeps CR and LF
// out), empty entries and any arc= entry dropped: the chain status is
// ours to write, once.
func aarValue(instance, servID string, cv Status, results string) string {
	v := "i=" + instance + "; " + servID + "; arc=" + cv.String()
	for _, r := range splitResults([]byte(results)) {
		if r = squashSpace(r); r != "" && !isARCResult(r) {
			v += "; " + r
		}
	}
	return v
}

// signedHeaders is h=: Headers as given, or the defaults the message has.
func (s *Sealer) signedHeaders(m *message) ([]string, error) {
	if s.Headers != nil {
		out := make([]string, 0, len(s.Headers))
		for _, h := range s.Headers {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" {
				continue
			}
			if kindOf([]byte(h)) != kindNone || h == "authentication-results" {
				return nil, errSignedARC
			}
			out = append(out, h)
		}
		return out, nil
	}
	var out []string
	for _, h := range DefaultHeaders() {
		for range m.nameRange([]byte(h)) {
			out = append(out, h)
		}
	}
	return out, nil
}

// sealCall is the state of one Seal.
type sealCall struct {
	s        *Sealer
	m        *message
	alg      algorithm
	lay      layout
	instance string
	stamp    string
	h        hash.Hash
	canon    []byte
}

// signAMS builds the ARC-Message-Signature: relaxed/relaxed, the body
// hashed in one pass, names resolved bottom-up like a verifier will.
func (sc *sealCall) signAMS(names []string) ([]byte, error) {
	w := bodyHasher{h: sha256.New(), limit: -1, buf: make([]byte, 0, 4096)}
	hashBody(&w, canonRelaxed, sc.m.body)
	var bh [sha256.Size]byte
	w.h.Sum(bh[:0])
	tags := []tagKV{
		{"i", sc.instance}, {"a", sc.alg.String()}, {"c", "relaxed/relaxed"},
		{"d", sc.s.Domain}, {"s", sc.s.Selector}, {"t", sc.stamp},
		{"h", strings.Join(names, ":")},
		{"bh", base64.StdEncoding.EncodeToString(bh[:])}, {"b", ""},
	}
	nameBytes := make([][]byte, len(names))
	for i, n := range names {
		nameBytes[i] = []byte(n)
	}
	sc.h.Reset()
	for _, i := range sc.m.selectFields(nameBytes, nil) {
		if i >= 0 {
			sc.canon = appendHeader(sc.canon[:0], canonRelaxed, sc.m.fields[i])
			sc.h.Write(sc.canon)
		}
	}
	return sc.finish("ARC-Message-Signature", tags)
}

// signAS builds the ARC-Seal over the prior sets (none for cv=fail) and
// the new AAR and AMS.
func (sc *sealCall) signAS(prior []arcSet, aar, ams []byte, cv Status) ([]byte, error) {
	tags := []tagKV{
		{"i", sc.instance}, {"a", sc.alg.String()}, {"t", sc.stamp},
		{"cv", cv.String()}, {"d", sc.s.Domain}, {"s", sc.s.Selector}, {"b", ""},
	}
	sc.h.Reset()
	for i := range prior {
		p := &prior[i]
		sc.canon = appendHeader(sc.canon[:0], canonRelaxed, *p.aar)
		sc.canon = appendHeader(sc.canon, canonRelaxed, p.ams.f)
		sc.canon = appendHeader(sc.canon, canonRelaxed, p.as.f)
		sc.h.Write(sc.canon)
	}
	sc.canon = appendHeader(sc.canon[:0], canonRelaxed, newField(aar))
	sc.canon = appendHeader(sc.canon, canonRelaxed, newField(ams))
	sc.h.Write(sc.canon)
	return sc.finish("ARC-Seal", tags)
}

// finish hashes the field with an empty b= after what sc.h already holds,
// signs, and writes the field again with the signature.
func (sc *sealCall) finish(name string, tags []tagKV) ([]byte, error) {
	unsigned := formatSig(name, tags, sc.lay)
	sc.canon = appendSelfField(sc.canon[:0], newField(unsigned), canonRelaxed)
	sc.h.Write(sc.canon)
	var digest [sha256.Size]byte
	sig, err := sign(sc.s.Key, sc.alg, sc.h.Sum(digest[:0]))
	if err != nil {
		return nil, fmt.Errorf("arc: sign %s: %w", name, err)
	}
	tags[len(tags)-1].value = base64.StdEncoding.EncodeToString(sig)
	return formatSig(name, tags, sc.lay), nil
}
