package msgauth

// Inbound checks: SPF, DKIM, DMARC and ARC results for a received message,
// written as an Authentication-Results header (RFC 8601).

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"

	"github.com/volleymta/volley/engine/msgauth/arc"
)

// Resolver is the DNS the checks use (net.Resolver satisfies it; the engine
// points one at the configured name servers).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Envelope is what the SMTP session knew about a message.
type Envelope struct {
	Client   netip.Addr
	HELO     string
	MailFrom string // "" for the null sender
}

// Checks selects the checks to run: a <source>'s check-spf-inbound and
// check-dkim-inbound. DMARC and ARC run with either: DMARC needs what there
// is of the two, and ARC is a DKIM-style signature check.
type Checks struct {
	SPF, DKIM bool
	IPRev     bool // check-iprev-inbound: the client's reverse DNS, confirmed forward
}

// Any reports whether a check is on.
func (c Checks) Any() bool { return c.SPF || c.DKIM || c.IPRev }

// maxSignatures bounds the DKIM signatures verified per message, so a
// message cannot make us do hundreds of DNS lookups and RSA verifications.
const maxSignatures = 8

// Verdict is the outcome of the checks on one message.
type Verdict struct {
	SPF    authres.ResultValue // "" when not checked
	IPRev  authres.ResultValue // "" when not checked
	Client netip.Addr
	DKIM   []DKIMOutcome
	DMARC  authres.ResultValue // "" when not checked
	ARC    arc.Result
	// Author is the From domain DMARC judged; MailFrom and HELO are the
	// envelope names SPF judged.
	Author, MailFrom, HELO string
	checkedARC             bool
}

// DKIMOutcome is one DKIM signature's result.
type DKIMOutcome struct {
	Value  authres.ResultValue
	Domain string // d=
	Reason string
}

// Check runs the selected checks on msg (CRLF line ends) from env.
func Check(ctx context.Context, r Resolver, msg []byte, env Envelope, what Checks) *Verdict {
	v := &Verdict{MailFrom: env.MailFrom, HELO: env.HELO, Author: fieldDomain(Header(msg), "From"), Client: env.Client}
	lookup := func(name string) ([]string, error) { return r.LookupTXT(ctx, name) }
	if what.IPRev && env.Client.IsValid() {
		v.IPRev = checkIPRev(ctx, r, env.Client)
	}
	if what.SPF {
		v.SPF = checkSPF(ctx, r, env)
	}
	if what.DKIM {
		v.DKIM = checkDKIM(msg, lookup)
		v.ARC = arc.Validate(msg, arc.LookupTXT(lookup))
		v.checkedARC = true
	}
	if what.SPF || what.DKIM {
		v.DMARC = checkDMARC(v, lookup)
	}
	return v
}

// maxIPRevNames bounds the PTR names checked forward (RFC 8601 §3's iprev
// leaves the number to the verifier; 10 is what SPF allows for its ptr).
const maxIPRevNames = 10

// checkIPRev is RFC 8601 §3's iprev: the client address's PTR names, one
// of which must resolve back to the address (pass); none does (fail); DNS
// could not tell (temperror).
func checkIPRev(ctx context.Context, r Resolver, ip netip.Addr) authres.ResultValue {
	names, err := r.LookupAddr(ctx, ip.String())
	if err != nil {
		if temporary(err) {
			return authres.ResultTempError
		}
		return authres.ResultFail
	}
	tempErr := false
	for i, name := range names {
		if i == maxIPRevNames {
			break
		}
		addrs, err := r.LookupIPAddr(ctx, name)
		if err != nil {
			tempErr = tempErr || temporary(err)
			continue
		}
		for _, a := range addrs {
			if got, ok := netip.AddrFromSlice(a.IP); ok && got.Unmap() == ip.Unmap() {
				return authres.ResultPass
			}
		}
	}
	if tempErr {
		return authres.ResultTempError
	}
	return authres.ResultFail
}

// temporary says whether a lookup error may go away (a timeout, SERVFAIL),
// as opposed to an answer that the name does not exist.
func temporary(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && !dnsErr.IsNotFound && (dnsErr.IsTemporary || dnsErr.IsTimeout)
}

func checkSPF(ctx context.Context, r Resolver, env Envelope) authres.ResultValue {
	sender := env.MailFrom
	if sender == "" { // RFC 7208 §2.4: the null sender is judged by postmaster@HELO
		sender = "postmaster@" + env.HELO
	}
	res, _ := spf.CheckHostWithSender(net.IP(env.Client.AsSlice()), env.HELO, sender,
		spf.WithResolver(r), spf.WithContext(ctx))
	return authres.ResultValue(res)
}

func checkDKIM(msg []byte, lookup func(string) ([]string, error)) []DKIMOutcome {
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: maxSignatures})
	if err != nil && len(vs) == 0 {
		return []DKIMOutcome{{Value: authres.ResultPermError, Reason: err.Error()}}
	}
	out := make([]DKIMOutcome, 0, len(vs))
	for _, ver := range vs {
		o := DKIMOutcome{Value: authres.ResultPass, Domain: ver.Domain}
		switch {
		case ver.Err == nil:
		case dkim.IsTempFail(ver.Err):
			o.Value, o.Reason = authres.ResultTempError, ver.Err.Error()
		case dkim.IsPermFail(ver.Err):
			o.Value, o.Reason = authres.ResultPermError, ver.Err.Error()
		default:
			o.Value, o.Reason = authres.ResultFail, ver.Err.Error()
		}
		out = append(out, o)
	}
	return out
}

