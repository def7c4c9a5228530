package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestSampleTopQueues: 1,000 queues make 50 series plus "other", which sums
// the rest exactly; only the listed queues have a mode series.
func TestSampleTopQueues(t *testing.T) {
	var qs []QueueSample
	total := 0
	for i := range 1000 {
		// Recipients 1..1000, listed in an order unrelated to their size.
		r := (i*7919)%1000 + 1
		qs = append(qs, QueueSample{Name: fmt.Sprintf("d%d.example/vmta-%d", r, i%3), Recipients: r, Mode: []string{"", ModeBackoff, ModePaused}[i%3]})
		total += r
	}
	m := New(Options{Sample: func() Sample { return Sample{Queues: qs} }})
	fams := parse(t, scrape(t, m))
	got := series(fams, nameQueueRecipients)
	tcompare(t, "queue series", len(got), DefaultTopQueues+1)
	sum, top := 0.0, 0.0
	for r := 1000; r > 1000-DefaultTopQueues; r-- {
		var name string
		for _, q := range qs {
			if q.Recipients == r {
				name = q.Name
			}
		}
		tcompare(t, name, got["queue="+name], float64(r))
		top += float64(r)
	}
	for _, v := range got {
		sum += v
	}
	tcompare(t, "other", got["queue=other"], float64(total)-top)
	tcompare(t, "sum of series", sum, float64(total))
	modes := series(fams, nameQueueMode)
	tcompare(t, "mode series", len(modes), DefaultTopQueues)
	for k, v := range modes {
		if v != 1 || strings.Contains(k, "queue=other") {
			t.Errorf("mode series %s = %v", k, v)
		}
	}
	count, err := testutil.GatherAndCount(m.reg, nameQueueRecipients, nameQueueMode)
	tcheck(t, err, "count")
	tcompare(t, "gathered", count, 2*DefaultTopQueues+1)
}

// TestSampleQueues covers the corners of the queue list: fewer queues than
// the limit, ties, duplicates, a queue named "other", bad names and modes.
func TestSampleQueues(t *testing.T) {
	smp := Sample{
		Queues: []QueueSample{
			{Name: "b.example/v1", Recipients: 5, Mode: ModeNormal},
			{Name: "a.example/v1", Recipients: 5, Mode: ModePaused},
			{Name: "c.example/v1", Recipients: 2},
			{Name: "c.example/v1", Recipients: 4, Mode: ModeBackoff}, // merged: 6, backoff
			{Name: "d.example/v1", Recipients: 1, Mode: "frozen"},    // no mode series
			{Name: Other, Recipients: 10},
			{Name: "\xffbad/v1", Recipients: 20},
			{Name: "e.example/v1", Recipients: 0},
		},
		ConnectionsIn:  12,
		ConnectionsOut: 34,
		SpoolBytes:     1 << 40,
		SpoolMessages:  123456,
	}
	m := New(Options{TopQueues: 3, Sample: func() Sample { return smp }})
	fams := parse(t, scrape(t, m))
	check := func(name string, want map[string]float64) {
		t.Helper()
		got := series(fams, name)
		tcompare(t, name+" series", len(got), len(want))
		for k, v := range want {
			if w, ok := got[k]; !ok || w != v {
				t.Errorf("%s{%s} = %v (present %v), want %v", name, k, w, ok, v)
			}
		}
	}
	check(nameQueueRecipients, map[string]float64{
		"queue=c.example/v1": 6, "queue=a.example/v1": 5, "queue=b.example/v1": 5,
		"queue=other": 1 + 10 + 20 + 0,
	})
	check(nameQueueMode, map[string]float64{
		"mode=backoff,queue=c.example/v1": 1, "mode=paused,queue=a.example/v1": 1, "mode=normal,queue=b.example/v1": 1,
	})
	check(nameConnections, map[string]float64{"direction=in": 12, "direction=out": 34})
	check(nameSpoolBytes, map[string]float64{"": 1 << 40})
	check(nameSpoolMessages, map[string]float64{"": 123456})
	if len(smp.Queues) != 8 || smp.Queues[0].Name != "b.example/v1" || smp.Queues[2].Recipients != 2 {
		t.Error("the sample's queue list was modified")
	}

	// Few queues: each has a series, and "other" is there at zero.
	m = New(Options{Sample: func() Sample { return Sample{Queues: smp.Queues[:2]} }})
	fams = parse(t, scrape(t, m))
	check(nameQueueRecipients, map[string]float64{"queue=a.example/v1": 5, "queue=b.example/v1": 5, "queue=other": 0})
}

// TestSampleNil: without Sample only volley_engine_info is served of the
// sampled gauges.
func TestSampleNil(t *testing.T) {
	m := New(Options{Engine: "io_uring", Shards: 8})
	fams := parse(t, scrape(t, m))
	for _, name := range []string{nameQueueRecipients, nameQueueMode, nameConnections, nameSpoolBytes, nameSpoolMessages} {
		if fams[name] != nil {
			t.Errorf("%s served without a Sample", name)
		}
	}
	tcompare(t, "engine info", series(fams, nameEngineInfo)["engine=io_uring,shards=8"], 1)
	m = New(Options{})
	tcompare(t, "engine info, zero options", series(parse(t, scrape(t, m)), nameEngineInfo)["engine=unknown,shards=0"], 1)
}

// TestSampleCalledOnce: one scrape, one call.
func TestSampleCalledOnce(t *testing.T) {
	var calls atomic.Int32
	m := New(Options{Sample: func() Sample { calls.Add(1); return Sample{} }})
	scrape(t, m)
	tcompare(t, "calls after one scrape", calls.Load(), 1)
	scrape(t, m)
	tcompare(t, "calls after two scrapes", calls.Load(), 2)
}

// TestSamplePanic: a panicking Sample costs its gauges for that scrape,
// not the scrape or the process, and the error is counted.
func TestSamplePanic(t *testing.T) {
	m := New(Options{Engine: "epoll", Shards: 2, Sample: func() Sample { panic("shard gone") }})
	m.Delivered(4)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	for range 2 {
		resp, err := http.Get(srv.URL)
		tcheck(t, err, "get")
		resp.Body.Close()
		tcompare(t, "status", resp.StatusCode, http.StatusOK)
	}
	fams := parse(t, scrape(t, m))
	tcompare(t, "delivered", series(fams, nameDelivered)[""], 4)
	tcompare(t, "engine info", series(fams, nameEngineInfo)["engine=epoll,shards=2"], 1)
	if fams[nameQueueRecipients] != nil {
		t.Error("queue gauges served from a panicking Sample")
	}
	tcompare(t, "gathering errors", series(fams, "promhttp_metric_handler_errors_total")["cause=gathering"], 2)
}
