package metrics

import (
	"fmt"
	"testing"
)

// TestDeliverabilityCounters: both stages and the cold counter exist at
// zero, count what they are given, and ignore what is out of range.
func TestDeliverabilityCounters(t *testing.T) {
	m := New(Options{})
	fams := parse(t, scrape(t, m))
	tcompare(t, "cold at start", series(fams, nameColdVMTA)[""], 0)
	sup := series(fams, nameSuppressed)
	tcompare(t, "suppressed series at start", len(sup), 2)
	tcompare(t, "injection at start", sup["stage=injection"], 0)

	m.ColdMoved(3)
	m.ColdMoved(0)
	m.ColdMoved(-2)
	m.Suppressed(SuppressedAtInjection)
	m.Suppressed(SuppressedAtDelivery)
	m.Suppressed(SuppressedAtDelivery)
	m.Suppressed(suppressStageCount)
	m.Suppressed(SuppressStage(200))
	fams = parse(t, scrape(t, m))
	tcompare(t, "cold", series(fams, nameColdVMTA)[""], 3)
	sup = series(fams, nameSuppressed)
	tcompare(t, "suppressed series", len(sup), 2)
	tcompare(t, "injection", sup["stage=injection"], 1)
	tcompare(t, "delivery", sup["stage=delivery"], 2)
	if SuppressStage(9).String() != "" || len(suppressStageNames) != int(suppressStageCount) {
		t.Error("stage names")
	}
}

// TestDeliverabilityGauges: warming sources (one listed twice keeps its
// lowest share), bounded to MaxSources with "other" holding the lowest
// share of the rest, and the disabled sources.
func TestDeliverabilityGauges(t *testing.T) {
	smp := Sample{
		Warmups: []WarmupSample{
			{Source: "192.0.2.1", Fraction: 0.8},
			{Source: "192.0.2.1", Fraction: 0.51}, // a second domain: held more
			{Source: "192.0.2.2", Fraction: 0.06},
			{Source: "192.0.2.3", Fraction: 0.9},
			{Source: "192.0.2.4", Fraction: 0.7},
			{Source: "\xff", Fraction: 0.05}, // not a label value: "other"
		},
		SourcesDisabled: 2,
	}
	m := New(Options{MaxSources: 2, Sample: func() Sample { return smp }})
	fams := parse(t, scrape(t, m))
	tcompare(t, "warming sources", series(fams, nameWarmupSources)[""], 5)
	got := series(fams, nameWarmupFraction)
	want := map[string]float64{"source=192.0.2.2": 0.06, "source=192.0.2.1": 0.51, "source=other": 0.05}
	tcompare(t, "fraction series", len(got), len(want))
	for k, v := range want {
		tcompare(t, k, got[k], v)
	}
	tcompare(t, "disabled", series(fams, nameSourceIPDisabled)[""], 2)

	// None warming: the count is 0 and there is no fraction series.
	smp = Sample{}
	fams = parse(t, scrape(t, m))
	tcompare(t, "warming sources, none", series(fams, nameWarmupSources)[""], 0)
	tcompare(t, "fraction series, none", len(series(fams, nameWarmupFraction)), 0)
	tcompare(t, "disabled, none", series(fams, nameSourceIPDisabled)[""], 0)
}

// TestWarmupSeriesBound: 1,000 warming sources make MaxSources series
// plus "other", the most held ones.
func TestWarmupSeriesBound(t *testing.T) {
	var ws []WarmupSample
	for i := range 1000 {
		ws = append(ws, WarmupSample{Source: fmt.Sprintf("10.0.%d.%d", i/256, i%256), Fraction: float64(1000-i) / 1001})
	}
	top, least, rest, n := warmupSeries(ws, DefaultMaxSources)
	tcompare(t, "sources", n, 1000)
	tcompare(t, "top", len(top), DefaultMaxSources)
	tcompare(t, "most held", top[0].Source, "10.0.3.231") // i = 999
	tcompare(t, "rest", rest, true)
	tcompare(t, "least of the rest", least, float64(1000-(999-DefaultMaxSources))/1001)
	tcompare(t, "input untouched", ws[0].Source, "10.0.0.0")
}
