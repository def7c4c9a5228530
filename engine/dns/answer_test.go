package dns

import (
	"errors"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// TestAbsorb reads hand-built answers: CNAME chains, complete or not,
// negative answers and their TTLs.
func TestAbsorb(t *testing.T) {
	soa := "z.test. 600 IN SOA ns.z.test. a.z.test. 1 60 60 60 120"
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string
		ns     []string

		chase     bool
		wantName  string // q.name afterwards
		wantRRs   int
		wantRcode int
		wantTTL   uint32
		wantErr   error
	}{
		{name: "direct", qname: "a.z.test.", qtype: mdns.TypeA,
			answer:   []string{"a.z.test. 50 IN A 192.0.2.1", "A.Z.TEST. 40 IN A 192.0.2.2", "other.z.test. 1 IN A 192.0.2.3"},
			wantName: "a.z.test.", wantRRs: 2, wantTTL: 40},
		{name: "chain followed by the server", qname: "a.z.test.", qtype: mdns.TypeA,
			answer:   []string{"b.z.test. 90 IN A 192.0.2.1", "a.z.test. 30 IN CNAME B.z.test.", "b.z.test. 90 IN A 192.0.2.2"},
			wantName: "b.z.test.", wantRRs: 2, wantTTL: 30},
		{name: "chain left unfinished", qname: "a.z.test.", qtype: mdns.TypeMX,
			answer: []string{"a.z.test. 30 IN CNAME b.z.test."},
			chase:  true, wantName: "b.z.test."},
		{name: "chain to NODATA", qname: "a.z.test.", qtype: mdns.TypeMX,
			answer: []string{"a.z.test. 300 IN CNAME b.z.test."}, ns: []string{soa},
			wantName: "b.z.test.", wantTTL: 120},
		{name: "chain to NXDOMAIN", qname: "a.z.test.", qtype: mdns.TypeMX, rcode: mdns.RcodeNameError,
			answer: []string{"a.z.test. 30 IN CNAME b.z.test."}, ns: []string{soa},
			wantName: "b.z.test.", wantRcode: mdns.RcodeNameError, wantTTL: 30},
		{name: "NXDOMAIN without SOA", qname: "a.z.test.", qtype: mdns.TypeA, rcode: mdns.RcodeNameError,
			wantName: "a.z.test.", wantRcode: mdns.RcodeNameError, wantTTL: 0},
		{name: "CNAME loop", qname: "a.z.test.", qtype: mdns.TypeA,
			answer:  []string{"a.z.test. 30 IN CNAME b.z.test.", "b.z.test. 30 IN CNAME a.z.test."},
			wantErr: errCNAMEChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := new(mdns.Msg)
			m.SetQuestion(tc.qname, tc.qtype)
			m.Response, m.Rcode = true, tc.rcode
			for _, s := range tc.answer {
				m.Answer = append(m.Answer, rr(t, s))
			}
			for _, s := range tc.ns {
				m.Ns = append(m.Ns, rr(t, s))
			}
			q := &question{name: tc.qname, qtype: tc.qtype, ttl: uint32(maxTTL / time.Second)}
			chase := q.absorb(m)
			if tc.wantErr != nil {
				if !errors.Is(q.err, tc.wantErr) {
					t.Fatalf("err %v, want %v", q.err, tc.wantErr)
				}
				return
			}
			if chase != tc.chase || q.name != tc.wantName || len(q.rrs) != tc.wantRRs || q.err != nil {
				t.Fatalf("chase %v name %q rrs %d err %v; want %v %q %d", chase, q.name, len(q.rrs), q.err, tc.chase, tc.wantName, tc.wantRRs)
			}
			if !chase && (q.rcode != tc.wantRcode || q.ttl != tc.wantTTL) {
				t.Errorf("rcode %d ttl %d, want %d %d", q.rcode, q.ttl, tc.wantRcode, tc.wantTTL)
			}
		})
	}
}

// TestUsable sorts answers into usable ones and those that send the
// question to the next server.
func TestUsable(t *testing.T) {
	msg := func(rcode int, aa, ra bool, ns ...string) *mdns.Msg {
		m := new(mdns.Msg)
		m.Rcode, m.Authoritative, m.RecursionAvailable = rcode, aa, ra
		for _, s := range ns {
			m.Ns = append(m.Ns, rr(t, s))
		}
		return m
	}
	tests := []struct {
		name string
		m    *mdns.Msg
		want error
	}{
		{"NOERROR from a recursive server", msg(mdns.RcodeSuccess, false, true), nil},
		{"NODATA with SOA", msg(mdns.RcodeSuccess, false, false, "z.test. 60 IN SOA ns.z.test. a.z.test. 1 60 60 60 60"), nil},
		{"NXDOMAIN", msg(mdns.RcodeNameError, false, true), nil},
		{"referral", msg(mdns.RcodeSuccess, false, false, "z.test. 60 IN NS ns.z.test."), errLame},
		{"SERVFAIL", msg(mdns.RcodeServerFailure, false, true), rcodeError(mdns.RcodeServerFailure)},
		{"REFUSED", msg(mdns.RcodeRefused, false, true), rcodeError(mdns.RcodeRefused)},
	}
	for _, tc := range tests {
		if got := usable(tc.m); got != tc.want {
			t.Errorf("%s: usable = %v, want %v", tc.name, got, tc.want)
		}
	}
	if s := rcodeError(mdns.RcodeServerFailure).Error(); s != "SERVFAIL" {
		t.Errorf("rcodeError text %q", s)
	}
}

// TestTTLBounds checks the caching bounds.
func TestTTLBounds(t *testing.T) {
	tests := []struct {
		ttl           uint32
		pos, negative time.Duration
	}{
		{0, 0, minNegativeTTL},
		{30, 30 * time.Second, 30 * time.Second},
		{86400, 24 * time.Hour, maxNegativeTTL},
		{1 << 30, maxTTL, maxNegativeTTL},
		{1 << 31, 0, minNegativeTTL}, // RFC 2181 §8: the top bit set means zero
	}
	for _, tc := range tests {
		if p, n := positive(tc.ttl), negative(tc.ttl); p != tc.pos || n != tc.negative {
			t.Errorf("TTL %d: positive %v negative %v, want %v %v", tc.ttl, p, n, tc.pos, tc.negative)
		}
	}
}
