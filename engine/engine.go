// Package engine wires volleyd together for one config snapshot: the
// spool, the shard loops with their inbound sessions, queues and
// deliverers, the settler, and the pickup directory.
//
// Responsibility: start everything in order (spool first, so nothing is
// accepted that cannot be stored; queues rebuilt from the spool), run
// until the context ends, then stop in reverse order: listeners and
// sessions first (a graceful drain), the settler after the shards, the
// spool last.
//
// Not responsible for: flags, signals and the process (cmd/volleyd).
//
// Concurrency: Run starts the shard goroutines (engine/shard), the
// settler, the pickup goroutine, the spool scan that requeues at start,
// and short-lived goroutines for each route lookup and each spool read of
// cold messages; the spool's committer answers the shards' appends. Shards hand recipients to
// each other and outcomes to the settler through rings only.
//
// Failure behaviour: a config without a <spool> block, a spool that does
// not open or a listener that cannot bind makes Run return an error before
// anything is served. A session in the middle of a message when the drain
// times out never got its 250, so the client sends the message again; a
// delivery in flight at the stop is deferred, and one whose outcome was
// not yet recorded is tried again after the restart (at-least-once).
package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound"
	"github.com/volleymta/volley/engine/metrics"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/pickup"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/shard"
	"github.com/volleymta/volley/engine/suppress"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

// Options configure Run.
type Options struct {
	// Config is the configuration to run. Required.
	Config *config.Config
	// ConfigPath is the file Config was loaded from, which Reload reads
	// again ("": the embedded default).
	ConfigPath string
	// Version is the release, for the management API's status.
	Version string
	// Logf receives operational log lines. Default: dropped.
	Logf func(format string, args ...any)
	// Ready, when set, is called once every listener is bound, with the
	// running engine (valid until Run returns).
	Ready func(*Running)
	// DrainTimeout bounds the graceful stop: how long sessions in the
	// middle of a transaction may take to finish it once ctx ends
	// (default 30 s). Those still open then are cut; their clients never
	// got a 250 and send again.
	DrainTimeout time.Duration
}

// Running is a started engine, as Ready sees it.
type Running struct {
	// Listeners are the bound addresses (shard 0's; every shard binds the
	// same ones).
	Listeners []netip.AddrPort
	// Rebuilt is closed once every message in the spool at start is back
	// in its queue.
	Rebuilt <-chan struct{}
	group   *shard.Group
	inboxes []*queue.Inbox
	acct    *acct.Files

	parts      []shardParts // by shard ID
	backlog    *backlog
	spool      *spool.Spool
	svc        *inbound.Service
	snap       *config.Snapshot
	stats      *stats
	jobsPaused *pausedJobs
	sources    *disabledSources
	sup        *suppression
	proc       *processors
	warm       *warmups
	rules      *bounceRules
	vmtaRates  *outbound.VMTARates
	resolver   *routeResolver
	precache   *precache
	version    string
	logf       func(string, ...any)
	reloader   *reloader
	metrics    *metrics.Metrics
	sampleState
	// appender stores and routes messages injected through the API.
	appender routingAppender
}

// RotateAcct starts new accounting files (SIGUSR1, `volley rotate acct`).
// Safe from any goroutine.
func (rn *Running) RotateAcct() error { return rn.acct.Rotate() }

