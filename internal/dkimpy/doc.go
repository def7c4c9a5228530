// Package dkimpy lets tests check Volley's DKIM signatures and ARC seals
// against an independent implementation, dkimpy (Debian's python3-dkim with
// python3-authres), and hand Volley's verifier signatures it did not make.
// Agreeing with ourselves proves little; agreeing with dkimpy catches
// canonicalization and header-selection mistakes that a self-test repeats.
//
// # Responsibility
//
// Run dkimpy's sign, verify, arc_sign and arc_verify over a batch of
// messages with one Python process per call: the request goes to the
// embedded dkimpy.py as JSON on stdin (messages base64, since they may be
// 8-bit), and the verdicts come back as JSON on stdout. Keys are served by
// a Python-side dnsfunc from the Keys map, so no DNS query is made. RSAKey
// and Ed25519Key turn Go keys into the private-key form dkimpy reads and the
// TXT record it looks up.
//
// # Not responsible for
//
// Installing dkimpy: Available and Require only detect it; the machine (CI
// through .ci/run) installs python3-dkim and python3-authres. It is a test
// helper: only _test.go files import it, and it imports the standard
// library only.
//
// # Concurrency
//
// Every call starts its own interpreter and shares nothing, so tests may
// call it from parallel subtests.
//
// # Standards
//
// RFC 6376 (DKIM), RFC 8463 (Ed25519 for DKIM), RFC 8617 (ARC), RFC 8601
// (Authentication-Results, which dkimpy's arc_sign reads through authres).
// The interpreter is always /usr/bin/python3: the python3 first on PATH may
// be another build without Debian's packages.
//
// # Failure behaviour
//
// A verdict is a value, not an error: a signature dkimpy rejects, or a
// message it cannot parse, verifies false. An error means the run itself
// failed (interpreter missing, a Python exception while signing, a reply
// that does not decode); it names the message and carries the Python
// traceback.
package dkimpy
