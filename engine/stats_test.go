package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// TestStatsJobsAndRates counts jobs through their recipients' outcomes,
// keeps the job table bounded, and turns minutes into rate points.
func TestStatsJobsAndRates(t *testing.T) {
	s := newStats(time.Now())
	m := &spool.Message{Job: "j", Recipients: make([]spool.Recipient, 3)}
	s.received(m)
	s.outcome(&outbound.Outcome{Kind: outbound.Delivered}, m, time.Now())
	s.outcome(&outbound.Outcome{Kind: outbound.Deferred, Reply: "451 later", Entry: outboundEntry("a@x.test")}, m, time.Now())
	s.outcome(&outbound.Outcome{Kind: outbound.Bounced, Reply: "550 no", Entry: outboundEntry("b@x.test")}, m, time.Now())
	jobs := s.jobList(func(string) bool { return false })
	if len(jobs) != 1 || jobs[0].Received != 3 || jobs[0].Delivered != 1 || jobs[0].Bounced != 1 || jobs[0].Deferrals != 1 || jobs[0].Queued != 1 {
		t.Fatalf("job counts: %+v", jobs)
	}
	ev := s.recentEvents()
	if len(ev) != 2 || ev[0].Kind != "bounced" || ev[0].Queue != "x.test/" {
		t.Fatalf("events, newest first: %+v", ev)
	}
	// Finished jobs go first once the table is full; one with mail queued stays.
	for i := range maxJobs + 10 {
		one := &spool.Message{Job: fmt.Sprint("done", i), Recipients: make([]spool.Recipient, 1)}
		s.received(one)
		s.outcome(&outbound.Outcome{Kind: outbound.Delivered}, one, time.Now())
	}
	if n := len(s.jobs); n > maxJobs {
		t.Fatalf("%d jobs kept, want at most %d", n, maxJobs)
	}
	if s.jobs["j"] == nil {
		t.Fatal("the job with a recipient queued was forgotten")
	}
	s.tickMinute(time.Now())
	s.received(&spool.Message{Recipients: make([]spool.Recipient, 2)})
	r := s.lastHour(time.Now())
	if len(r) != 2 || r[0].Received != 3+maxJobs+10 || r[1].Received != 2 {
		t.Fatalf("rates: %+v", r)
	}
	s.reset(time.Now())
	if tr := s.traffic(); tr.RecipientsReceived != 0 || tr.Delivered != 0 {
		t.Fatalf("after reset: %+v", tr)
	}
}

func outboundEntry(addr string) queue.Entry { return queue.Entry{Addr: addr} }
