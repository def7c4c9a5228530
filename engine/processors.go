package engine

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/bounce"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/fbl"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/suppress"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// processors take the mail addressed to the <bounce-processor> block's
// address lists (asynchronous bounces: DSNs and the free-form reports
// receivers send later) instead of delivering it: each bounce becomes an
// rb record (rs for a delay report) with its category, and a hard one
// puts the bounced address on the runtime suppression list. The message's
// processor recipients are settled as processed; with
// deliver-matched-email yes they are delivered as well. A message that is
// not a report (a person's reply to a bounce address) is unmatched, one
// that cannot be read is an error: PowerMTA's deliver-unmatched-email
// (default yes) delivers those to the processor's addresses all the same,
// forward-unmatched-to and forward-errors-to send them to another address
// instead, as a new message injected for it. The processor recipients are
// settled after that, so a crash in between reads the message again.
type processors struct {
	bounceTo atomic.Pointer[processorSet]
	fblTo    atomic.Pointer[processorSet]
	// work bounds the messages read at once off the loops.
	work  chan struct{}
	sup   *suppression
	acct  *acct.Files
	rules *bounceRules
	// backoff puts the queues pattern matches in backoff mode (complaint
	// rate: "domain/*" for a domain, "*/vmta" for a vMTA); what names them
	// in the log line. Run sets it once the shards run, while reports may
	// already be read: hence atomic.
	backoff atomic.Pointer[func(pattern, what string)]
	stats   *stats
	mets    *metricsHooks
	logf    func(string, ...any)
	pending atomic.Int64
	// inject stores and routes a new message (unmatched and error
	// mail passed on); Run sets it once the appender exists.
	inject atomic.Pointer[func(m *spool.Message, body []byte) error]
}

// processorSet is one processor block, built for matching addresses.
type processorSet struct {
	lists   []*suppress.List
	deliver bool // deliver-matched-email
	// deliverUnmatched, forwardUnmatched and forwardErrors say where mail
	// that is not a report, or cannot be read, goes.
	deliverUnmatched                bool
	forwardUnmatched, forwardErrors string
}

func (p *processorSet) matches(addr string) bool {
	for _, l := range p.lists {
		if _, ok := l.Check(addr); ok {
			return true
		}
	}
	return false
}

// buildProcessorSet turns a processor block into matchers (nil: none).
func buildProcessorSet(pc *config.Processor) (*processorSet, []error) {
	if pc == nil {
		return nil, nil
	}
	ps := &processorSet{deliver: pc.DeliverMatchedEmail, deliverUnmatched: pc.DeliverUnmatchedEmail,
		forwardUnmatched: pc.ForwardUnmatchedTo, forwardErrors: pc.ForwardErrorsTo}
	var problems []error
	for _, al := range pc.AddressLists {
		l, errs := suppress.LoadList(suppress.ListSpec{Name: al.Name, Addresses: al.Addresses, Domains: al.Domains,
			AddressFiles: al.AddressFiles})
		problems = append(problems, errs...)
		ps.lists = append(ps.lists, l)
	}
	return ps, problems
}

// maxProcessing bounds the bounces read at once.
const maxProcessing = 4

// Which processor a recipient is for.
const (
	toNone = iota
	toBounce
	toFeedback
)

// take reports which processor recipient rc of a just accepted message
// is for, and whether it should also be delivered. On the loop.
func (p *processors) take(rc *spool.Recipient) (to int, deliver bool) {
	if ps := p.fblTo.Load(); ps != nil && ps.matches(rc.Addr) {
		return toFeedback, ps.deliver
	}
	if ps := p.bounceTo.Load(); ps != nil && ps.matches(rc.Addr) {
		return toBounce, ps.deliver
	}
	return toNone, true
}

// How a message read by a processor turned out.
const (
	readMatched   = iota // a report: recorded
	readUnmatched        // not a report
	readError            // a report that cannot be read
)

