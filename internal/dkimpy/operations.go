package dkimpy

import (
	"errors"
	"fmt"
)

// SignOptions configures Sign.
type SignOptions struct {
	// Selector and Domain are the s= and d= tags. Required.
	Selector, Domain string
	// KeyPEM is the private key: an RSA key in PKCS#1 or PKCS#8 PEM, or
	// for Ed25519 the base64 of the 32-byte seed (see RSAKey, Ed25519Key).
	// Required.
	KeyPEM []byte
	// Ed25519 selects ed25519-sha256 (RFC 8463); the default is rsa-sha256.
	Ed25519 bool
	// Headers lists the header fields to sign (h=), in order; a name
	// listed twice signs two instances. The default is dkimpy's: the
	// RFC 6376 §5.4.1 recommended fields present in the message, with From
	// signed once more than it appears. It must include From.
	Headers []string
	// Canon is the c= value: "relaxed/relaxed" (the default),
	// "relaxed/simple", "simple/relaxed", "simple/simple", or a single
	// header algorithm meaning "<that>/simple" (RFC 6376 §3.5).
	Canon string
}

// Sign signs each message with dkim.sign and returns, per message, the
// DKIM-Signature header field dkimpy made (folded, ending in CRLF): the
// bytes to prepend to the message. The t= tag is the current time.
func Sign(msgs [][]byte, opt SignOptions) ([][]byte, error) {
	canon := opt.Canon
	if canon == "" {
		canon = "relaxed/relaxed"
	}
	if err := checkCanon(canon); err != nil {
		return nil, err
	}
	if opt.Selector == "" || opt.Domain == "" || len(opt.KeyPEM) == 0 {
		return nil, errors.New("dkimpy: sign: Selector, Domain and KeyPEM are required")
	}
	res, err := batch("sign", msgs, nil, &options{
		Selector: opt.Selector, Domain: opt.Domain, Key: opt.KeyPEM,
		Ed25519: opt.Ed25519, Headers: opt.Headers, Canon: canon,
	})
	return fields(res), err
}

// ARCOptions configures ARCSign.
type ARCOptions struct {
	// Selector and Domain are the s= and d= tags of the seal and the
	// message signature. Required.
	Selector, Domain string
	// KeyPEM is the RSA private key in PKCS#1 or PKCS#8 PEM. Required.
	KeyPEM []byte
	// Ed25519 is refused: dkimpy's arc_sign seals with rsa-sha256 only
	// (it fixes the algorithm and parses the key as RSA PEM).
	Ed25519 bool
	// AuthServID is the authserv-id whose Authentication-Results header
	// fields dkimpy copies into ARC-Authentication-Results (srv_id).
	// Required, and the message must carry such a field.
	AuthServID string
	// Headers lists the header fields the ARC-Message-Signature signs; the
	// default is dkimpy's, as for SignOptions.Headers.
	Headers []string
	// Timestamp is the t= value in Unix seconds; zero means now.
	Timestamp int64
}

// ARCSign seals each message with dkim.arc_sign and returns, per message,
// the ARC set dkimpy made (ARC-Seal, ARC-Message-Signature,
// ARC-Authentication-Results, each folded and ending in CRLF): the bytes to
// prepend to the message. The instance number and cv= follow from the ARC
// sets already on the message and the arc= result in its
// Authentication-Results. A message dkimpy declines to seal (no
// Authentication-Results for AuthServID, or a chain it considers ended)
// is an error.
func ARCSign(msgs [][]byte, opt ARCOptions) ([][]byte, error) {
	if opt.Ed25519 {
		return nil, errors.New("dkimpy: arc_sign: dkimpy seals with rsa-sha256 only")
	}
	if opt.Selector == "" || opt.Domain == "" || len(opt.KeyPEM) == 0 || opt.AuthServID == "" {
		return nil, errors.New("dkimpy: arc_sign: Selector, Domain, KeyPEM and AuthServID are required")
	}
	res, err := batch("arc_sign", msgs, nil, &options{
		Selector: opt.Selector, Domain: opt.Domain, Key: opt.KeyPEM,
		Headers: opt.Headers, SrvID: opt.AuthServID, Timestamp: opt.Timestamp,
	})
	return fields(res), err
}

