// Package arc validates and extends Authenticated Received Chains (RFC
// 8617): a receiver learns whether the authentication results recorded by
// earlier intermediaries (mailing lists, forwarders) can be trusted after
// they changed the message, and Volley, when it relays or forwards, adds
// its own link so that the next receiver can do the same.
//
// The package carries its own DKIM machinery (tag lists, simple and
// relaxed canonicalization, key records) instead of going through
// go-msgauth's dkim package: that package does not export those pieces,
// and ARC needs them in ways DKIM does not (the ARC-Seal hashes a chain of
// header fields by instance, not by h= name).
//
// Responsibility: Validate runs the validator algorithm of RFC 8617 §5.2
// over a whole message and says none, pass or fail, with the highest
// instance, the oldest AMS that still validates and, on failure, why.
// Sealer.Seal builds the next ARC set (ARC-Authentication-Results,
// ARC-Message-Signature, ARC-Seal) for a message whose chain was just
// validated (RFC 8617 §5.1); DefaultHeaders is what its AMS signs unless
// told otherwise. AuthResults gathers this host's own
// Authentication-Results into the resinfo list an AAR carries.
//
// Not responsible for: DNS (the caller passes a LookupTXT, which should
// cache and time out on its own), deciding whether to seal (policy), the
// Authentication-Results header written for the validation (engine/msgauth
// does it from Result), DKIM-Signature verification, expiry (x=) and
// future-timestamp checks, which need a clock Validate does not take.
//
// Concurrency: nothing here has mutable package state. Validate may run on
// any number of goroutines at once; a Sealer is read-only during Seal, so
// one Sealer may seal on many goroutines at once as long as its Key may.
// Inputs are never modified; results never alias them.
//
// Performance: a message is split into header fields once; the body is
// canonicalized and hashed in one streaming pass per distinct
// (canonicalization, l=) pair (one pass in practice), without building
// the canonical body; h= names are resolved through a sorted index, so
// adversarial header counts stay O(n log n). A message with LF line ends
// is copied once into CRLF form; a CRLF message is not copied at all. A
// message without ARC fields, the common case, costs one scan of its
// header. The one quadratic step is the seals': seal i covers sets 1..i,
// and with at most 50 sets that is bounded (each key looked up once).
//
// Standards: RFC 8617 (ARC; §4 header fields, §5.1 sealing, §5.2
// validation), RFC 6376 (DKIM; §3.2 tag lists, §3.4 canonicalization,
// §3.5 signature tags, §3.6.1 key records, §3.7 hashing), RFC 8463
// (Ed25519-SHA256), RFC 8601 (Authentication-Results syntax for the AAR).
// Where implementations differ: an AMS without c= is read as
// simple/simple, DKIM's default (dkimpy reads relaxed/relaxed); an AMS
// whose h= lists ARC-Authentication-Results or ARC-Message-Signature is
// still verified (older signers did so), one listing ARC-Seal fails; the
// sealer lists none of them.
//
// Failure behaviour: validation never panics and never returns an error:
// every problem, DNS failures included, is a "fail" with a Reason, as RFC
// 8617 §5.2.1 requires (all failures are permanent). RSA keys shorter than
// 1024 bits fail (RFC 8301). Seal returns an error when it cannot produce
// a set: no key or domain, a chain already at instance 50, a chain whose
// newest seal already says cv=fail (RFC 8617 §5.1 step 2,
// ErrChainFailed), or a signer error.
package arc
