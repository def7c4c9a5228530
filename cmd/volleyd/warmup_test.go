package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
)

// TestWarmup: a source address new to a domain with `warmup 7d` sends at
// day 0's share of max-msg-rate (1.1^-7 = 51%: 20/s becomes 10/s), the API
// shows its ramp, its d records carry the share (dlvWarmup 0.51), the
// volley_warmup_* gauges show it, and its first use is kept beside the
// spool for the next start.
func TestWarmup(t *testing.T) {
	sink := loadgen.NewSink(loadgen.SinkOptions{})
	host, port := serveSink(t, sink)
	acctPath := filepath.Join(t.TempDir(), "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records d\n</acct-file>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n</source>\n"+
		"<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.test.example\n</virtual-mta>\n"+
		"<domain warm.test>\n smtp-hosts ["+host+"]:"+port+"\n max-msg-rate 20/s\n warmup 7d\n</domain>\n")
	base := apiURL(t, d)
	post(t, "POST", base+"/api/v1/queues/warm.test/v1/pause", nil, nil, 200)
	const n = 40
	for i := range n {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@warm.test", i)}, "X-Virtual-MTA: v1\r\n")
	}
	took := releaseTimed(t, base, []string{"warm.test/v1"}, sink, n, 20*time.Second)
	// 10/s with a burst of at most 10: 40 take at least 3 s (20/s would take 1.5 s).
	if took < 2700*time.Millisecond {
		t.Fatalf("%d messages from a warming source took %v, want >= 3 s at 10/s", n, took)
	}
	var ws []api.Warmup
	get(t, base+"/api/v1/warmup", &ws)
	if len(ws) != 1 || ws[0].Source != "127.0.0.1" || ws[0].Domain != "warm.test" || ws[0].Day != 0 || ws[0].Rate != "10/s" || ws[0].Done {
		t.Fatalf("warm-up state: %+v", ws)
	}
	if v := metricValue(t, base, "volley_warmup_sources"); v != 1 {
		t.Errorf("volley_warmup_sources %v, want 1", v)
	}
	if v := metricValue(t, base, `volley_warmup_fraction{source="127.0.0.1"}`); !near(v, math.Pow(1.1, -7)) {
		t.Errorf("volley_warmup_fraction of 127.0.0.1: %v, want 1.1^-7", v)
	}
	waitFor(t, peerTimeout, "the d records", func() bool { return len(acctRecords(t, acctPath)) == n })
	for _, r := range acctRecords(t, acctPath) {
		if r.Type != acct.Delivered || r.DlvWarmup != 0.51 || r.QueueMode != "normal" || r.DlvSourceIP.String() != "127.0.0.1" {
			t.Fatalf("%s record of %s: dlvWarmup %v, queueMode %q, source %v; want 0.51, normal, 127.0.0.1",
				r.Type, r.Rcpt, r.DlvWarmup, r.QueueMode, r.DlvSourceIP)
		}
	}
	waitFor(t, peerTimeout, "the warm-up state on disk", func() bool {
		b, _ := os.ReadFile(filepath.Clean(d.spool) + ".warmup")
		return strings.Contains(string(b), `"source": "127.0.0.1"`) && strings.Contains(string(b), `"domain": "warm.test"`)
	})
}

// TestStartupRamp: after a start, a queue's connections grow with the
// time since the start (startup-ramp 6s: max-smtp-out 10 is reached after
// 6 s), against a receiver that takes a second per message.
func TestStartupRamp(t *testing.T) {
	sink := loadgen.NewSink(loadgen.SinkOptions{Delay: time.Second})
	host, port := serveSink(t, sink)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\nstartup-ramp 6s\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<domain ramp.test>\n smtp-hosts ["+host+"]:"+port+"\n max-smtp-out 10\n</domain>\n")
	base := apiURL(t, d)
	for i := range 60 {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@ramp.test", i)}, "")
	}
	conns := func() int {
		var q api.Queue
		get(t, base+"/api/v1/queues/ramp.test/_", &q)
		return q.Connections
	}
	if c := conns(); c > 4 {
		t.Fatalf("%d connections within the first second of a 6 s ramp", c)
	}
	waitFor(t, 10*time.Second, "the ramp to reach 8 connections", func() bool { return conns() >= 8 })
}

