package engine

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// TestOutcomeRecordVolleyColumns: the queue's mode and the warm-up share
// of an outcome reach queueMode and dlvWarmup; an outcome no queue
// decided has neither.
func TestOutcomeRecordVolleyColumns(t *testing.T) {
	now := time.Now()
	m := &spool.Message{From: "s@origin.test", Received: now.Add(-time.Minute), Origin: "smtp 127.0.0.1",
		Recipients: []spool.Recipient{{Addr: "r@x.test"}}}
	src := netip.MustParseAddr("127.0.0.1")
	o := outbound.Outcome{Entry: queue.Entry{Addr: "r@x.test"}, Kind: outbound.Delivered, Reply: "250 2.0.0 ok",
		T: outbound.Target{Source: src}, Mode: queue.ModeBackoff, Warmup: 0.5131}
	r := outcomeRecord(&o, m, "", now)
	if r.Type != acct.Delivered || r.QueueMode != "backoff" || r.DlvWarmup != 0.5131 {
		t.Errorf("d record: %q %v", r.QueueMode, r.DlvWarmup)
	}
	o = outbound.Outcome{Entry: queue.Entry{Addr: "r@x.test"}, Kind: outbound.Bounced, Reply: "550 5.7.1 suppressed",
		Category: "suppressed"} // at injection: no queue
	if r := outcomeRecord(&o, m, "suppressed", now); r.Type != acct.Bounced || r.QueueMode != "" || r.DlvWarmup != 0 {
		t.Errorf("b record at injection: %q %v", r.QueueMode, r.DlvWarmup)
	}
	f := outbound.QueueFailure{Key: queue.Key{Domain: "x.test", VMTA: "v1"}, T: outbound.Target{Source: src},
		Err: errors.New("connection refused"), Mode: queue.ModeNormal, Warmup: 0.62}
	if r := queueFailedRecord(&f, now); r.Type != acct.TransientQueue || r.QueueMode != "normal" || r.DlvWarmup != 0.62 ||
		r.Queue != "x.test/v1" || r.DSNDiag != "X-Volley;connection refused" {
		t.Errorf("tq record: %+v", r)
	}
}

// TestOutcomeRecordAllocs: filling the new columns adds no allocation to
// building a d record (the mode names are constants).
func TestOutcomeRecordAllocs(t *testing.T) {
	now := time.Now()
	m := &spool.Message{From: "s@origin.test", Received: now, Origin: "smtp 127.0.0.1",
		Recipients: []spool.Recipient{{Addr: "r@x.test"}}}
	base := outbound.Outcome{Entry: queue.Entry{Addr: "r@x.test"}, Kind: outbound.Delivered, Reply: "250 2.0.0 ok"}
	with := base
	with.Mode, with.Warmup = queue.ModeBackoff, 0.51
	a := testing.AllocsPerRun(100, func() { _ = outcomeRecord(&base, m, "", now) })
	b := testing.AllocsPerRun(100, func() { _ = outcomeRecord(&with, m, "", now) })
	if b != a {
		t.Errorf("a record with queueMode and dlvWarmup allocates %v times, without %v", b, a)
	}
}