// process reads one report off the loop: a bounce (rb/rs records and
// suppression) or a feedback report (f records, suppression, counts).
// addrs are the processor recipients that were not delivered: where an
// unmatched message goes under deliver-unmatched-email. finished runs
// when all that is done: settle is false when a message to pass on could
// not be stored, and the recipients then stay in the spool.
func (p *processors) process(m *spool.Message, body []byte, to int, addrs []string, finished func(settle bool)) {
	p.pending.Add(1)
	go func() {
		defer p.pending.Add(-1)
		p.work <- struct{}{}
		defer func() { <-p.work }()
		ps, read := p.bounceTo.Load(), 0
		if to == toFeedback {
			ps, read = p.fblTo.Load(), p.feedback(m, body)
		} else {
			read = p.bounces(m, body)
		}
		stored := true
		if read != readMatched && ps != nil {
			stored = p.passOn(ps, m, body, read, addrs)
		}
		finished(stored)
	}()
}

// passOn sends on a message a processor could not use: to
// forward-errors-to or forward-unmatched-to when set, else, under
// deliver-unmatched-email, to the processor addresses it was sent to. It
// reports false when that message could not be stored.
func (p *processors) passOn(ps *processorSet, m *spool.Message, body []byte, read int, addrs []string) bool {
	to := ps.forwardUnmatched
	if read == readError && ps.forwardErrors != "" {
		to = ps.forwardErrors
	}
	if to != "" {
		addrs = []string{to}
	} else if !ps.deliverUnmatched {
		return true
	}
	inject := p.inject.Load()
	if inject == nil || len(addrs) == 0 {
		return true
	}
	fwd := &spool.Message{From: m.From, EnvID: m.EnvID, Ret: m.Ret, Body: m.Body, SMTPUTF8: m.SMTPUTF8,
		Job: m.Job, VMTA: m.VMTA, Origin: "processor " + m.Origin}
	for _, a := range addrs {
		fwd.Recipients = append(fwd.Recipients, spool.Recipient{Addr: a})
	}
	if err := (*inject)(fwd, body); err != nil {
		p.logf("volleyd: processor: message from <%s> not passed on to %v: %v; it stays in the spool, read again at the next start",
			m.From, addrs, err)
		return false
	}
	p.logf("volleyd: processor: message from <%s> is not a report it can read; passed on to %v", m.From, addrs)
	return true
}

// bounces reads one bounce: rb and rs records, hard ones suppressed.
func (p *processors) bounces(m *spool.Message, body []byte) int {
	now := time.Now()
	cs := bounce.Classify(body, p.rules.get())
	if len(cs) == 0 {
		p.logf("volleyd: bounce processor: message from <%s> reports no failed recipient", m.From)
		return readUnmatched
	}
	var hard []string
	for _, c := range cs {
		r := acct.Record{Type: acct.RemoteBounce, TimeLogged: now, TimeQueued: m.Received, Orig: m.From, Rcpt: c.Recipient,
			DSNStatus: c.Status, DSNDiag: c.Diagnostic, BounceCat: c.Category, Format: "dsn", EnvID: m.EnvID}
		if strings.HasPrefix(c.Status, "4.") {
			r.Type, r.DSNAction = acct.RemoteStatus, "delayed"
		}
		r.SrcType, _, _ = strings.Cut(m.Origin, " ")
		if p.acct != nil {
			p.acct.Log(&r)
		}
		p.mets.remoteBounced(c.Category)
		if c.Hard && c.Recipient != "" {
			hard = append(hard, c.Recipient)
		}
	}
	p.stats.cur.remoteBounces.Add(uint64(len(cs)))
	if len(hard) > 0 {
		addHardBounces(p.sup, hard, p.logf)
	}
	return readMatched
}

// processedOutcome settles a processor's recipient of message id.
func processedOutcome(id spool.ID, m *spool.Message, rc *spool.Recipient, to int) outbound.Outcome {
	reply := "250 2.6.0 Processed by the bounce processor"
	if to == toFeedback {
		reply = "250 2.6.0 Processed by the feedback-loop processor"
	}
	return outbound.Outcome{Entry: queue.Entry{ID: id, Index: rc.Index, Addr: rc.Addr, Msg: m}, Kind: outbound.Delivered,
		Reply: reply, Stage: smtpwire.StageData}
}

