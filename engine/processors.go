package engine

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/bounce"
	"github.com/volleymta/volley/engine/config"
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
// deliver-matched-email yes they are delivered as well.
type processors struct {
	bounceTo atomic.Pointer[processorSet]
	// work bounds the messages read at once off the loops.
	work    chan struct{}
	sup     *suppression
	acct    *acct.Files
	cfg     func() *config.Config
	stats   *stats
	logf    func(string, ...any)
	pending atomic.Int64
}

// processorSet is one processor block, built for matching addresses.
type processorSet struct {
	lists   []*suppress.List
	deliver bool // deliver-matched-email
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
	ps := &processorSet{deliver: pc.DeliverMatchedEmail}
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

// take reports whether recipient rc of a just accepted message is a
// processor's, and whether it should also be delivered. On the loop.
func (p *processors) take(rc *spool.Recipient) (processed, deliver bool) {
	ps := p.bounceTo.Load()
	if ps == nil || !ps.matches(rc.Addr) {
		return false, true
	}
	return true, ps.deliver
}

// process reads one bounce off the loop: rb/rs records and suppression.
func (p *processors) process(m *spool.Message, body []byte) {
	p.pending.Add(1)
	go func() {
		defer p.pending.Add(-1)
		p.work <- struct{}{}
		defer func() { <-p.work }()
		now := time.Now()
		cs := bounce.Classify(body, bouncePatterns(p.cfg()))
		if len(cs) == 0 {
			p.logf("volleyd: bounce processor: message from <%s> reports no failed recipient", m.From)
			return
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
			if c.Hard && c.Recipient != "" {
				hard = append(hard, c.Recipient)
			}
		}
		p.stats.cur.remoteBounces.Add(uint64(len(cs)))
		if len(hard) > 0 {
			addHardBounces(p.sup, hard, p.logf)
		}
	}()
}

// processedReply is the outcome text of a processor's recipient.
const processedReply = "250 2.6.0 Processed by the bounce processor"

// processedOutcome settles a processor's recipient of message id.
func processedOutcome(id spool.ID, m *spool.Message, rc *spool.Recipient) outbound.Outcome {
	return outbound.Outcome{Entry: queue.Entry{ID: id, Index: rc.Index, Addr: rc.Addr, Msg: m}, Kind: outbound.Delivered,
		Reply: processedReply, Stage: smtpwire.StageData}
}

// configure builds the processor blocks of cfg (a problem in one is a
// start-up error).
func (p *processors) configure(cfg *config.Config) error {
	ps, probs := buildProcessorSet(cfg.BounceProcessor)
	if len(probs) > 0 {
		return fmt.Errorf("engine: <bounce-processor>: %v", probs[0])
	}
	p.bounceTo.Store(ps)
	return nil
}

// wait lets the bounces being read finish, up to limit.
func (p *processors) wait(limit time.Duration) {
	for deadline := time.Now().Add(limit); p.pending.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}