// checkDMARC applies RFC 7489 §3.1 and §6.6: the From domain's policy (or,
// when it has none, its organisational domain's), and a pass when an
// aligned DKIM signature or an aligned SPF pass exists.
func checkDMARC(v *Verdict, lookup func(string) ([]string, error)) authres.ResultValue {
	if v.Author == "" {
		return authres.ResultPermError
	}
	rec, err := lookupPolicy(v.Author, lookup)
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		return authres.ResultNone
	case dmarc.IsTempFail(err):
		return authres.ResultTempError
	case err != nil:
		return authres.ResultPermError
	}
	for _, d := range v.DKIM {
		if d.Value == authres.ResultPass && aligned(d.Domain, v.Author, rec.DKIMAlignment) {
			return authres.ResultPass
		}
	}
	if v.SPF == authres.ResultPass && aligned(domainOf(v.MailFrom, v.HELO), v.Author, rec.SPFAlignment) {
		return authres.ResultPass
	}
	return authres.ResultFail
}

// lookupPolicy is RFC 7489 §6.6.3: the record at _dmarc.DOMAIN, else at
// the organisational domain's, never at the labels in between.
func lookupPolicy(domain string, lookup func(string) ([]string, error)) (*dmarc.Record, error) {
	opts := &dmarc.LookupOptions{LookupTXT: lookup}
	rec, err := dmarc.LookupWithOptions(domain, opts)
	if org := orgDomain(domain); errors.Is(err, dmarc.ErrNoPolicy) && org != strings.ToLower(domain) {
		rec, err = dmarc.LookupWithOptions(org, opts)
	}
	return rec, err
}

// aligned: strict means the same domain; relaxed (the default) the same
// organisational domain.
func aligned(d, author string, mode dmarc.AlignmentMode) bool {
	d, author = strings.ToLower(d), strings.ToLower(author)
	if d == author {
		return true
	}
	if mode == dmarc.AlignmentStrict {
		return false
	}
	return orgDomain(d) == orgDomain(author)
}

// orgDomain is RFC 7489 §3.2's organisational domain: one label below the
// longest public suffix (the Public Suffix List, private entries
// included, as OpenDMARC reads it), so that bank.co.uk and evil.co.uk
// are two organisations, not one "co.uk". A name that is itself a public
// suffix, or has one label, is its own.
func orgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

func domainOf(addr, helo string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return helo
}

// Results are the verdict as Authentication-Results resinfo entries.
func (v *Verdict) Results() []authres.Result {
	var rs []authres.Result
	if v.IPRev != "" {
		rs = append(rs, &authres.IPRevResult{Value: v.IPRev, IP: v.Client.String()})
	}
	if v.SPF != "" {
		rs = append(rs, &authres.SPFResult{Value: v.SPF, From: v.MailFrom, Helo: v.HELO})
	}
	if v.checkedARC || len(v.DKIM) > 0 {
		if len(v.DKIM) == 0 {
			rs = append(rs, &authres.DKIMResult{Value: authres.ResultNone})
		}
		for _, d := range v.DKIM {
			rs = append(rs, &authres.DKIMResult{Value: d.Value, Domain: d.Domain, Reason: d.Reason})
		}
	}
	if v.DMARC != "" {
		rs = append(rs, &authres.DMARCResult{Value: v.DMARC, From: v.Author})
	}
	if v.checkedARC { // go-msgauth's Format writes no method name for its ARCResult
		params := map[string]string{}
		if v.ARC.Status == arc.StatusPass && v.ARC.OldestPass > 0 {
			params["header.oldest-pass"] = strconv.Itoa(v.ARC.OldestPass)
		}
		rs = append(rs, &authres.GenericResult{Method: "arc", Value: authres.ResultValue(v.ARC.Status.String()), Params: params})
	}
	return rs
}

// Header is the Authentication-Results header field for the verdict, as
// authserv-id servID writes it, CRLF-terminated.
func (v *Verdict) Header(servID string) []byte {
	return fold("Authentication-Results: " + authres.Format(servID, v.Results()))
}

// ResInfo is the verdict's resinfo list without the authserv-id and without
// arc= (what an ARC-Authentication-Results carries after "i=N; id;").
func (v *Verdict) ResInfo() string {
	var rs []authres.Result
	for _, r := range v.Results() {
		if g, isARC := r.(*authres.GenericResult); !isARC || g.Method != "arc" {
			rs = append(rs, r)
		}
	}
	s := authres.Format("x", rs)
	return strings.TrimPrefix(s, "x; ")
}

// fold breaks a header field at "; " so no line passes 78 columns where it
// can be helped (RFC 5322 §2.2.3), and ends it with CRLF.
func fold(field string) []byte {
	out := make([]byte, 0, len(field)+16)
	line := 0
	for i, part := range strings.Split(field, "; ") {
		if i > 0 {
			if line+2+len(part) > 78 {
				out = append(out, ";\r\n\t"...)
				line = 1
			} else {
				out = append(out, "; "...)
				line += 2
			}
		}
		out = append(out, part...)
		line += len(part)
	}
	return append(out, "\r\n"...)
}
