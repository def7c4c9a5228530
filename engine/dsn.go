package engine

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/bounce"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// dsnBatch gathers, during one settler burst, the bounced recipients that
// asked for a DSN, one report per message (RFC 3464 §2: one DSN may cover
// several recipients of a message).
type dsnBatch struct {
	msgs  []*spool.Message
	byMsg map[spool.ID][]bounce.Outcome
	// cfg is the config in force: the message's <source> decides whether
	// it gets DSNs (suppress-local-dsn) and what they return
	// (dsn-return-default); ret holds the latter by message.
	cfg *config.Config
	ret map[spool.ID]spool.Ret
}

// add records o when its recipient is owed a failure DSN.
func (b *dsnBatch) add(o *outbound.Outcome, m *spool.Message) {
	if o.Kind != outbound.Bounced || m == nil || o.NoDSN {
		return
	}
	var src *config.SourceSettings
	if b.cfg != nil {
		src = sourceOfOrigin(b.cfg, m.Origin)
	}
	r := recipientOf(m, o.Entry.Index)
	if r.Addr == "" {
		r.Addr = o.Entry.Addr
	}
	bo := bounce.Outcome{Recipient: r, Action: bounce.ActionFailed, Status: enhancedOf(o.Reply),
		RemoteMTA: o.T.MX, Diagnostic: o.Reply}
	if o.T.Remote.IsValid() {
		bo.LastAttempt = time.Now()
	}
	b.report(m, src, bo)
}

// report adds bo to m's DSN when its recipient asked for one of its kind.
func (b *dsnBatch) report(m *spool.Message, src *config.SourceSettings, bo bounce.Outcome) {
	if !bounce.Needed(m, bo, bounce.Policy{Suppress: src != nil && src.SuppressLocalDSN}) {
		return
	}
	if b.byMsg == nil {
		b.byMsg = map[spool.ID][]bounce.Outcome{}
		b.ret = map[spool.ID]spool.Ret{}
	}
	if _, seen := b.byMsg[m.ID]; !seen {
		b.msgs = append(b.msgs, m)
		if src != nil && src.DSNReturnDefault == "full" {
			b.ret[m.ID] = spool.RetFull
		}
	}
	b.byMsg[m.ID] = append(b.byMsg[m.ID], bo)
}

// delayKey names one recipient for its delay notices.
type delayKey struct {
	id    spool.ID
	index uint16
}

// noteDelay is notify-of-delay-every: a recipient deferred with
// NOTIFY=DELAY gets a delay DSN (Action: delayed, Will-Retry-Until its
// bounce-after) each time another such interval since its message came
// in has passed. The settler remembers, for this run, which interval each
// had its notice for; one first seen after a restart counts as notified
// for the interval it is in, so a notice may be skipped across a restart
// but is never sent twice.
func (st *settler) noteDelay(b *dsnBatch, o *outbound.Outcome, m *spool.Message) {
	k := delayKey{o.Entry.ID, o.Entry.Index}
	if o.Kind != outbound.Deferred {
		if len(st.delays) > 0 { // most runs notify nobody: no hashing per delivery
			delete(st.delays, k)
		}
		return
	}
	if m == nil || b.cfg == nil {
		return
	}
	r := recipientOf(m, o.Entry.Index)
	if r.Notify&spool.NotifyDelay == 0 {
		return
	}
	if r.Addr == "" {
		r.Addr = o.Entry.Addr
	}
	ds := b.cfg.Effective(recipientDomain(r.Addr), m.VMTA)
	every := ds.NotifyOfDelayEvery
	if every <= 0 {
		return
	}
	now := time.Now()
	period := int64(now.Sub(m.Received) / every)
	last, seen := st.delays[k]
	if !seen && m.Received.Before(st.started) {
		last = period
	}
	if st.delays == nil {
		st.delays = map[delayKey]int64{}
	}
	st.delays[k] = max(last, period)
	if period <= last {
		return
	}
	bo := bounce.Outcome{Recipient: r, Action: bounce.ActionDelayed, Status: enhancedOf(o.Reply), RemoteMTA: o.T.MX,
		Diagnostic: o.Reply, LastAttempt: now}
	if ds.BounceAfter > 0 {
		bo.WillRetryUntil = m.Received.Add(ds.BounceAfter)
	}
	b.report(m, sourceOfOrigin(b.cfg, m.Origin), bo)
}

// sourceOfOrigin is the <source> a message came in under, as far as its
// Origin tells: the client address of SMTP and the API, the {pickup}
// source for the pickup directory, else the default.
func sourceOfOrigin(cfg *config.Config, origin string) *config.SourceSettings {
	kind, rest, _ := strings.Cut(origin, " ")
	if kind == "pickup" {
		return pickupSettings(cfg)
	}
	ip, _ := netip.ParseAddr(rest)
	return cfg.SourceFor(ip, "", false)
}

// enhancedOf returns the enhanced status code of a reply "550 5.1.1 ...", or "".
func enhancedOf(reply string) string {
	f := strings.Fields(reply)
	if len(f) > 1 && strings.Count(f[1], ".") == 2 {
		return f[1]
	}
	return ""
}

// send builds each DSN and injects it like any message: stored first (the
// null reverse path, to the original sender), then routed to its queue.
// It runs before the burst's updates are committed, so that a crash in
// between repeats a DSN rather than loses one.
func (st *settler) sendDSNs(b *dsnBatch) {
	for _, m := range b.msgs {
		id := m.ID
		original, err := st.sp.Body(id)
		if err != nil {
			st.logf("volleyd: DSN for %s: reading the message: %v", id, err)
			original = nil
		}
		from := st.dsnFrom
		if b.cfg != nil && b.cfg.Global.CustomDSNFrom != "" {
			from = b.cfg.Global.CustomDSNFrom // custom-dsn-from-header
		}
		p := &bounce.Params{ReportingMTA: st.host, Message: m, Outcomes: b.byMsg[id], Original: original,
			From: from, DefaultRet: b.ret[id]}
		dsn, mail, err := bounce.Build(nil, p)
		if err != nil {
			st.logf("volleyd: DSN for %s: %v", id, err)
			continue
		}
		rc := spool.Recipient{Addr: m.From, Notify: spool.NotifyNever}
		dm := &spool.Message{From: "", Body: mail.Body, SMTPUTF8: mail.SMTPUTF8, VMTA: m.VMTA, Job: m.Job,
			Origin: "dsn " + id.String(), Recipients: []spool.Recipient{rc}}
		did, err := st.sp.Append(context.Background(), dm, dsn)
		if err != nil {
			st.logf("volleyd: DSN for %s: storing it: %v", id, err)
			continue
		}
		st.dsns++
		if st.inboxes != nil {
			routeWaiting(st.ctx, queue.NewRouter(st.inboxes, -1), did, dm, dsn)
		}
	}
}