// TestSourceRates: a vMTA's max-smtp-msg-rate holds over all its domains
// and both shards, and the API shows it with each injecting client's use
// of its own max-msg-rate.
func TestSourceRates(t *testing.T) {
	sink := loadgen.NewSink(loadgen.SinkOptions{})
	host, port := serveSink(t, sink)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n max-msg-rate 600/min\n</source>\n"+
		"<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.test.example\n max-smtp-msg-rate 10/s\n</virtual-mta>\n"+
		"<domain *.rate.test>\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	base := apiURL(t, d)
	const n = 40
	for _, dom := range []string{"a", "b", "c", "d"} {
		post(t, "POST", base+"/api/v1/queues/"+dom+".rate.test/v1/pause", nil, nil, 200)
	}
	for i := range n {
		dom := []string{"a", "b", "c", "d"}[i%4]
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@%s.rate.test", i, dom)}, "X-Virtual-MTA: v1\r\n")
	}
	var cs []api.Client
	get(t, base+"/api/v1/clients", &cs)
	if len(cs) != 1 || cs[0].IP != "127.0.0.1" || cs[0].MaxMsgRate != "600/m" || cs[0].AheadSeconds <= 0 {
		t.Fatalf("clients: %+v", cs)
	}
	took := releaseTimed(t, base, []string{"a.rate.test/v1", "b.rate.test/v1", "c.rate.test/v1", "d.rate.test/v1"}, sink, n, 20*time.Second)
	// 10/s over four queues on two shards, burst 10: 40 take at least 3 s.
	if took < 2700*time.Millisecond {
		t.Fatalf("%d messages under the vMTA's 10/s took %v", n, took)
	}
	var v api.VMTA
	get(t, base+"/api/v1/vmtas/v1", &v)
	if v.MaxSMTPMsgRate != "10/s" {
		t.Fatalf("vmta: %+v", v)
	}
}

// TestColdVirtualMTA: a vMTA with a cold-virtual-mta sends each domain's
// first max-cold-virtual-mta-msg recipients of the day through the cold
// vMTA (its own queue and source address), the rest from its own.
func TestColdVirtualMTA(t *testing.T) {
	sink := loadgen.NewSink(loadgen.SinkOptions{})
	host, port := serveSink(t, sink)
	acctPath := filepath.Join(t.TempDir(), "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records d\n</acct-file>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n</source>\n"+
		"<virtual-mta warm1>\n smtp-source-host 127.0.0.1 warm.test.example\n cold-virtual-mta cold1\n"+
		" <domain cold.test>\n  max-cold-virtual-mta-msg 3/d\n </domain>\n</virtual-mta>\n"+
		"<virtual-mta cold1>\n smtp-source-host 127.0.0.2 cold.test.example\n</virtual-mta>\n"+
		"<domain cold.test>\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	base := apiURL(t, d)
	for i := range 5 {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@cold.test", i)}, "X-Virtual-MTA: warm1\r\n")
	}
	waitFor(t, 10*time.Second, "five d records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), "\nd,") == 5
	})
	if v := metricValue(t, base, "volley_cold_vmta_recipients_total"); v != 3 {
		t.Errorf("volley_cold_vmta_recipients_total %v, want 3", v)
	}
	b, _ := os.ReadFile(acctPath)
	cold, warm := 0, 0
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "d,") && strings.Contains(l, ",127.0.0.2,") && strings.Contains(l, ",cold1,"):
			cold++
		case strings.HasPrefix(l, "d,") && strings.Contains(l, ",127.0.0.1,") && strings.Contains(l, ",warm1,"):
			warm++
		}
	}
	if cold != 3 || warm != 2 {
		t.Fatalf("%d through cold1, %d through warm1; want 3 and 2:\n%s", cold, warm, b)
	}
}