// ShardQueues returns, per shard, the queues that shard owns and their
// sizes. It asks each shard on its loop and waits for the answers or ctx.
func (rn *Running) ShardQueues(ctx context.Context) ([][]queue.Summary, error) {
	out := make([][]queue.Summary, rn.group.Count())
	for i, in := range rn.inboxes {
		got := make(chan []queue.Summary, 1)
		if err := rn.group.Post(i, func() { got <- in.Table().Summaries() }); err != nil {
			return nil, err
		}
		select {
		case out[i] = <-got:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// Run serves the config until ctx ends.
func Run(ctx context.Context, opts Options) error {
	cfg := opts.Config
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if len(cfg.Spools) == 0 {
		return errors.New("engine: the config has no <spool> block")
	}
	dir := cfg.Spools[0].Dir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("engine: spool %s: %w", dir, err)
	}
	minFree := cfg.Spools[0].MinFreeSpace
	if minFree == 0 {
		minFree = cfg.Global.SpoolMinFreeSpace
	}
	sp, err := spool.Open(dir, spool.Options{Logf: logf, MinFreeSpace: minFree})
	if err != nil {
		return fmt.Errorf("engine: spool %s: %w", dir, err)
	}
	defer sp.Close()
	sup, err := openSuppression(cfg, dir)
	if err != nil {
		return err
	}
	defer sup.store.Close()

	var commits sync.WaitGroup
	defer commits.Wait()
	stats := newStats(time.Now())
	mets := &metricsHooks{}
	snap := config.NewSnapshot(cfg)
	corrupt := corruptHandler(sp, snap.Current, logf)
	rules := &bounceRules{}
	rules.set(cfg)
	// The preparation workers outlive ctx until the sessions have drained:
	// a message in preparation when the stop comes still gets its answer.
	prepCtx, stopPrep := context.WithCancel(context.Background())
	defer stopPrep()
	prep := newPreparer(prepCtx, cfg, logf)
	bl := newBacklog(cfg.Global.SpoolMaxRecipients)
	svc, err := inbound.New(inbound.Options{Config: cfg, Commit: &committer{sp: sp, wg: &commits, config: snap.Current}, Prepare: prep,
		Health: spoolHealth{sp: sp, b: bl}, Logf: logf})
	if err != nil {
		return err
	}
	engine, err := iouring.ParseEngine(orDefault(cfg.Global.IOEngine, "auto"))
	if err != nil {
		return err
	}
	for _, a := range cfg.AcctFiles {
		if err := os.MkdirAll(filepath.Dir(a.Path), 0o750); err != nil {
			return fmt.Errorf("engine: acct-file %s: %w", a.Path, err)
		}
	}
	acctFiles, err := acct.OpenAll(cfg.AcctFiles, acct.Options{Logf: logf})
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer acctFiles.Close()
	proc := &processors{work: make(chan struct{}, maxProcessing), sup: sup, acct: acctFiles, rules: rules, stats: stats, mets: mets, logf: logf}
	if err := proc.configure(cfg); err != nil {
		return err
	}
	defer proc.wait(5 * time.Second) // before the accounting files and the suppression journal close
	warm, err := openWarmups(dir, logf)
	if err != nil {
		return err
	}
	defer warm.close()
	started := time.Now()
	// spoolReaders are the goroutines that read the spool off the loops
	// (the scan at start, cold messages): the spool closes after them.
	var spoolReaders sync.WaitGroup
	defer spoolReaders.Wait()
	st := newSettler(sp, logf)
	st.record = func(o *outbound.Outcome, m *spool.Message) {
		now := time.Now()
		stats.outcome(o, m, now)
		category, hard := classify(rules.get(), o)
		r := outcomeRecord(o, m, category, now)
		mets.outcome(o, m, category, now)
		acctFiles.Log(&r)
		if hard {
			st.hard = append(st.hard, o.Entry.Addr)
		}
	}
	st.afterBatch = func() {
		if len(st.hard) > 0 {
			addHardBounces(sup, st.hard, logf)
			st.hard = st.hard[:0]
		}
	}
	st.host = cfg.HostName()
	st.dsnFrom = "Mail Delivery System <MAILER-DAEMON@" + st.host + ">"
	st.config = snap.Current
	resolver := newRouteResolver(cfg, logf)
	slots := outbound.NewSlots(cfg)
	vmtaRates := outbound.NewVMTARates(cfg)
	var queueFailed func(*outbound.QueueFailure)
	if acctFiles.Wants(acct.TransientQueue) {
		queueFailed = func(f *outbound.QueueFailure) {
			r := queueFailedRecord(f, time.Now())
			acctFiles.Log(&r)
		}
	}
	var mu sync.Mutex
	var bound []netip.AddrPort
	var inboxes []*queue.Inbox
	var services []*inbound.Shard // by shard ID, each written by its own Setup
	var parts []shardParts        // by shard ID, each written by its own Setup
	jobsPaused := &pausedJobs{}
	sources := &disabledSources{}
	logR := acctFiles.Wants(acct.Received)
	// The appender of pickup, the API and the processors exists before the
	// listeners accept, so mail passed on at once is not dropped; Init
	// gives it the inboxes.
	appender := &routingAppender{sp: sp, sup: sup, settle: st.push, received: func(m *spool.Message) {
		stats.received(m)
		mets.received(m)
	}, prep: prep, config: snap.Current}
	inject := func(m *spool.Message, body []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := appender.Append(ctx, m, body)
		return err
	}
	proc.inject.Store(&inject)
	g, err := shard.Start(shard.Options{Count: cfg.Global.Shards, IO: iouring.Options{Engine: engine, Logf: logf},
		Init: func(shards []*shard.Shard) error {
			for _, s := range shards {
				inboxes = append(inboxes, queue.NewInbox(inboxCapacity, s.Post, queue.NewTable()))
			}
			services = make([]*inbound.Shard, len(shards))
			parts = make([]shardParts, len(shards))
			st.inboxes = inboxes
			appender.inboxes = inboxes
			return nil
		},
		Setup: func(s *shard.Shard) error {
			h := newHandoff(s.Reactor, queue.NewRouter(inboxes, s.ID))
			pusher := newOutcomePusher(s.Reactor, st)
			h.sup, h.proc, h.settle = sup, proc, pusher.settle
			h.received = func(m *spool.Message) {
				stats.received(m)
				mets.received(m)
				if logR {
					logReceived(acctFiles, m)
				}
			}
			d := outbound.NewDeliverer(outbound.DelivererOptions{Reactor: s.Reactor, Table: inboxes[s.ID].Table(), Config: cfg,
				Resolve: resolver.resolve, Load: loadEntries(sp, &spoolReaders, corrupt), Settle: pusher.settle,
				Forward: h.forward, Slots: slots, Logf: logf, QueueFailed: queueFailed, JobPaused: jobsPaused.has,
				SourceDisabled: sources.has, DisableSource: sources.disableFor,
				FirstUse: warm.firstUse, Started: started, VMTARates: vmtaRates, ColdMoved: mets.coldMoved,
				Suppressed: func(addr string) (string, bool) {
					if sup.atDelivery(addr) {
						return suppressedReply(suppress.StoreList), true
					}
					return "", false
				}})
			sh, err := svc.Listen(s.Reactor, h.accepted)
			services[s.ID] = sh
			parts[s.ID] = shardParts{table: inboxes[s.ID].Table(), deliverer: d, service: sh}
			addrs := sh.Addrs
			if s.ID == 0 {
				mu.Lock()
				bound = addrs
				mu.Unlock()
			}
			return err
		}})
	if err != nil {
		st.close()
		return err
	}
	logf("volleyd: %d shards on %s, listening on %v, spool %s", g.Count(), g.Engine(), bound, dir)
	rebuilt := make(chan struct{})
	spoolReaders.Add(1)
	go func() {
		defer spoolReaders.Done()
		defer close(rebuilt)
		requeue(ctx, sp, inboxes, &stats.spooled, corrupt, logf)
	}()
	rn := &Running{Listeners: bound, Rebuilt: rebuilt, group: g, inboxes: inboxes, acct: acctFiles,
		parts: parts, spool: sp, svc: svc, snap: snap, stats: stats, jobsPaused: jobsPaused, sources: sources, resolver: resolver, precache: &precache{},
		version: opts.Version, logf: logf, rules: rules, sup: sup, proc: proc, warm: warm, vmtaRates: vmtaRates}
	rn.appender = *appender
	// Pickup and the API are refused past spool-max-recipients, as SMTP is;
	// the engine's own copies (DSNs, processors' pass-ons) are not.
	rn.appender.backlog, rn.backlog = bl, bl
	rn.metrics = metrics.New(metrics.Options{Engine: g.Engine().String(), Shards: g.Count(), Sample: rn.metricsSample})
	mets.m.Store(rn.metrics)
	backoff := func(pattern, what string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if res, err := rn.QueueAction(ctx, pattern, ActionBackoff); err == nil {
			logf("volleyd: complaint rate of %s past %.1f%% of its deliveries this hour: %d queues to backoff mode",
				what, complaintBackoffRate*100, len(res.Affected))
		}
	}
	proc.backoff.Store(&backoff)
	rn.reloader = &reloader{path: opts.ConfigPath, loaded: time.Now(), live: map[string]*config.Block{},
		removed: map[string]bool{}, apply: rn.apply}
	if opts.Ready != nil {
		opts.Ready(rn)
	}
	go sweepClients(ctx, svc)
	go tickMinutes(ctx, stats)
	go bl.sample(ctx, g, inboxes)
	go rn.precache.run(ctx, resolver, snap.Current, logf)
	pickupDone := startPickup(ctx, cfg, pickupSource{to: rn.appender, config: snap.Current, logf: logf}, logf)
	<-ctx.Done()
	drain(g, services, orDefaultDuration(opts.DrainTimeout, 30*time.Second), logf)
	stopPrep()
	g.Stop()
	err = g.Wait()
	st.close() // after the shards: their last outcomes are recorded
	if h := &st.delivered; h.count.Load() > 0 {
		logf("volleyd: %d recipients delivered; queued to delivered p50 %v, p99 %v", h.count.Load(),
			h.quantile(0.5), h.quantile(0.99))
	}
	<-pickupDone
	return err
}

// tickMinutes closes each minute of the rate history the web monitor charts.
func tickMinutes(ctx context.Context, s *stats) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.tickMinute(now)
		case <-ctx.Done():
			return
		}
	}
}

