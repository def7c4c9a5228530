package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Sample is the engine's state at one scrape, as Options.Sample returns it.
type Sample struct {
	// Queues lists the queues with their recipients and modes, in any
	// order. A name listed twice is one queue: its recipients are summed.
	Queues []QueueSample
	// ConnectionsIn and ConnectionsOut are the open inbound and outbound
	// SMTP connections.
	ConnectionsIn, ConnectionsOut int
	// SpoolBytes and SpoolMessages are the spool's size on disk and the
	// messages it holds.
	SpoolBytes, SpoolMessages int64
	// Warmups lists the source addresses a warm-up holds now, with their
	// share of the rate (volley_warmup_sources, volley_warmup_fraction).
	Warmups []WarmupSample
	// SourcesDisabled is how many source addresses are out of use now for
	// some queue (disable-source-ip, `disable source`), each counted once.
	SourcesDisabled int
}

// QueueSample is one queue of a Sample.
type QueueSample struct {
	// Name is the queue, "domain/vmta". A name that is not UTF-8, or is
	// "other", is summed into queue="other".
	Name string
	// Recipients is the number of recipients queued.
	Recipients int
	// Mode is ModeNormal, ModeBackoff or ModePaused; empty means
	// ModeNormal. A queue with any other mode gets no volley_queue_mode
	// series.
	Mode string
}

// The values of volley_queue_mode's mode label.
const (
	ModeNormal  = "normal"
	ModeBackoff = "backoff"
	ModePaused  = "paused"
)

// sampler is the collector of the gauges read at scrape time, and of
// volley_engine_info.
type sampler struct {
	sample func() Sample
	top    int
	info   prometheus.Metric

	maxSources int

	queueRecipients, queueMode, connections, spoolBytes, spoolMessages, engineInfo *prometheus.Desc
	warmupSources, warmupFraction, sourcesDisabled                                 *prometheus.Desc
}

func newSampler(o Options) *sampler {
	s := &sampler{
		sample:     o.Sample,
		top:        o.TopQueues,
		maxSources: o.MaxSources,
		warmupSources: prometheus.NewDesc(nameWarmupSources,
			"Source addresses a warm-up holds below their full rate now.", nil, nil),
		warmupFraction: prometheus.NewDesc(nameWarmupFraction,
			"Share of its full rate a warm-up holds each source address to (the most held sources; source=\"other\": the lowest share of the rest).",
			[]string{"source"}, nil),
		sourcesDisabled: prometheus.NewDesc(nameSourceIPDisabled,
			"Source addresses out of use now for some queue (disable-source-ip or disable source).", nil, nil),
		queueRecipients: prometheus.NewDesc(nameQueueRecipients,
			"Recipients queued, for the queues with the most recipients; queue=\"other\" sums the rest.",
			[]string{"queue"}, nil),
		queueMode: prometheus.NewDesc(nameQueueMode,
			"Mode of each queue listed in volley_queue_recipients: 1 for its current mode (normal, backoff or paused).",
			[]string{"queue", "mode"}, nil),
		connections: prometheus.NewDesc(nameConnections,
			"Open SMTP connections, by direction (in: clients injecting; out: deliveries).",
			[]string{"direction"}, nil),
		spoolBytes: prometheus.NewDesc(nameSpoolBytes,
			"Size of the spool on disk, in bytes.", nil, nil),
		spoolMessages: prometheus.NewDesc(nameSpoolMessages,
			"Messages held in the spool.", nil, nil),
		engineInfo: prometheus.NewDesc(nameEngineInfo,
			"Constant 1, labelled with the I/O engine (io_uring or epoll) and the number of shards.",
			[]string{"engine", "shards"}, nil),
	}
	engine := o.Engine
	if engine == "" || !utf8.ValidString(engine) {
		engine = "unknown"
	}
	s.info = prometheus.MustNewConstMetric(s.engineInfo, prometheus.GaugeValue, 1, engine, strconv.Itoa(o.Shards))
	return s
}

// Describe implements prometheus.Collector.
func (s *sampler) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.queueRecipients, s.queueMode, s.connections, s.spoolBytes, s.spoolMessages,
		s.engineInfo, s.warmupSources, s.warmupFraction, s.sourcesDisabled} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. It calls Sample once.
func (s *sampler) Collect(ch chan<- prometheus.Metric) {
	ch <- s.info
	if s.sample == nil {
		return
	}
	smp, err := s.call()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.queueRecipients, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	top, other := topQueues(smp.Queues, s.top)
	for _, q := range top {
		gauge(s.queueRecipients, float64(q.Recipients), q.Name)
		if mode, ok := normalMode(q.Mode); ok {
			gauge(s.queueMode, 1, q.Name, mode)
		}
	}
	gauge(s.queueRecipients, float64(other), Other)
	gauge(s.connections, float64(smp.ConnectionsIn), "in")
	gauge(s.connections, float64(smp.ConnectionsOut), "out")
	gauge(s.spoolBytes, float64(smp.SpoolBytes))
	gauge(s.spoolMessages, float64(smp.SpoolMessages))
	warm, least, rest, sources := warmupSeries(smp.Warmups, s.maxSources)
	gauge(s.warmupSources, float64(sources))
	for _, w := range warm {
		gauge(s.warmupFraction, w.Fraction, w.Source)
	}
	if rest {
		gauge(s.warmupFraction, least, Other)
	}
	gauge(s.sourcesDisabled, float64(smp.SourcesDisabled))
}

// call calls Sample, turning a panic into an error: collectors run on
// goroutines of their own, where a panic would end the process.
func (s *sampler) call() (smp Sample, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("metrics: sample panicked: %v", r)
		}
	}()
	return s.sample(), nil
}

// normalMode returns the mode label value for mode, or false for an
// unknown mode.
func normalMode(mode string) (string, bool) {
	switch mode {
	case "", ModeNormal:
		return ModeNormal, true
	case ModeBackoff, ModePaused:
		return mode, true
	}
	return "", false
}

// topQueues returns the n queues of qs with the most recipients (ties by
// name, so that a scrape is deterministic), most first, and the sum of the
// others' recipients. Names listed more than once are merged (recipients
// summed, the most restrictive mode kept); names that cannot be a label
// value of their own go to the sum. qs is not modified.
func topQueues(qs []QueueSample, n int) (top []QueueSample, other int64) {
	merged := make([]QueueSample, 0, len(qs))
	for _, q := range qs {
		if q.Name == Other || !utf8.ValidString(q.Name) {
			other += int64(q.Recipients)
			continue
		}
		merged = append(merged, q)
	}
	slices.SortFunc(merged, func(a, b QueueSample) int { return cmp.Compare(a.Name, b.Name) })
	w := 0
	for i, q := range merged {
		if i > 0 && q.Name == merged[w-1].Name {
			prev := &merged[w-1]
			prev.Recipients += q.Recipients
			if modeRank(q.Mode) > modeRank(prev.Mode) {
				prev.Mode = q.Mode
			}
			continue
		}
		merged[w] = q
		w++
	}
	merged = merged[:w]
	slices.SortStableFunc(merged, func(a, b QueueSample) int { return cmp.Compare(b.Recipients, a.Recipients) })
	if len(merged) > n {
		for _, q := range merged[n:] {
			other += int64(q.Recipients)
		}
		merged = merged[:n]
	}
	return merged, other
}

// modeRank orders modes by how much they hold a queue back.
func modeRank(mode string) int {
	switch mode {
	case ModePaused:
		return 2
	case ModeBackoff:
		return 1
	}
	return 0
}
