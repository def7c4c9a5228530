package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// load applies the known load the scrape tests check.
func load(m *Metrics) {
	for range 1000 {
		m.Received("smtp")
	}
	for range 5 {
		m.Received("pickup")
	}
	for range 400 {
		m.Delivered(1)
	}
	m.Delivered(500)
	m.Delivered(0)  // ignored
	m.Delivered(-3) // ignored
	m.Deferred(7)
	m.Deferred(3)
	m.Deferred(-1) // ignored
	for range 3 {
		m.Bounced("bad-mailbox")
	}
	m.Bounced("suppressed")
	m.Bounced("nonsense")    // other
	m.Bounced("Bad-Mailbox") // other: categories are exact
	m.Bounced("")            // other
	for range 900 {
		m.Reply(250)
	}
	for range 10 {
		m.Reply(451)
	}
	for range 4 {
		m.Reply(550)
	}
	m.Reply(0)   // other
	m.Reply(354) // other
	m.Reply(600) // other

	m.DeliverySeconds(3906250 * time.Nanosecond) // 1/256 s, exact in binary
	m.DeliverySeconds(500 * time.Millisecond)
	m.DeliverySeconds(2 * time.Second)
	m.DeliverySeconds(2 * time.Hour)
	m.DeliverySeconds(-time.Second) // counts as 0

	m.ColdMoved(2)
	m.Suppressed(SuppressedAtInjection)
	m.Suppressed(SuppressedAtDelivery)
}

const wantCounters = `
# HELP volley_recipients_delivered_total Recipients delivered: the receiving server answered 2xx.
# TYPE volley_recipients_delivered_total counter
volley_recipients_delivered_total 900
# HELP volley_recipients_deferred_total Recipient delivery attempts deferred for a later retry (4xx reply or connection failure).
# TYPE volley_recipients_deferred_total counter
volley_recipients_deferred_total 10
# HELP volley_smtp_replies_total SMTP replies received from remote servers, by class (2xx, 4xx, 5xx, other).
# TYPE volley_smtp_replies_total counter
volley_smtp_replies_total{class="2xx"} 900
volley_smtp_replies_total{class="4xx"} 10
volley_smtp_replies_total{class="5xx"} 4
volley_smtp_replies_total{class="other"} 3
# HELP volley_messages_received_total Messages accepted and committed to the spool, by source (the <source> name or source kind; past the first sources seen, "other").
# TYPE volley_messages_received_total counter
volley_messages_received_total{source="other"} 0
volley_messages_received_total{source="pickup"} 5
volley_messages_received_total{source="smtp"} 1000
# HELP volley_delivery_seconds Time from a recipient's queuing to its delivery, in seconds.
# TYPE volley_delivery_seconds histogram
volley_delivery_seconds_bucket{le="0.005"} 2
volley_delivery_seconds_bucket{le="0.01"} 2
volley_delivery_seconds_bucket{le="0.05"} 2
volley_delivery_seconds_bucket{le="0.1"} 2
volley_delivery_seconds_bucket{le="0.5"} 3
volley_delivery_seconds_bucket{le="1"} 3
volley_delivery_seconds_bucket{le="5"} 4
volley_delivery_seconds_bucket{le="10"} 4
volley_delivery_seconds_bucket{le="30"} 4
volley_delivery_seconds_bucket{le="60"} 4
volley_delivery_seconds_bucket{le="300"} 4
volley_delivery_seconds_bucket{le="900"} 4
volley_delivery_seconds_bucket{le="3600"} 4
volley_delivery_seconds_bucket{le="14400"} 5
volley_delivery_seconds_bucket{le="86400"} 5
volley_delivery_seconds_bucket{le="+Inf"} 5
volley_delivery_seconds_sum 7202.50390625
volley_delivery_seconds_count 5
`

// TestCountersGather checks the counters after a known load against the
// exact exposition, through the registry.
func TestCountersGather(t *testing.T) {
	m := New(Options{})
	load(m)
	err := testutil.GatherAndCompare(m.reg, strings.NewReader(wantCounters),
		nameDelivered, nameDeferred, nameReplies, nameReceived, nameDelivery)
	tcheck(t, err, "gather and compare")
	tcompare(t, "delivered", testutil.ToFloat64(m.delivered), 900)
	tcompare(t, "deferred", testutil.ToFloat64(m.deferred), 10)
	tcompare(t, "received smtp", testutil.ToFloat64(m.sources.counter("smtp")), 1000)
}

// TestCountersScrape checks the same load as served over HTTP and parsed
// back from the text format.
func TestCountersScrape(t *testing.T) {
	m := New(Options{})
	load(m)
	fams := parse(t, scrape(t, m))
	check := func(name string, want map[string]float64) {
		t.Helper()
		got := series(fams, name)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s{%s} = %v, want %v", name, k, got[k], v)
			}
		}
		tcompare(t, name+" series", len(got), len(want))
	}
	check(nameReceived, map[string]float64{"source=smtp": 1000, "source=pickup": 5, "source=other": 0})
	check(nameDelivered, map[string]float64{"": 900})
	check(nameDeferred, map[string]float64{"": 10})
	check(nameReplies, map[string]float64{"class=2xx": 900, "class=4xx": 10, "class=5xx": 4, "class=other": 3})
	check(nameDelivery, map[string]float64{"": 5})
	bounced := map[string]float64{}
	for _, c := range categories {
		bounced["category="+c] = 0
	}
	bounced["category=bad-mailbox"] = 3
	bounced["category=suppressed"] = 1
	bounced["category=other"] = 3
	check(nameBounced, bounced)
	tcompare(t, "histogram sum", fams[nameDelivery].GetMetric()[0].GetHistogram().GetSampleSum(), 7202.50390625)
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("scrape lacks %s (Go and process collectors)", name)
		}
	}
}