// apply puts a reloaded config in force: the inbound service first (it
// may refuse: a certificate that does not load), then every shard's
// deliverer on its loop, then the snapshot the rest reads.
func (rn *Running) apply(cfg *config.Config) error {
	set, err := rn.sup.build(cfg)
	if err != nil {
		return err
	}
	bounceTo, fblTo, err := buildProcessorSets(cfg)
	if err != nil {
		return err
	}
	if err := rn.svc.Reconfigure(cfg); err != nil {
		return err
	}
	rn.sup.set.Store(set)
	rn.rules.set(cfg)
	rn.vmtaRates.Reconfigure(cfg)
	rn.backlog.limit.Store(int64(cfg.Global.SpoolMaxRecipients))
	rn.proc.bounceTo.Store(bounceTo)
	rn.proc.fblTo.Store(fblTo)
	for i, p := range rn.parts {
		d := p.deliverer
		if err := rn.group.Post(i, func() { d.Reconfigure(cfg) }); err != nil {
			return err
		}
	}
	rn.snap.Set(cfg)
	return nil
}

// sweepClients forgets idle client IPs every minute (inbound.Service.Sweep).
func sweepClients(ctx context.Context, svc *inbound.Service) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			svc.Sweep(now)
		case <-ctx.Done():
			return
		}
	}
}

