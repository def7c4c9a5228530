package dns

import (
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// How long outcomes are cached.
const (
	// maxTTL caps positive answers, as resolvers cap theirs (unbound's
	// cache-max-ttl is a day), so a typo'd TTL cannot pin a route for years.
	maxTTL = 24 * time.Hour

	// minNegativeTTL and maxNegativeTTL bound negative answers (NXDOMAIN,
	// NODATA), whose TTL is the SOA's (RFC 2308 §5). The floor keeps a
	// zone with a zero minimum (or no SOA in the answer) from being asked
	// for every message; the ceiling lets a domain that is being set up
	// start receiving within minutes.
	minNegativeTTL = 5 * time.Second
	maxNegativeTTL = 5 * time.Minute

	// failureTTL is how long a failure (SERVFAIL, timeout) is remembered,
	// so a broken domain does not storm the servers (RFC 2308 §7.1 allows
	// caching server failures for up to five minutes; a short time keeps
	// recovery quick).
	failureTTL = 5 * time.Second

	// maxCNAMEHops bounds CNAME chains, loops included.
	maxCNAMEHops = 8
)

// question is one record set wanted (name, type) and, once resolved, what
// the servers said. It follows CNAMEs: name moves along the chain.
type question struct {
	name  string // FQDN to ask next, lower case
	qtype uint16

	msg *mdns.Msg // the usable answer to the latest exchange; nil when err is set
	err error     // why no server gave a usable answer

	rrs   []mdns.RR // the records of qtype at the end of the chain
	rcode int       // RcodeSuccess or RcodeNameError of the final answer
	ttl   uint32    // minimum TTL over the CNAMEs followed and rrs; the negative TTL if no rrs
	hops  int       // CNAMEs followed
}

func newQuestion(name string, qtype uint16) *question {
	return &question{name: fqdn(name), qtype: qtype, ttl: uint32(maxTTL / time.Second)}
}

// absorb reads an answer to q. It follows the CNAME chain from q.name
// through the answer section (RFC 1034 §3.6.2; a recursive server puts the
// whole chain there) and keeps the records of q.qtype at its end. It
// reports chase when the chain leaves the answer unfinished with no sign
// that the server followed it (NOERROR and no SOA: servers such as unbound
// serving local data return the CNAME alone), and q should be asked again
// for the chain's target.
func (q *question) absorb(m *mdns.Msg) (chase bool) {
	start := q.name
	for {
		target, cnameTTL := q.scan(m)
		if len(q.rrs) > 0 {
			q.rcode = mdns.RcodeSuccess
			return false
		}
		if target == "" {
			break
		}
		if q.hops++; q.hops > maxCNAMEHops {
			q.err = errCNAMEChain
			return false
		}
		q.ttl = min(q.ttl, cnameTTL)
		q.name = strings.ToLower(mdns.Fqdn(target))
	}
	soa := findSOA(m)
	if q.name != start && m.Rcode == mdns.RcodeSuccess && soa == nil {
		return true
	}
	// RFC 6604 §3: after a CNAME, the rcode is about the last name.
	q.rcode = m.Rcode
	if soa != nil {
		q.ttl = min(q.ttl, soa.Hdr.Ttl, soa.Minttl) // RFC 2308 §5
	} else {
		q.ttl = 0 // RFC 2308 §5: no SOA, no caching (the floor still applies)
	}
	return false
}

// scan collects the answer's records of q.qtype owned by q.name into q.rrs,
// or finds the CNAME that q.name points to.
func (q *question) scan(m *mdns.Msg) (target string, ttl uint32) {
	for _, rr := range m.Answer {
		h := rr.Header()
		if h.Class != mdns.ClassINET || !strings.EqualFold(h.Name, q.name) {
			continue
		}
		switch {
		case h.Rrtype == q.qtype:
			q.rrs = append(q.rrs, rr)
			q.ttl = min(q.ttl, h.Ttl)
		case h.Rrtype == mdns.TypeCNAME && target == "":
			target, ttl = rr.(*mdns.CNAME).Target, h.Ttl
		}
	}
	return target, ttl
}

func findSOA(m *mdns.Msg) *mdns.SOA {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*mdns.SOA); ok {
			return soa
		}
	}
	return nil
}

// usable says whether a server's answer can be used, or why not; an
// unusable answer sends the question to the next server.
func usable(m *mdns.Msg) error {
	switch m.Rcode {
	case mdns.RcodeSuccess:
		// A referral instead of an answer: the server is not recursive
		// (the check Go's net package makes, errLameReferral).
		if len(m.Answer) == 0 && !m.Authoritative && !m.RecursionAvailable && findSOA(m) == nil {
			return errLame
		}
		return nil
	case mdns.RcodeNameError:
		return nil
	}
	return rcodeError(m.Rcode)
}

// answers reports whether m is a response to q's current question.
func answers(m *mdns.Msg, q *question) bool {
	if !m.Response || len(m.Question) != 1 {
		return false
	}
	mq := m.Question[0]
	return mq.Qtype == q.qtype && mq.Qclass == mdns.ClassINET && strings.EqualFold(mq.Name, q.name)
}

// positive is how long a positive answer with this TTL is cached.
func positive(ttl uint32) time.Duration {
	if ttl > 1<<31-1 {
		ttl = 0 // RFC 2181 §8
	}
	return min(time.Duration(ttl)*time.Second, maxTTL)
}

// negative is how long a negative answer with this TTL is cached.
func negative(ttl uint32) time.Duration {
	if ttl > 1<<31-1 {
		ttl = 0 // RFC 2181 §8
	}
	return min(max(time.Duration(ttl)*time.Second, minNegativeTTL), maxNegativeTTL)
}
