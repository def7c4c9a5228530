package dns

import (
	"context"
	"net"
	"slices"
	"time"

	mdns "github.com/miekg/dns"
)

const (
	// ednsSize is the UDP payload size advertised with EDNS0 (RFC 6891):
	// the DNS Flag Day 2020 value, which avoids IP fragmentation.
	ednsSize = 1232

	// maxUDPRead is the read buffer: a server that ignores ednsSize still
	// gets its answer read whole rather than cut and discarded.
	maxUDPRead = 65535
)

// resolve asks every question in qs, following CNAME chains the servers
// leave unfinished, and leaves each question resolved (rrs, rcode, ttl)
// or failed (err).
func (r *Resolver) resolve(ctx context.Context, qs []*question) {
	pending := qs
	for len(pending) > 0 {
		r.exchange(ctx, pending)
		var next []*question
		for _, q := range pending {
			if q.err == nil && q.absorb(q.msg) {
				next = append(next, q)
			}
			q.msg = nil
		}
		pending = next
	}
}

// exchange sends the questions to the servers in order: each server gets
// the questions the previous ones left without a usable answer, all at once
// over one UDP socket (as glibc sends A and AAAA together), and any
// truncated answer is asked again over TCP (RFC 7766 §5). Each question
// ends with msg set, or with err set to the last server's failure.
func (r *Resolver) exchange(ctx context.Context, qs []*question) {
	for _, q := range qs {
		q.msg, q.err = nil, errNoServers
	}
	pending := qs
	for _, srv := range r.servers {
		if err := ended(ctx); err != nil {
			for _, q := range pending {
				q.err = err
			}
			return
		}
		r.exchangeUDP(ctx, srv, pending)
		var failed []*question // a new slice: pending aliases the caller's qs
		for _, q := range pending {
			if q.msg != nil && q.msg.Truncated { // RFC 1035 §4.2.1: TC means retry over TCP
				r.exchangeTCP(ctx, srv, q)
			}
			if q.msg != nil {
				if err := usable(q.msg); err != nil {
					q.msg, q.err = nil, err
				}
			}
			if q.msg == nil {
				q.err = &serverError{srv, q.err}
				failed = append(failed, q)
			}
		}
		r.stats.failures.Add(uint64(len(failed)))
		if pending = failed; len(pending) == 0 {
			return
		}
	}
}

// exchangeUDP sends the questions to srv over one connected UDP socket and
// reads answers until each has one or the attempt times out. Answers are
// matched on ID and question, so a stray or forged datagram is ignored
// rather than believed (RFC 5452 §4.3).
func (r *Resolver) exchangeUDP(parent context.Context, srv string, qs []*question) {
	ctx, cancel := context.WithTimeout(parent, r.timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", srv)
	if err != nil {
		for _, q := range qs {
			q.err = err
		}
		return
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	// A context cancelled before its deadline must still wake the read.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	ids := make([]uint16, len(qs))
	waiting := 0
	for i, q := range qs {
		q.msg, q.err = nil, nil
		m := newQuery(q, ids[:i])
		ids[i] = m.Id
		out, err := m.Pack()
		if err == nil {
			r.stats.queries.Add(1)
			_, err = c.Write(out)
		}
		if q.err = err; err == nil {
			waiting++
		}
	}
	bp := r.readBufs.Get().(*[]byte)
	defer r.readBufs.Put(bp)
	buf := *bp
	for waiting > 0 {
		n, err := c.Read(buf)
		if err != nil {
			if perr := ended(parent); perr != nil {
				err = perr // the caller gave up: say so, not "i/o timeout"
			}
			for _, q := range qs {
				if q.msg == nil && q.err == nil {
					q.err = err
				}
			}
			return
		}
		m := new(mdns.Msg)
		if m.Unpack(buf[:n]) != nil {
			continue // garbage: keep waiting for the real answer
		}
		for i, q := range qs {
			if q.msg == nil && q.err == nil && ids[i] == m.Id && answers(m, q) {
				q.msg = m
				waiting--
				break
			}
		}
	}
}

// exchangeTCP asks q again over TCP, after a truncated UDP answer.
func (r *Resolver) exchangeTCP(parent context.Context, srv string, q *question) {
	ctx, cancel := context.WithTimeout(parent, r.timeout)
	defer cancel()
	r.stats.queries.Add(1)
	r.stats.tcp.Add(1)
	c := mdns.Client{Net: "tcp", Timeout: r.timeout}
	m, _, err := c.ExchangeContext(ctx, newQuery(q, nil), srv)
	perr := ended(parent)
	switch {
	case perr != nil:
		q.msg, q.err = nil, perr
	case err != nil:
		q.msg, q.err = nil, err
	case !answers(m, q):
		q.msg, q.err = nil, errMismatch
	default:
		q.msg = m
	}
}

// ended returns why ctx is over, or nil. A deadline counts from the moment
// it passes, even before the context's timer has fired: a socket deadline
// set from it can expire first, and the timeout must then be blamed on the
// caller, not on the server (and not be cached).
func ended(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// newQuery builds the query for q: recursion desired, EDNS0 with ednsSize,
// and a random ID (crypto/rand, RFC 5452 §9.2) unlike any in used.
func newQuery(q *question, used []uint16) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetQuestion(q.name, q.qtype)
	for slices.Contains(used, m.Id) {
		m.Id = mdns.Id()
	}
	m.SetEdns0(ednsSize, false)
	return m
}

// serverError is a server's failure to answer, naming the server.
type serverError struct {
	server string
	err    error
}

func (e *serverError) Error() string { return e.server + ": " + e.err.Error() }
func (e *serverError) Unwrap() error { return e.err }