// TestSourcesBounded: 10,000 distinct sources make the first 64 series
// plus "other", which counts the rest exactly.
func TestSourcesBounded(t *testing.T) {
	m := New(Options{})
	const n = 10000
	for i := range n {
		m.Received(fmt.Sprintf("source-%d", i))
	}
	count, err := testutil.GatherAndCount(m.reg, nameReceived)
	tcheck(t, err, "count")
	tcompare(t, "series", count, DefaultMaxSources+1)
	got := series(parse(t, scrape(t, m)), nameReceived)
	tcompare(t, "series scraped", len(got), DefaultMaxSources+1)
	for i := range DefaultMaxSources {
		tcompare(t, fmt.Sprintf("source-%d", i), got[fmt.Sprintf("source=source-%d", i)], 1)
	}
	tcompare(t, "other", got["source=other"], n-DefaultMaxSources)
	if _, ok := got[fmt.Sprintf("source=source-%d", DefaultMaxSources)]; ok {
		t.Error("a source past the limit has a series")
	}
	tcompare(t, "cached names", len(*m.sources.known.Load()), DefaultMaxSources+1)
}

// TestSourcesInvalid: names that would make poor or invalid label values,
// and "other" itself, count as "other" without taking a slot.
func TestSourcesInvalid(t *testing.T) {
	m := New(Options{MaxSources: 2})
	for _, s := range []string{"", "\xff\xfe", strings.Repeat("x", maxLabelLen+1), Other} {
		m.Received(s)
	}
	m.Received("a")
	m.Received("b")
	m.Received("c") // past MaxSources
	m.Received("a")
	got := series(parse(t, scrape(t, m)), nameReceived)
	want := map[string]float64{"source=other": 5, "source=a": 2, "source=b": 1}
	tcompare(t, "series", len(got), len(want))
	for k, v := range want {
		tcompare(t, k, got[k], v)
	}
	tcompare(t, "full", m.sources.full.Load(), true)
}

// TestBouncedCategories: every known category counts under its own name,
// and all start at zero.
func TestBouncedCategories(t *testing.T) {
	m := New(Options{})
	count, err := testutil.GatherAndCount(m.reg, nameBounced)
	tcheck(t, err, "count")
	tcompare(t, "series before any bounce", count, len(categories))
	for i, c := range categories {
		for range i + 1 {
			m.Bounced(c)
		}
	}
	got := series(parse(t, scrape(t, m)), nameBounced)
	tcompare(t, "series", len(got), len(categories))
	for i, c := range categories {
		tcompare(t, c, got["category="+c], float64(i+1))
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		code int
		want string
	}{
		{250, "2xx"}, {200, "2xx"}, {299, "2xx"}, {221, "2xx"},
		{421, "4xx"}, {451, "4xx"}, {400, "4xx"}, {499, "4xx"},
		{550, "5xx"}, {500, "5xx"}, {599, "5xx"}, {554, "5xx"},
		{0, Other}, {-250, Other}, {199, Other}, {354, Other}, {600, Other}, {2500, Other},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			tcompare(t, "class", classify(tc.code).String(), tc.want)
		})
	}
}

// TestHotPathAllocs: once a label value has been seen, no counter method
// allocates.
func TestHotPathAllocs(t *testing.T) {
	m := New(Options{MaxSources: 1})
	m.Received("smtp")
	m.Received("past-the-limit")
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Received", func() { m.Received("smtp") }},
		{"ReceivedOther", func() { m.Received("past-the-limit") }},
		{"Delivered", func() { m.Delivered(3) }},
		{"Deferred", func() { m.Deferred(1) }},
		{"Bounced", func() { m.Bounced("bad-mailbox") }},
		{"BouncedUnknown", func() { m.Bounced("no-such-category") }},
		{"Reply", func() { m.Reply(451) }},
		{"DeliverySeconds", func() { m.DeliverySeconds(1500 * time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tc.f); n != 0 {
				t.Errorf("%s: %v allocs per call, want 0", tc.name, n)
			}
		})
	}
}

func TestProcessorCounters(t *testing.T) {
	m := New(Options{})
	m.RemoteBounced("bad-mailbox")
	m.RemoteBounced("nonsense")
	m.Complaint("abuse")
	m.Complaint("abuse")
	m.Complaint("weird")
	fams := parse(t, scrape(t, m))
	remote, comp := series(fams, nameRemoteBounces), series(fams, nameComplaints)
	tcompare(t, "remote bad-mailbox", remote["category=bad-mailbox"], 1)
	tcompare(t, "remote other", remote["category=other"], 1)
	tcompare(t, "complaints abuse", comp["type=abuse"], 2)
	tcompare(t, "complaints other", comp["type=other"], 1)
	tcompare(t, "complaints not-spam", comp["type=not-spam"], 0)
}
