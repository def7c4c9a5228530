package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
)

// TestBackoffFromReplies: a receiver that starts answering Yahoo's
// "421 4.7.0 [TSS04]" puts the queue in backoff mode within that one
// attempt (Volley's built-in pattern list, no smtp-pattern-list in the
// config), delivery goes on at backoff-max-msg-rate, and the queue returns
// to normal after backoff-to-normal-after. The accounting records say in
// which mode each attempt was made (queueMode): the attempt that got the
// 421 in normal mode, the next one in backoff.
func TestBackoffFromReplies(t *testing.T) {
	// The sink takes 3 messages, then defers every later RCPT.
	rule, err := loadgen.ParseRule("rcpt:after:3=421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints")
	if err != nil {
		t.Fatal(err)
	}
	sink := loadgen.NewSink(loadgen.SinkOptions{Replies: []loadgen.Rule{rule}})
	host, port := serveSink(t, sink)
	acctPath := t.TempDir() + "/acct.csv"
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<acct-file "+acctPath+">\n records d,t\n</acct-file>\n"+
		"<domain yahoo.test>\n smtp-hosts ["+host+"]:"+port+"\n retry-after 1h\n backoff-retry-after 1h\n"+
		" backoff-to-normal-after 3s\n</domain>\n")
	base := apiURL(t, d)
	for i := range 4 {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@yahoo.test", i)}, "")
	}
	var q api.Queue
	waitFor(t, peerTimeout, "backoff mode after the 421", func() bool {
		get(t, base+"/api/v1/queues/yahoo.test/_", &q)
		return q.Mode == "backoff"
	})
	if q.Recipients != 1 || !strings.Contains(q.LastError, "[TSS04]") {
		t.Fatalf("queue in backoff: %+v", q)
	}
	if !strings.Contains(d.logs.String(), "yahoo.test/: backoff mode (421 4.7.0 [TSS04]") {
		t.Fatalf("the mode change is not logged:\n%s", d.logs)
	}
	if v := metricValue(t, base, `volley_queue_mode{mode="backoff",queue="yahoo.test/"}`); v != 1 {
		waitFor(t, 3*time.Second, "the backoff mode in /metrics", func() bool {
			return metricValue(t, base, `volley_queue_mode{mode="backoff",queue="yahoo.test/"}`) == 1
		})
	}
	// One more recipient, attempted (and deferred again) in backoff mode.
	sendMail(t, d, "s@origin.test", []string{"r4@yahoo.test"}, "")
	waitFor(t, peerTimeout, "three d and two t records", func() bool {
		recs := acctRecords(t, acctPath)
		_, ok := recordOf(recs, acct.Transient, "r4@yahoo.test")
		return len(recs) == 5 && ok
	})
	start := time.Now()
	modes := map[string]int{}
	for _, r := range acctRecords(t, acctPath) {
		modes[r.Type.String()+" "+r.QueueMode]++
		if r.DlvWarmup != 0 {
			t.Errorf("%s record of %s: dlvWarmup %v without a warm-up", r.Type, r.Rcpt, r.DlvWarmup)
		}
	}
	if r, _ := recordOf(acctRecords(t, acctPath), acct.Transient, "r4@yahoo.test"); r.QueueMode != "backoff" ||
		modes["d normal"] != 3 || modes["t normal"] != 1 || modes["t backoff"] != 1 {
		t.Fatalf("records by type and queueMode: %v", modes)
	}
	waitFor(t, 10*time.Second, "normal mode after backoff-to-normal-after", func() bool {
		get(t, base+"/api/v1/queues/yahoo.test/_", &q)
		return q.Mode == "normal"
	})
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("back to normal after %v, want about 3 s", waited)
	}
}

