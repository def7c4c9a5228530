package metrics

import (
	"cmp"
	"slices"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// The deliverability metrics (Volley's): what the warm-up, the cold
// virtual MTAs, suppression and the disabled source addresses do, beside
// volley_queue_mode for backoff. The two counters are bumped where the
// event happens; the gauges are read from Sample at each scrape.

// SuppressStage is where a suppressed recipient was stopped, the stage
// label of volley_suppressed_recipients_total.
type SuppressStage uint8

// The stages, in the order of suppressStageNames.
const (
	// SuppressedAtInjection: accepted and bounced at once, never queued.
	SuppressedAtInjection SuppressStage = iota
	// SuppressedAtDelivery: queued, then found suppressed before an attempt.
	SuppressedAtDelivery
	suppressStageCount
)

var suppressStageNames = [suppressStageCount]string{"injection", "delivery"}

// String returns the stage's label value ("" out of range).
func (s SuppressStage) String() string {
	if s < suppressStageCount {
		return suppressStageNames[s]
	}
	return ""
}

// ColdMoved counts n recipients moved to a cold virtual MTA's queue
// (cold-virtual-mta). n <= 0 is ignored.
func (m *Metrics) ColdMoved(n int) {
	if n > 0 {
		m.cold.Add(float64(n))
	}
}

// Suppressed counts one recipient the suppression lists stopped at stage;
// a stage out of range is ignored.
func (m *Metrics) Suppressed(stage SuppressStage) {
	if stage < suppressStageCount {
		m.suppressed[stage].Inc()
	}
}

// newDeliverabilityCounters makes the two counters, every stage at zero,
// and returns them for registration.
func (m *Metrics) newDeliverabilityCounters() []prometheus.Collector {
	m.cold = prometheus.NewCounter(prometheus.CounterOpts{
		Name: nameColdVMTA,
		Help: "Recipients moved to a cold virtual MTA's queue (cold-virtual-mta, max-cold-virtual-mta-msg).",
	})
	suppressed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: nameSuppressed,
		Help: "Recipients stopped by the suppression lists, by stage (injection: never queued; delivery: before an attempt).",
	}, []string{"stage"})
	for s := range suppressStageCount {
		m.suppressed[s] = suppressed.WithLabelValues(s.String())
	}
	return []prometheus.Collector{m.cold, suppressed}
}

// WarmupSample is one source address a warm-up holds, in a Sample.
type WarmupSample struct {
	// Source is the address ("192.0.2.1"). A name that is not UTF-8, is
	// empty or is "other" counts under source="other".
	Source string
	// Fraction is the share of its rate the warm-up holds it to, above 0
	// and below 1. A source listed more than once (it warms up for several
	// domains) is held to its lowest share.
	Fraction float64
}

// warmupSeries returns the warming sources to give a series of their own,
// the n most held (lowest share; ties by name, so that a scrape is
// deterministic), the lowest share of the others (rest: there are others)
// and how many distinct sources there are. ws is not modified.
func warmupSeries(ws []WarmupSample, n int) (top []WarmupSample, other float64, rest bool, sources int) {
	merged := slices.Clone(ws)
	slices.SortFunc(merged, func(a, b WarmupSample) int { return cmp.Compare(a.Source, b.Source) })
	w := 0
	for i, x := range merged {
		if i > 0 && x.Source == merged[w-1].Source {
			merged[w-1].Fraction = min(merged[w-1].Fraction, x.Fraction)
			continue
		}
		merged[w] = x
		w++
	}
	merged = merged[:w]
	sources = len(merged)
	// Names that cannot be a label value of their own go last, with the rest.
	own := func(x WarmupSample) bool {
		return x.Source != "" && x.Source != Other && len(x.Source) <= maxLabelLen && utf8.ValidString(x.Source)
	}
	slices.SortStableFunc(merged, func(a, b WarmupSample) int {
		if own(a) != own(b) {
			if own(a) {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Fraction, b.Fraction)
	})
	keep := 0
	for keep < len(merged) && keep < n && own(merged[keep]) {
		keep++
	}
	for _, x := range merged[keep:] {
		if !rest || x.Fraction < other {
			other = x.Fraction
		}
		rest = true
	}
	return merged[:keep], other, rest, sources
}
