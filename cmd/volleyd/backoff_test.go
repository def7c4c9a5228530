package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
)

// TestBackoffFromReplies: a receiver that starts answering Yahoo's
// "421 4.7.0 [TSS04]" puts the queue in backoff mode within that one
// attempt (Volley's built-in pattern list, no smtp-pattern-list in the
// config), delivery goes on at backoff-max-msg-rate, and the queue returns
// to normal after backoff-to-normal-after.
func TestBackoffFromReplies(t *testing.T) {
	// The sink takes 3 messages, then defers every later RCPT.
	rule, err := loadgen.ParseRule("rcpt:after:3=421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints")
	if err != nil {
		t.Fatal(err)
	}
	sink := loadgen.NewSink(loadgen.SinkOptions{Replies: []loadgen.Rule{rule}})
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go sink.Serve()
	t.Cleanup(func() { _ = sink.Shutdown(context.Background()) })
	host, port, _ := net.SplitHostPort(sink.Addr().String())
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
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
	start := time.Now()
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
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go sink.Serve()
	t.Cleanup(func() { _ = sink.Shutdown(context.Background()) })
	host, port, _ := net.SplitHostPort(sink.Addr().String())
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<domain slow.test>\n smtp-hosts ["+host+"]:"+port+"\n backoff-max-msg-rate 5/s\n</domain>\n")
	base := apiURL(t, d)
	post(t, "POST", base+"/api/v1/queues/slow.test/_/pause", nil, nil, 200)
	post(t, "POST", base+"/api/v1/queues/slow.test/_/mode", api.ModeRequest{Mode: "backoff"}, nil, 200)
	const n = 15
	for i := range n {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@slow.test", i)}, "")
	}
	start := time.Now()
	post(t, "POST", base+"/api/v1/queues/slow.test/_/resume", nil, nil, 200)
	waitFor(t, 15*time.Second, "all delivered", func() bool { return sink.Counters().Messages == n })
	// 5/s with a burst of at most 5: 15 take at least 2 s.
	if took := time.Since(start); took < 1800*time.Millisecond {
		t.Fatalf("%d messages in backoff mode at 5/s took %v", n, took)
	}
}
