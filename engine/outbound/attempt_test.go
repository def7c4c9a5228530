package outbound

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

// deliverHarness runs a Deliverer on a real loop, every domain routed to
// routes[domain], and records what it settles and reports.
type deliverHarness struct {
	r   iouring.Reactor
	tab *queue.Table
	d   *Deliverer

	mu    sync.Mutex
	outs  []Outcome
	fails []QueueFailure
	cold  int
	next  byte
}

func newDeliverHarness(t *testing.T, conf string, routes map[string]string, set func(*DelivererOptions)) *deliverHarness {
	t.Helper()
	cfg, probs := config.LoadText("test.conf", []byte(conf))
	if len(probs) > 0 {
		t.Fatalf("config: %v", probs)
	}
	h := &deliverHarness{r: startLoop(t), tab: queue.NewTable()}
	o := DelivererOptions{Reactor: h.r, Table: h.tab, Config: cfg,
		Resolve: func(domain string, _ *config.DomainSettings, done func(Route)) {
			ap := netip.MustParseAddrPort(routes[domain])
			done(Route{Hosts: []Host{{Name: "mx." + domain, Addrs: []netip.AddrPort{ap}}}, Expires: time.Now().Add(time.Hour)})
		},
		Load: func(es []queue.Entry, done func([]queue.Entry, error)) { done(es, nil) },
		Settle: func(out []Outcome) {
			h.mu.Lock()
			h.outs = append(h.outs, out...)
			h.mu.Unlock()
		},
		Forward: func(r queue.Ready) { _ = h.r.Post(func() { h.tab.Add(r) }) },
		QueueFailed: func(f *QueueFailure) {
			h.mu.Lock()
			h.fails = append(h.fails, *f)
			h.mu.Unlock()
		},
		ColdMoved: func(n int) {
			h.mu.Lock()
			h.cold += n
			h.mu.Unlock()
		},
	}
	if set != nil {
		set(&o)
	}
	h.onLoop(func() { h.d = NewDeliverer(o) })
	return h
}

// onLoop runs fn on the loop and waits for it.
func (h *deliverHarness) onLoop(fn func()) {
	done := make(chan struct{})
	_ = h.r.Post(func() { fn(); close(done) })
	<-done
}

// add queues a one-recipient message to addr for vmta.
func (h *deliverHarness) add(addr, vmta string) {
	h.next++
	var id spool.ID
	id[0] = h.next
	m := &spool.Message{From: "s@origin.test", VMTA: vmta, Received: time.Now(),
		Recipients: []spool.Recipient{{Addr: addr}}}
	h.onLoop(func() {
		h.tab.Add(queue.Ready{ID: id, Key: queue.KeyFor(addr, vmta), Addr: addr, Msg: m, Body: []byte("Subject: t\r\n\r\nhi\r\n")})
	})
}