// feedback reads one feedback report (ARF, XARF, a forwarded complaint):
// an f record per complainer; a complaint (not a not-spam report, not an
// auth-failure report) puts them on the runtime suppression list and
// counts per job, vMTA and domain, and a domain, or a vMTA, whose
// complaints pass complaintBackoffRate of its deliveries this hour has
// its queues put in backoff (stats.go: the complaint-rate backoff).
func (p *processors) feedback(m *spool.Message, body []byte) int {
	r, err := fbl.Parse(body)
	if err != nil {
		p.logf("volleyd: feedback-loop processor: message from <%s>: %v", m.From, err)
		if errors.Is(err, fbl.ErrNotFeedback) {
			return readUnmatched
		}
		return readError
	}
	now := time.Now()
	p.mets.complaint(r.FeedbackType.String())
	for _, c := range r.Complainers {
		rec := acct.Record{Type: acct.Feedback, TimeLogged: now, Orig: r.MailFrom, Rcpt: c, Format: r.Format.String(),
			FeedbackType: r.FeedbackType.String(), UserAgent: r.Reporter, ReportedDomain: r.ReportedDomain, RepSourceIP: r.SourceIP}
		if p.acct != nil {
			p.acct.Log(&rec)
		}
	}
	if !r.Suppress {
		p.logf("volleyd: feedback report (%s, %s) does not suppress its %d recipients", r.Format, r.FeedbackType, len(r.Complainers))
		return readMatched
	}
	entries := make([]suppress.Entry, 0, len(r.Complainers))
	for _, c := range r.Complainers {
		if e, err := suppress.NewEntry(suppress.KindAddress, c); err == nil {
			entries = append(entries, e)
		}
	}
	if _, err := p.sup.store.Add(entries...); err != nil {
		p.logf("volleyd: adding %d complainers to the suppression list: %v", len(entries), err)
	}
	for _, c := range r.Complainers {
		domain := queue.KeyFor(c, "").Domain
		domainOver, vmtaOver := p.stats.complaint(r.Job, r.VirtualMTA, domain)
		backoff := p.backoff.Load()
		if backoff == nil {
			continue
		}
		if domainOver && literalName(domain) {
			(*backoff)(domain+"/*", domain)
		}
		if vmtaOver && literalName(r.VirtualMTA) {
			(*backoff)("*/"+r.VirtualMTA, "virtual MTA "+r.VirtualMTA)
		}
	}
	return readMatched
}

// literalName reports whether a domain or vMTA name taken from a report
// is a plain name, not one that, made into a queue pattern, would match
// other queues (a forged report naming vMTA "*" must not put every queue
// in backoff).
func literalName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "*?[]\\/")
}

// buildProcessorSets builds both processor blocks of cfg; a problem in
// either refuses the config (start or reload).
func buildProcessorSets(cfg *config.Config) (bounceTo, fblTo *processorSet, err error) {
	bounceTo, probs := buildProcessorSet(cfg.BounceProcessor)
	if len(probs) > 0 {
		return nil, nil, fmt.Errorf("engine: <bounce-processor>: %v", probs[0])
	}
	fblTo, probs = buildProcessorSet(cfg.FeedbackLoopProcessor)
	if len(probs) > 0 {
		return nil, nil, fmt.Errorf("engine: <feedback-loop-processor>: %v", probs[0])
	}
	return bounceTo, fblTo, nil
}

// configure builds the processor blocks of cfg (a problem in one is a
// start-up error).
func (p *processors) configure(cfg *config.Config) error {
	ps, fs, err := buildProcessorSets(cfg)
	if err != nil {
		return err
	}
	p.bounceTo.Store(ps)
	p.fblTo.Store(fs)
	return nil
}

// wait lets the bounces being read finish, up to limit.
func (p *processors) wait(limit time.Duration) {
	for deadline := time.Now().Add(limit); p.pending.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}