// TestBackoffRate: in backoff mode the queue delivers at
// backoff-max-msg-rate, in normal mode at max-msg-rate (unlimited here).
func TestBackoffRate(t *testing.T) {
	sink := loadgen.NewSink(loadgen.SinkOptions{})
	host, port := serveSink(t, sink)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<domain slow.test>\n smtp-hosts ["+host+"]:"+port+"\n backoff-max-msg-rate 5/s\n</domain>\n")
	base := apiURL(t, d)
	post(t, "POST", base+"/api/v1/queues/slow.test/_/pause", nil, nil, 200)
	post(t, "POST", base+"/api/v1/queues/slow.test/_/mode", api.ModeRequest{Mode: "backoff"}, nil, 200)
	const n = 15
	for i := range n {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@slow.test", i)}, "")
	}
	took := releaseTimed(t, base, []string{"slow.test/_"}, sink, n, 15*time.Second)
	// 5/s with a burst of at most 5: 15 take at least 2 s.
	if took < 1800*time.Millisecond {
		t.Fatalf("%d messages in backoff mode at 5/s took %v", n, took)
	}
}

// TestPatternActions runs a config's own smtp-pattern-list: bounce-rcpt
// turns a 4xx into a bounce (b record), disable-source-ip takes the vMTA's
// source address out of use for the queue, for reenable-after.
func TestPatternActions(t *testing.T) {
	r1, err := loadgen.ParseRule("rcpt:/^gone/=451 4.7.99 account disabled")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := loadgen.ParseRule("rcpt:/^stop/=451 4.7.98 stop sending from this address")
	if err != nil {
		t.Fatal(err)
	}
	sink := loadgen.NewSink(loadgen.SinkOptions{Replies: []loadgen.Rule{r1, r2}})
	host, port := serveSink(t, sink)
	acctPath := t.TempDir() + "/acct.csv"
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records b,t\n</acct-file>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n</source>\n"+
		"<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.test.example\n</virtual-mta>\n"+
		"<smtp-pattern-list strict>\n reply /4\\.7\\.99 account disabled/ bounce-rcpt\n"+
		" reply /4\\.7\\.98 stop/ disable-source-ip,reenable-after=1h\n</smtp-pattern-list>\n"+
		"<domain acts.test>\n smtp-hosts ["+host+"]:"+port+"\n smtp-pattern-list strict\n</domain>\n")
	base := apiURL(t, d)
	sendMail(t, d, "s@origin.test", []string{"gone@acts.test"}, "X-Virtual-MTA: v1\r\n")
	waitFor(t, peerTimeout, "the bounce of a 451 matched by bounce-rcpt", func() bool {
		b, _ := readFileString(acctPath)
		return strings.Contains(b, "gone@acts.test") && strings.Contains(b, "4.7.99")
	})
	if b, _ := readFileString(acctPath); !strings.HasPrefix(lineWith(b, "gone@acts.test"), "b,") {
		t.Fatalf("gone@acts.test: want a b record:\n%s", b)
	}
	sendMail(t, d, "s@origin.test", []string{"stop@acts.test"}, "X-Virtual-MTA: v1\r\n")
	var ds []api.DisabledSource
	waitFor(t, peerTimeout, "the source disabled", func() bool {
		get(t, base+"/api/v1/sources/disabled", &ds)
		return len(ds) == 1
	})
	if ds[0].IP != "127.0.0.1" || ds[0].Queue != "acts.test/v1" {
		t.Fatalf("disabled: %+v", ds)
	}
	if v := metricValue(t, base, "volley_source_ip_disabled"); v != 1 {
		t.Fatalf("volley_source_ip_disabled %v, want 1", v)
	}
	// With its only source disabled the queue sends nothing more.
	before := sink.Counters().Connections
	sendMail(t, d, "s@origin.test", []string{"later@acts.test"}, "X-Virtual-MTA: v1\r\n")
	time.Sleep(500 * time.Millisecond)
	if c := sink.Counters().Connections; c != before {
		t.Fatalf("%d new connections from a disabled source", c-before)
	}
	post(t, "POST", base+"/api/v1/sources/127.0.0.1/enable", nil, nil, 200)
	waitFor(t, peerTimeout, "delivery once the source is enabled", func() bool { return sink.Counters().Messages >= 1 })
	if v := metricValue(t, base, "volley_source_ip_disabled"); v != 0 {
		t.Fatalf("volley_source_ip_disabled %v after enable, want 0", v)
	}
}

func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// lineWith returns the first line of text containing s.
func lineWith(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
