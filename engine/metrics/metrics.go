package metrics

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric names, as SPEC.md lists them.
const (
	nameReceived        = "volley_messages_received_total"
	nameDelivered       = "volley_recipients_delivered_total"
	nameBounced         = "volley_recipients_bounced_total"
	nameDeferred        = "volley_recipients_deferred_total"
	nameQueueRecipients = "volley_queue_recipients"
	nameQueueMode       = "volley_queue_mode"
	nameConnections     = "volley_connections"
	nameSpoolBytes      = "volley_spool_bytes"
	nameSpoolMessages   = "volley_spool_messages"
	nameDelivery        = "volley_delivery_seconds"
	nameReplies         = "volley_smtp_replies_total"
	nameEngineInfo      = "volley_engine_info"
	// Volley's additions for the bounce and feedback-loop processors.
	nameRemoteBounces = "volley_remote_bounces_total"
	nameComplaints    = "volley_complaints_total"
	// Volley's deliverability metrics (deliverability.go).
	nameColdVMTA         = "volley_cold_vmta_recipients_total"
	nameSuppressed       = "volley_suppressed_recipients_total"
	nameWarmupSources    = "volley_warmup_sources"
	nameWarmupFraction   = "volley_warmup_fraction"
	nameSourceIPDisabled = "volley_source_ip_disabled"
)

// Other is the label value that collects whatever a bounded label does not
// list: excess or invalid sources, unknown bounce categories and reply
// classes, and the queues past the top ones.
const Other = "other"

// Defaults of Options.
const (
	DefaultTopQueues  = 50
	DefaultMaxSources = 64
)

// deliveryBuckets are volley_delivery_seconds's upper bounds: from a message
// relayed within milliseconds of its arrival to one that waited out a day of
// retries.
var deliveryBuckets = []float64{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400}

// Options configure New. The zero value is valid: no sampled gauges,
// default limits.
type Options struct {
	// Engine is the I/O engine the shards run ("io_uring" or "epoll"), the
	// engine label of volley_engine_info. Optional; empty reads "unknown".
	Engine string
	// Shards is the number of shards, the shards label of volley_engine_info.
	// Optional.
	Shards int
	// Sample returns the engine's gauges. It is called once per scrape, on
	// the scraping goroutine (see the package doc). Optional: when nil, the
	// queue, connection and spool gauges are not served.
	Sample func() Sample
	// TopQueues is how many queues get a series of their own in
	// volley_queue_recipients and volley_queue_mode, those with the most
	// recipients; the rest are summed into queue="other". Zero or less means
	// DefaultTopQueues (50).
	TopQueues int
	// MaxSources is how many distinct sources get a series of their own in
	// volley_messages_received_total, the first ones seen; later ones count
	// as source="other". It bounds volley_warmup_fraction's source label
	// the same way, keeping the most held addresses. Zero or less means
	// DefaultMaxSources (64).
	MaxSources int
	// Logger, when set, logs the errors a scrape meets (a panicking
	// Sample). Optional; they are counted either way.
	Logger *slog.Logger
}

// Metrics is volleyd's set of metrics, in a registry of its own (not
// client_golang's global one), so that each engine, and each test, has its
// own. Create it with New; its methods are safe for concurrent use.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	sources   sourceSet
	delivered prometheus.Counter
	deferred  prometheus.Counter
	// bounced maps each known category to its counter; it is filled by New
	// and only read afterwards, so it needs no lock.
	bounced      map[string]prometheus.Counter
	bouncedOther prometheus.Counter
	replies      [classCount]prometheus.Counter
	delivery     prometheus.Histogram
	// remote are the bounce processor's counts by category, complaints
	// the feedback-loop processor's by feedback type (filled by New).
	remote     map[string]prometheus.Counter
	complaints map[string]prometheus.Counter
	// cold and suppressed are the deliverability counters (filled by New).
	cold       prometheus.Counter
	suppressed [suppressStageCount]prometheus.Counter
}

// New creates the metrics and registers them, with the Go runtime and
// process collectors, in a new registry. Every bounce category and reply
// class starts at zero, so their series exist before the first event.
func New(o Options) *Metrics {
	if o.TopQueues <= 0 {
		o.TopQueues = DefaultTopQueues
	}
	if o.MaxSources <= 0 {
		o.MaxSources = DefaultMaxSources
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	received := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameReceived,
		Help: "Messages accepted and committed to the spool, by source (the <source> name or source kind; past the first sources seen, \"other\").",
	}, []string{"source"})
	m.sources.init(received, o.MaxSources)
	m.delivered = prometheus.NewCounter(prometheus.CounterOpts{
		Name: nameDelivered,
		Help: "Recipients delivered: the receiving server answered 2xx.",
	})
	m.deferred = prometheus.NewCounter(prometheus.CounterOpts{
		Name: nameDeferred,
		Help: "Recipient delivery attempts deferred for a later retry (4xx reply or connection failure).",
	})
	bounced := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameBounced,
		Help: "Recipients bounced, by PowerMTA bounce category (plus deleted and suppressed).",
	}, []string{"category"})
	m.bounced = make(map[string]prometheus.Counter, len(categories))
	for _, c := range categories {
		m.bounced[c] = bounced.WithLabelValues(c)
	}
	m.bouncedOther = m.bounced[Other]
	remote := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameRemoteBounces,
		Help: "Bounces the bounce processor read (asynchronous DSNs and free-form bounces), by category.",
	}, []string{"category"})
	m.remote = make(map[string]prometheus.Counter, len(categories))
	for _, c := range categories {
		m.remote[c] = remote.WithLabelValues(c)
	}
	complaints := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameComplaints,
		Help: "Feedback reports the feedback-loop processor read, by feedback type.",
	}, []string{"type"})
	m.complaints = make(map[string]prometheus.Counter, len(feedbackTypes))
	for _, t := range feedbackTypes {
		m.complaints[t] = complaints.WithLabelValues(t)
	}
	replies := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameReplies,
		Help: "SMTP replies received from remote servers, by class (2xx, 4xx, 5xx, other).",
	}, []string{"class"})
	for c := range classCount {
		m.replies[c] = replies.WithLabelValues(c.String())
	}
	m.delivery = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    nameDelivery,
		Help:    "Time from a recipient's queuing to its delivery, in seconds.",
		Buckets: deliveryBuckets,
	})
	m.reg.MustRegister(m.newDeliverabilityCounters()...)
	m.reg.MustRegister(
		received, m.delivered, m.deferred, bounced, replies, m.delivery, remote, complaints,
		newSampler(o),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	opts := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, Registry: m.reg}
	if o.Logger != nil {
		opts.ErrorLog = slogPrinter{o.Logger}
	}
	m.handler = promhttp.HandlerFor(m.reg, opts)
	return m
}

// Handler serves the metrics in the Prometheus exposition formats, text
// unless the scraper asks for another. A scrape that meets an error still
// serves every metric it could gather (promhttp.ContinueOnError).
func (m *Metrics) Handler() http.Handler { return m.handler }

// slogPrinter adapts a slog.Logger to promhttp's Logger.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.l.Error("metrics: scrape", "err", fmt.Sprint(v...))
}