// fields returns the header fields of each result (nil for nil).
func fields(res []result) [][]byte {
	if res == nil {
		return nil
	}
	out := make([][]byte, len(res))
	for i, r := range res {
		out[i] = r.Fields
	}
	return out
}

// checkCanon rejects a c= value outside RFC 6376 §3.5 before Python sees it.
func checkCanon(c string) error {
	switch c {
	case "simple", "relaxed", "simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed":
		return nil
	}
	return fmt.Errorf("dkimpy: sign: canonicalization %q is not simple or relaxed, optionally /simple or /relaxed", c)
}

// Result is dkimpy's verdict on one message with what it logged on the
// way, so a failing test can say why dkimpy disagreed rather than only
// that it did.
type Result struct {
	// OK (Verify) reports whether the message carries at least one
	// DKIM-Signature and every one of them verified.
	OK bool
	// Signatures (Verify) holds each DKIM-Signature's verdict, topmost
	// first; it is empty for a message without one.
	Signatures []bool
	// CV (ARCVerify) is the chain validation status: "none" (no ARC
	// set), "pass" or "fail".
	CV string
	// Reason (ARCVerify) is dkimpy's comment on the chain, such as
	// "success" or "Most recent ARC-Message-Signature did not validate".
	Reason string
	// Log is what dkimpy logged, at debug level, while handling the
	// message: the parsed tags, body hashes and the reason for a failure.
	Log string
}

// Verify runs dkimpy's verifier on each message, answering key lookups
// from keys, and returns per message whether every DKIM-Signature it
// carries verified. dkim.verify checks only the topmost signature, so each
// one is checked in turn with dkim.DKIM.verify(idx=i); for a message with
// a single signature the answer is exactly dkim.verify's. A message
// without a signature, or one dkimpy cannot parse, is false.
func Verify(msgs [][]byte, keys Keys) ([]bool, error) {
	res, err := VerifyResults(msgs, keys)
	if err != nil {
		return nil, err
	}
	ok := make([]bool, len(res))
	for i, r := range res {
		ok[i] = r.OK
	}
	return ok, nil
}

// VerifyResults is Verify with dkimpy's per-signature verdicts and log.
func VerifyResults(msgs [][]byte, keys Keys) ([]Result, error) {
	raw, err := batch("verify", msgs, keys, nil)
	if err != nil {
		return nil, err
	}
	res := make([]Result, len(raw))
	for i, r := range raw {
		res[i] = Result{OK: r.OK, Signatures: r.Sigs, Log: r.Log}
	}
	return res, nil
}

// ARCVerify runs dkim.arc_verify on each message, answering key lookups
// from keys, and returns its chain validation status per message: "none",
// "pass" or "fail". When dkimpy reports a terminated chain (a seal that
// says cv=fail, for which arc_verify returns None) the status is "fail",
// as RFC 8617 §5.2 rules.
func ARCVerify(msgs [][]byte, keys Keys) ([]string, error) {
	res, err := ARCVerifyResults(msgs, keys)
	if err != nil {
		return nil, err
	}
	cv := make([]string, len(res))
	for i, r := range res {
		cv[i] = r.CV
	}
	return cv, nil
}

// ARCVerifyResults is ARCVerify with dkimpy's reason and log.
func ARCVerifyResults(msgs [][]byte, keys Keys) ([]Result, error) {
	raw, err := batch("arc_verify", msgs, keys, nil)
	if err != nil {
		return nil, err
	}
	res := make([]Result, len(raw))
	for i, r := range raw {
		res[i] = Result{CV: r.CV, Reason: r.Reason, Log: r.Log}
	}
	return res, nil
}
