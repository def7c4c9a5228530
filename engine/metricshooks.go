package engine

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/metrics"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// metricsHooks feed the Prometheus counters from the paths that see each
// message and outcome. The metrics are made once the shards run (their
// engine is a label); until then the hooks count nothing, which loses
// nothing: no mail moves before the shards run.
type metricsHooks struct {
	m atomic.Pointer[metrics.Metrics]
}

// received counts an accepted message by how it came ("smtp", "pickup",
// "api": the first word of its Origin).
func (h *metricsHooks) received(m *spool.Message) {
	if x := h.m.Load(); x != nil {
		kind, _, _ := strings.Cut(m.Origin, " ")
		x.Received(kind)
	}
}

// outcome counts a settled outcome; category is the bounce's.
func (h *metricsHooks) outcome(o *outbound.Outcome, m *spool.Message, category string, now time.Time) {
	x := h.m.Load()
	if x == nil {
		return
	}
	switch o.Kind {
	case outbound.Delivered:
		x.Delivered(1)
		if m != nil {
			x.DeliverySeconds(now.Sub(m.Received))
		}
	case outbound.Bounced:
		x.Bounced(category)
		if category == "suppressed" {
			// No queue decides an injection's suppression (handoff
			// settles it at once); the Deliverer stamps its own.
			stage := metrics.SuppressedAtDelivery
			if o.Mode == queue.ModeNone {
				stage = metrics.SuppressedAtInjection
			}
			x.Suppressed(stage)
		}
	case outbound.Deferred:
		x.Deferred(1)
	}
	if o.T.Remote.IsValid() && len(o.Reply) >= 3 {
		// A reply from a server (local outcomes have no remote).
		if code, err := strconv.Atoi(o.Reply[:3]); err == nil {
			x.Reply(code)
		}
	}
}

// coldMoved counts recipients moved to a cold vMTA (a Deliverer's loop).
func (h *metricsHooks) coldMoved(n int) {
	if x := h.m.Load(); x != nil {
		x.ColdMoved(n)
	}
}

// remoteBounced counts one bounce the bounce processor read.
func (h *metricsHooks) remoteBounced(category string) {
	if x := h.m.Load(); x != nil {
		x.RemoteBounced(category)
	}
}

// complaint counts one feedback report by type.
func (h *metricsHooks) complaint(feedbackType string) {
	if x := h.m.Load(); x != nil {
		x.Complaint(feedbackType)
	}
}

// metricsSample answers a scrape's gauges. The queues come from the
// shards (asked on their loops, bounded by sampleTimeout) and are kept
// for sampleEvery, so frequent scrapes do not each walk every queue.
func (rn *Running) metricsSample() metrics.Sample {
	rn.sampleMu.Lock()
	defer rn.sampleMu.Unlock()
	if time.Since(rn.sampledAt) >= sampleEvery {
		ctx, cancel := context.WithTimeout(context.Background(), sampleTimeout)
		qs, err := rn.Queues(ctx, api.QueueFilter{})
		cancel()
		if err == nil {
			rn.sampledQueues, rn.sampledAt = qs, time.Now()
		}
	}
	s := metrics.Sample{SpoolMessages: rn.spoolInfo().Messages, SpoolBytes: int64(rn.spool.DiskUsage())}
	for _, q := range rn.sampledQueues {
		mode := q.Mode
		if q.Paused {
			mode = metrics.ModePaused
		}
		s.Queues = append(s.Queues, metrics.QueueSample{Name: q.Name, Recipients: q.Recipients, Mode: mode})
		s.ConnectionsOut += q.Connections
	}
	for _, p := range rn.parts {
		s.ConnectionsIn += p.service.Sessions()
	}
	now := time.Now()
	s.Warmups = rn.warm.holding(rn.snap.Current(), now)
	s.SourcesDisabled = rn.sources.count(now)
	return s
}

// count returns how many distinct source addresses are disabled now for
// some queue, for the metrics.
func (d *disabledSources) count(now time.Time) int {
	l := d.list.Load()
	if l == nil {
		return 0
	}
	seen := make(map[netip.Addr]bool, len(*l))
	for _, s := range *l {
		if s.until.IsZero() || now.Before(s.until) {
			seen[s.ip] = true
		}
	}
	return len(seen)
}

const (
	sampleEvery   = time.Second
	sampleTimeout = 2 * time.Second
)

// sampleState is metricsSample's cache.
type sampleState struct {
	sampleMu      sync.Mutex
	sampledAt     time.Time
	sampledQueues []api.Queue
}

// MetricsHandler serves /metrics.
func (rn *Running) MetricsHandler() http.Handler { return rn.metrics.Handler() }
