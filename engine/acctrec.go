package engine

import (
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/bounce"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// outcomeRecord is the accounting record of one delivery outcome: d for a
// delivery, b for a bounce, t for a deferral (PowerMTA's record types).
// category is the bounce category of a bounced outcome (classify). The
// queue's mode and the source's warm-up share go to Volley's queueMode
// and dlvWarmup columns (acct leaves dlvWarmup out of b records).
func outcomeRecord(o *outbound.Outcome, m *spool.Message, category string, now time.Time) acct.Record {
	e := &o.Entry
	r := acct.Record{TimeLogged: now, Rcpt: e.Addr, DlvType: "smtp", DlvTLSProtocol: o.TLSVersion, DlvTLSCipher: o.TLSCipher,
		DSNDiag: diagnostic(o.Reply), QueueMode: o.Mode.String(), DlvWarmup: o.Warmup}
	switch o.Kind {
	case outbound.Delivered:
		r.Type, r.DSNAction = acct.Delivered, "relayed"
	case outbound.Bounced:
		r.Type, r.DSNAction = acct.Bounced, "failed"
		r.BounceCat = category
	default:
		r.Type, r.DSNAction = acct.Transient, "delayed"
	}
	r.DSNStatus = dsnStatus(o.Reply)
	if o.T.Remote.IsValid() {
		r.DlvDestinationIP = o.T.Remote.Addr()
		r.DSNMTA = o.T.MX + " (" + o.T.Remote.Addr().String() + ")"
	}
	if o.T.Source.IsValid() {
		r.DlvSourceIP = o.T.Source
	}
	if m != nil {
		r.TimeQueued, r.Orig, r.VMTA, r.JobID, r.EnvID, r.DlvSize = m.Received, m.From, m.VMTA, m.Job, m.EnvID, m.Size
		r.Queue = queue.KeyFor(e.Addr, m.VMTA).String()
		if v := o.T.VMTA; v != "" && v != m.VMTA {
			r.VMTA, r.VMTAPool = v, m.VMTA // a pool's member delivered it
		}
		r.SrcType, _, _ = strings.Cut(m.Origin, " ")
		if rc := recipientOf(m, e.Index); rc.ORCPT != "" {
			r.Orcpt = rc.ORCPT
		}
	}
	return r
}

// diagnostic types a reply as RFC 3464's Diagnostic-Code does ("smtp;250 ok").
func diagnostic(reply string) string {
	if reply == "" {
		return ""
	}
	return "smtp;" + reply
}

// dsnStatus is the enhanced status of a reply with PowerMTA's wording of
// its class, "2.0.0 (success)"; a reply without one gets the class's X.0.0.
func dsnStatus(reply string) string {
	code := enhancedOf(reply)
	if code == "" && len(reply) > 0 {
		code = reply[:1] + ".0.0"
	}
	switch {
	case strings.HasPrefix(code, "2."):
		return code + " (success)"
	case strings.HasPrefix(code, "4."):
		return code + " (transient failure)"
	case strings.HasPrefix(code, "5."):
		return code + " (permanent failure)"
	}
	return code
}

// logReceived writes a message's r records, one per recipient (PowerMTA's
// reception record). It runs on a shard's loop: acct.Files.Log never blocks.
func logReceived(files *acct.Files, m *spool.Message) {
	for i := range m.Recipients {
		rc := &m.Recipients[i]
		r := acct.Record{Type: acct.Received, TimeLogged: m.Received, TimeQueued: m.Received, Orig: m.From, Rcpt: rc.Addr,
			Orcpt: rc.ORCPT, VMTA: m.VMTA, JobID: m.Job, EnvID: m.EnvID, DlvSize: m.Size,
			Queue: queue.KeyFor(rc.Addr, m.VMTA).String()}
		r.SrcType, _, _ = strings.Cut(m.Origin, " ")
		if _, ip, ok := strings.Cut(m.Origin, " "); ok {
			if a, err := netip.ParseAddr(ip); err == nil {
				r.RcvSourceIP = a
			}
		}
		files.Log(&r)
	}
}

// queueFailedRecord is the tq record of a connection that failed before it
// could deliver anything (PowerMTA's queue-level transient failure).
func queueFailedRecord(f *outbound.QueueFailure, now time.Time) acct.Record {
	k, t := f.Key, f.T
	r := acct.Record{Type: acct.TransientQueue, TimeLogged: now, Queue: k.String(), VMTA: k.VMTA, DlvType: "smtp",
		DSNAction: "delayed", DSNStatus: "4.4.1 (transient failure)", DSNDiag: "X-Volley;" + f.Err.Error(),
		QueueMode: f.Mode.String(), DlvWarmup: f.Warmup}
	if t.Remote.IsValid() {
		r.DlvDestinationIP = t.Remote.Addr()
		r.DSNMTA = t.MX + " (" + t.Remote.Addr().String() + ")"
	}
	if t.Source.IsValid() {
		r.DlvSourceIP = t.Source
	}
	if t.VMTA != "" && t.VMTA != k.VMTA {
		r.VMTA, r.VMTAPool = t.VMTA, k.VMTA
	}
	return r
}

// classify returns the bounce category of a bounced outcome and whether
// it is hard: the category an operator's action set (deleted, suppressed)
// or the classifier's reading of the reply, with the config's own
// <bounce-category-patterns> (patterns) tried first. Other outcomes get "".
func classify(patterns bounce.Patterns, o *outbound.Outcome) (category string, hard bool) {
	if o.Kind != outbound.Bounced {
		return "", false
	}
	if o.Category != "" {
		return o.Category, false
	}
	c := bounce.ClassifyReply(o.Reply, patterns)
	return c.Category, c.Hard
}

// bounceRules holds the config's <bounce-category-patterns> converted for
// the classifier: once per config (at start and at each reload), not once
// per bounce. Safe from any goroutine.
type bounceRules struct {
	p atomic.Pointer[bounce.Patterns]
}

// set converts cfg's list, or none when the config has no such block: the
// classifier's built-in rules cover PowerMTA's default list, which tried
// first would only mask them.
func (r *bounceRules) set(cfg *config.Config) {
	var ps bounce.Patterns
	if cfg.BounceCategoriesWritten {
		ps = make(bounce.Patterns, 0, len(cfg.BounceCategories))
		for _, bc := range cfg.BounceCategories {
			ps = append(ps, bounce.Pattern{Regexp: bc.Regexp, Category: bc.Category})
		}
	}
	r.p.Store(&ps)
}

// get returns the patterns in force.
func (r *bounceRules) get() bounce.Patterns { return *r.p.Load() }
