package engine

import (
	"testing"
	"time"

	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// TestComplaintRateByVMTA: the complaint-rate backoff holds per vMTA as
// per domain: past complaintBackoffMin complaints and 0.3% of the vMTA's
// deliveries this hour; a pool's deliveries count for the pool and for
// its member; names compare without case.
func TestComplaintRateByVMTA(t *testing.T) {
	s := newStats(time.Now())
	deliver := func(n int, rcpt, vmta, member string) {
		m := &spool.Message{VMTA: vmta}
		for range n {
			s.outcome(&outbound.Outcome{Kind: outbound.Delivered, Entry: queue.Entry{Addr: rcpt},
				T: outbound.Target{VMTA: member}}, m, time.Now())
		}
	}
	// v1 (a member of pool p) delivered 2,000 to many domains: 6 complaints
	// are 0.3%, not past it; the 7th is.
	deliver(2000, "a@big.test", "p", "v1")
	for i := range 6 {
		if _, over := s.complaint("", "V1", "small.test"); over {
			t.Fatalf("complaint %d of 2,000 deliveries put v1 past the rate", i+1)
		}
	}
	if _, over := s.complaint("", "v1", "small.test"); !over {
		t.Fatal("7 complaints of 2,000 deliveries did not put v1 past 0.3%")
	}
	// The pool counts the same deliveries.
	for range 6 {
		s.complaint("", "p", "small.test")
	}
	if _, over := s.complaint("", "p", "small.test"); !over {
		t.Fatal("the pool's 7 complaints of 2,000 deliveries are not past 0.3%")
	}
	// A vMTA with few deliveries: the fifth complaint is past the rate, not
	// the fourth (complaintBackoffMin).
	deliver(10, "a@x.test", "v2", "v2")
	for i := range 4 {
		if _, over := s.complaint("", "v2", "x.test"); over {
			t.Fatalf("complaint %d put v2 past the rate", i+1)
		}
	}
	if _, over := s.complaint("", "v2", "x.test"); !over {
		t.Fatal("5 complaints of 10 deliveries are not past the rate")
	}
	// No vMTA named: none is past anything.
	for range 10 {
		if _, over := s.complaint("", "", "x.test"); over {
			t.Fatal("a complaint without a vMTA put one past the rate")
		}
	}
}

func TestLiteralName(t *testing.T) {
	for s, want := range map[string]bool{"v1": true, "isp.test": true, "": false, "*": false, "v?": false,
		"[v]": false, "a/b": false, `v\1`: false} {
		if got := literalName(s); got != want {
			t.Errorf("literalName(%q) = %v", s, got)
		}
	}
}
