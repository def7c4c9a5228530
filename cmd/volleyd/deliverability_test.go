package main

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/api"
)

// acctRecords reads the accounting file at path (nothing yet: none).
func acctRecords(t *testing.T, path string) []acct.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	recs, err := acct.Parse(b)
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return recs
}

// recordOf returns the last record of type ty for rcpt (ok false: none).
func recordOf(recs []acct.Record, ty acct.Type, rcpt string) (acct.Record, bool) {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Type == ty && recs[i].Rcpt == rcpt {
			return recs[i], true
		}
	}
	return acct.Record{}, false
}

// near reports whether a is b to within 1e-9 (a metric's value as printed).
func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestComplaintBackoffByVMTA: complaints about mail of one vMTA, each to a
// different domain (no domain reaches the domain rule's five), pass the
// complaint rate of that vMTA's deliveries: every queue of the vMTA goes to
// backoff, another vMTA's queue does not.
func TestComplaintBackoffByVMTA(t *testing.T) {
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<source 0/0>\n always-allow-relaying yes\n process-x-virtual-mta yes\n</source>\n"+
		"<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.test.example\n</virtual-mta>\n"+
		"<virtual-mta v2>\n smtp-source-host 127.0.0.1 v2.test.example\n</virtual-mta>\n"+
		"<feedback-loop-processor>\n <address-list>\n  address fbl@proc.test\n </address-list>\n</feedback-loop-processor>\n")
	base := apiURL(t, d)
	// Mail that stays queued (deferred: noDelivery) in two queues of v1, one of v2.
	sendMail(t, d, "s@origin.test", []string{"r@a.test", "r@b.test"}, "X-Virtual-MTA: v1\r\n")
	sendMail(t, d, "s@origin.test", []string{"r@c.test"}, "X-Virtual-MTA: v2\r\n")
	var q api.Queue
	waitFor(t, peerTimeout, "the three queues", func() bool {
		var qs []api.Queue
		get(t, base+"/api/v1/queues", &qs)
		return len(qs) == 3
	})
	for i := range 5 {
		report := strings.Replace(arfReport(fmt.Sprintf("c%d@isp%d.test", i, i), "abuse", "j"),
			"X-Job: j\r\n", "X-Job: j\r\nX-Virtual-MTA: v1\r\n", 1)
		if err := sendRaw(d.addr, "", "fbl@proc.test", report); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a.test/v1", "b.test/v1"} {
		waitFor(t, peerTimeout, name+" in backoff", func() bool {
			get(t, base+"/api/v1/queues/"+name, &q)
			return q.Mode == "backoff"
		})
	}
	get(t, base+"/api/v1/queues/c.test/v2", &q)
	if q.Mode != "normal" {
		t.Fatalf("c.test/v2, another vMTA's queue: %+v", q)
	}
	if !strings.Contains(d.logs.String(), "complaint rate of virtual MTA v1 past 0.3% of its deliveries this hour: 2 queues") {
		t.Fatalf("no log line for the vMTA's complaint backoff:\n%s", d.logs)
	}
	var comp api.Complaints
	get(t, base+"/api/v1/complaints", &comp)
	if comp.ByVMTA["v1"] != 5 {
		t.Fatalf("complaints: %+v", comp)
	}
	if metricValue(t, base, `volley_queue_mode{mode="backoff",queue="a.test/v1"}`) != 1 {
		waitFor(t, peerTimeout, "a.test/v1's backoff in /metrics", func() bool {
			return metricValue(t, base, `volley_queue_mode{mode="backoff",queue="a.test/v1"}`) == 1
		})
	}
}