// startPickup runs the pickup directory when the config has one.
func startPickup(ctx context.Context, cfg *config.Config, sp pickup.Appender, logf func(string, ...any)) <-chan struct{} {
	done := make(chan struct{})
	pc := cfg.Global.Pickup
	if pc.Dir == "" {
		close(done)
		return done
	}
	if err := os.MkdirAll(pc.Dir, 0o750); err != nil {
		logf("volleyd: pickup disabled: %v", err)
		close(done)
		return done
	}
	p, err := pickup.New(pickup.Options{Dir: pc.Dir, BadDir: pc.BadDir, Spool: sp,
		RemoveDot: cfg.Global.PickupRemoveDot, Logf: logf})
	if err != nil {
		logf("volleyd: pickup disabled: %v", err)
		close(done)
		return done
	}
	go func() {
		defer close(done)
		if err := p.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logf("volleyd: pickup stopped: %v", err)
		}
	}()
	return done
}

// committer hands each message to the spool's group committer without
// blocking the shard (spool.AppendAsync: the batch is built on the loop,
// the fsync shared with everything waiting); wg counts the appends not
// yet answered, so Run closes the spool only after them.
type committer struct {
	sp     *spool.Spool
	wg     *sync.WaitGroup
	config func() *config.Config
}

func (c *committer) Commit(m *spool.Message, body []byte, done func(spool.ID, error)) {
	applyAliases(c.config(), m)
	c.wg.Add(1)
	c.sp.AppendAsync(m, body, func(id spool.ID, err error) {
		defer c.wg.Done()
		done(id, err)
	})
}

// applyAliases sends the recipients an alias line names to its target
// before the message is stored, keeping the address they were sent to as
// their ORCPT (unless the client gave one).
func applyAliases(cfg *config.Config, m *spool.Message) {
	if len(cfg.Global.Aliases) == 0 {
		return
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		if to, ok := cfg.Alias(r.Addr); ok {
			if r.ORCPT == "" {
				r.ORCPT = "rfc822;" + r.Addr
			}
			r.Addr = to
		}
	}
}

// drain stops the inbound service gracefully: no new connections, idle
// sessions closed, transactions in progress finished, all within timeout.
func drain(g *shard.Group, services []*inbound.Shard, timeout time.Duration, logf func(string, ...any)) {
	for i, sh := range services {
		_ = g.Post(i, sh.Drain)
	}
	deadline := time.Now().Add(timeout)
	for {
		open := 0
		for _, sh := range services {
			open += sh.Sessions()
		}
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			logf("volleyd: %d sessions still open after %v; closing them", open, timeout)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func orDefaultDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
