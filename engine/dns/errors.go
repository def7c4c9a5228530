package dns

import (
	"errors"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

// The kinds of failed lookup. Every error the Resolver returns is an *Error
// whose Kind is one of these, so callers classify with errors.Is alone.
var (
	// ErrNoSuchDomain means the name does not exist (NXDOMAIN, RFC 1035
	// §4.1.1 RCODE 3) or cannot be a domain name at all. It is permanent:
	// the delivery layer bounces.
	ErrNoSuchDomain = errors.New("dns: no such domain")

	// ErrNoAddress means the domain exists but no host of its route has an
	// address: every MX host (or, with no MX, the domain itself) answered
	// with NXDOMAIN or with no A and no AAAA records. The servers were
	// definite, so it is not temporary; whether it bounces at once or waits
	// for bounce-after is the caller's policy (PowerMTA's bounce-upon-no-mx).
	ErrNoAddress = errors.New("dns: no address")

	// ErrTemporary means no server gave a usable answer: SERVFAIL, REFUSED,
	// a timeout, a network error, a CNAME chain too long, or the caller's
	// context ending. The delivery layer defers.
	ErrTemporary = errors.New("dns: temporary failure")
)

// Error is a failed lookup. Cached failures are returned as the same
// *Error value to every caller, so it must not be modified.
type Error struct {
	Name string // the name looked up, in canonical form where it had one
	Kind error  // ErrNoSuchDomain, ErrNoAddress or ErrTemporary
	Err  error  // the cause, if any: a network error, a server's rcode, a host's *Error
}

// Error reports the name, the kind and the cause.
func (e *Error) Error() string {
	s := "dns: " + e.Name + ": " + strings.TrimPrefix(e.Kind.Error(), "dns: ")
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap gives errors.Is both the kind and the cause, so a caller can ask
// for ErrTemporary and for context.Canceled alike.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Causes that the package itself detects.
var (
	errBadName    = errors.New("not a valid domain name (IDNA names must be given in A-label form)")
	errCNAMEChain = errors.New("CNAME chain too long or looping")
	errLame       = errors.New("lame referral: the server neither answered nor recursed")
	errMismatch   = errors.New("answer does not match the question")
	errNoServers  = errors.New("no name servers")
)

// rcodeError is a response code that makes a server's answer unusable
// (SERVFAIL, REFUSED, NOTIMP, ...).
type rcodeError int

func (c rcodeError) Error() string {
	if s, ok := mdns.RcodeToString[int(c)]; ok {
		return s
	}
	return "rcode " + strconv.Itoa(int(c))
}