// outcome waits for addr's outcome.
func (h *deliverHarness) outcome(t *testing.T, addr string) Outcome {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		for _, o := range h.outs {
			if o.Entry.Addr == addr {
				h.mu.Unlock()
				return o
			}
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no outcome for %s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *deliverHarness) queue(k queue.Key) *queue.Queue {
	var q *queue.Queue
	h.onLoop(func() { q = h.tab.Ensure(k) })
	return q
}

// TestOutcomeModeAndWarmup: an attempt's outcome carries the mode it was
// made in (the reply that switches the queue to backoff is still normal,
// the next attempt is backoff) and the warm-up share of its source.
func TestOutcomeModeAndWarmup(t *testing.T) {
	addr, _ := scriptedServer(t)
	h := newDeliverHarness(t, `<virtual-mta v1>
    smtp-source-host 127.0.0.1 v1.test
</virtual-mta>
<smtp-pattern-list slow>
    reply /4\.2\.0 try later/ mode=backoff
</smtp-pattern-list>
<domain a.test>
    smtp-pattern-list slow
    warmup 7d
    retry-after 1h
    backoff-retry-after 1h
</domain>
`, map[string]string{"a.test": addr}, func(o *DelivererOptions) {
		o.FirstUse = func(netip.Addr, string, time.Time) time.Time { return time.Now().Add(-25 * time.Hour) } // day 1 of 7
	})
	h.add("defer1@a.test", "v1")
	o := h.outcome(t, "defer1@a.test")
	want := 0.5644739300537774 // 1.1^(1-7)
	if o.Kind != Deferred || o.Mode != queue.ModeNormal || o.Warmup < want-1e-9 || o.Warmup > want+1e-9 {
		t.Fatalf("the attempt that switched to backoff: %v %v %v", o.Kind, o.Mode, o.Warmup)
	}
	if q := h.queue(queue.Key{Domain: "a.test", VMTA: "v1"}); q.Mode() != queue.ModeBackoff {
		t.Fatalf("queue mode %v after the reply", q.Mode())
	}
	h.add("ok@a.test", "v1")
	if o := h.outcome(t, "ok@a.test"); o.Kind != Delivered || o.Mode != queue.ModeBackoff || o.Warmup < want-1e-9 {
		t.Fatalf("the next attempt: %v %v %v", o.Kind, o.Mode, o.Warmup)
	}
}

// TestOutcomeModeWithoutAttempt: outcomes no connection made (every
// address refused, an operator's delete) carry the queue's mode and no
// warm-up share; the refused connection's QueueFailure carries the mode.
func TestOutcomeModeWithoutAttempt(t *testing.T) {
	h := newDeliverHarness(t, `<domain b.test>
    retry-after 1h
    backoff-retry-after 1h
</domain>
`, map[string]string{"b.test": "127.0.0.1:1"}, nil)
	k := queue.Key{Domain: "b.test"}
	q := h.queue(k)
	h.onLoop(func() { h.d.SetMode(q, true) })
	h.add("r1@b.test", "")
	o := h.outcome(t, "r1@b.test")
	if o.Kind != Deferred || o.Mode != queue.ModeBackoff || o.Warmup != 0 || !strings.Contains(o.Reply, "No host") {
		t.Fatalf("deferred by a refused connection: %+v", o)
	}
	h.mu.Lock()
	fails := append([]QueueFailure(nil), h.fails...)
	h.mu.Unlock()
	if len(fails) != 1 || fails[0].Key != k || fails[0].Mode != queue.ModeBackoff || fails[0].Warmup != 0 || fails[0].Err == nil {
		t.Fatalf("queue failures: %+v", fails)
	}
	h.onLoop(func() { h.d.SetMode(q, false) })
	var n int
	h.onLoop(func() { n = h.d.Delete(q, func(*queue.Entry) bool { return true }, false) })
	if n != 1 {
		t.Fatalf("deleted %d", n)
	}
	h.mu.Lock()
	last := h.outs[len(h.outs)-1]
	h.mu.Unlock()
	if last.Category != "deleted" || last.Mode != queue.ModeNormal {
		t.Fatalf("deleted: %+v", last)
	}
}

// TestSuppressedAtDeliveryMode: a recipient suppressed before its attempt
// is bounced with the queue's mode and no warm-up share.
func TestSuppressedAtDeliveryMode(t *testing.T) {
	addr, _ := scriptedServer(t)
	h := newDeliverHarness(t, "", map[string]string{"c.test": addr}, func(o *DelivererOptions) {
		o.Suppressed = func(a string) (string, bool) { return "550 5.7.1 suppressed", strings.HasPrefix(a, "gone") }
	})
	h.add("gone@c.test", "")
	if o := h.outcome(t, "gone@c.test"); o.Kind != Bounced || o.Category != "suppressed" || o.Mode != queue.ModeNormal || o.Warmup != 0 {
		t.Fatalf("suppressed: %+v", o)
	}
}

// TestColdMovedCounted: the recipients a vMTA sends through its cold vMTA
// are reported to ColdMoved, the others are not.
func TestColdMovedCounted(t *testing.T) {
	addr, _ := scriptedServer(t)
	h := newDeliverHarness(t, `<virtual-mta hot>
    smtp-source-host 127.0.0.1 hot.test
    cold-virtual-mta cold1
    <domain d.test>
        max-cold-virtual-mta-msg 2/d
    </domain>
</virtual-mta>
<virtual-mta cold1>
    smtp-source-host 127.0.0.1 cold.test
</virtual-mta>
`, map[string]string{"d.test": addr}, nil)
	for _, a := range []string{"r1@d.test", "r2@d.test", "r3@d.test"} {
		h.add(a, "hot")
	}
	for _, a := range []string{"r1@d.test", "r2@d.test", "r3@d.test"} {
		if o := h.outcome(t, a); o.Kind != Delivered || o.Mode != queue.ModeNormal {
			t.Fatalf("%s: %+v", a, o)
		}
	}
	h.mu.Lock()
	cold := h.cold
	h.mu.Unlock()
	if cold != 2 {
		t.Fatalf("%d recipients reported moved to the cold vMTA, want 2", cold)
	}
}
