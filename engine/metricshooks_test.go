package engine

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/metrics"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
)

// scrapeLine returns the line of m's scrape that starts with series.
func scrapeLine(t *testing.T, m *metrics.Metrics, series string) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(w.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, series+" ") {
			return l
		}
	}
	return ""
}

// TestHooksSuppressedStage: a suppressed outcome no queue decided counts
// at injection, one the Deliverer stamped with its mode at delivery; the
// cold vMTA moves count too.
func TestHooksSuppressedStage(t *testing.T) {
	m := metrics.New(metrics.Options{})
	h := &metricsHooks{}
	h.m.Store(m)
	now := time.Now()
	inj := outbound.Outcome{Kind: outbound.Bounced, Reply: "550 5.7.1 suppressed", Category: "suppressed"}
	dlv := inj
	dlv.Mode = queue.ModeBackoff
	h.outcome(&inj, nil, "suppressed", now)
	h.outcome(&dlv, nil, "suppressed", now)
	h.outcome(&dlv, nil, "suppressed", now)
	h.outcome(&outbound.Outcome{Kind: outbound.Bounced, Mode: queue.ModeNormal}, nil, "bad-mailbox", now)
	h.coldMoved(3)
	for series, want := range map[string]string{
		`volley_suppressed_recipients_total{stage="injection"}`: "1",
		`volley_suppressed_recipients_total{stage="delivery"}`:  "2",
		`volley_cold_vmta_recipients_total`:                     "3",
	} {
		if l := scrapeLine(t, m, series); l != series+" "+want {
			t.Errorf("%s: %q, want %s", series, l, want)
		}
	}
}

func TestDisabledSourcesCount(t *testing.T) {
	var d disabledSources
	now := time.Now()
	if d.count(now) != 0 {
		t.Fatal("none disabled")
	}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	d.disableFor(a, queue.Key{Domain: "x.test"}, 0)
	d.disableFor(a, queue.Key{Domain: "y.test"}, time.Hour) // the same address: once
	d.disableFor(b, queue.Key{Domain: "x.test"}, time.Hour)
	if n := d.count(now); n != 2 {
		t.Fatalf("%d disabled, want 2", n)
	}
	if n := d.count(now.Add(2 * time.Hour)); n != 1 {
		t.Fatalf("%d disabled after reenable-after, want 1", n)
	}
}
