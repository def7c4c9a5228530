package outbound

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
)

// Host is one destination host of a route, its addresses in the order to try.
type Host struct {
	Name  string
	Addrs []netip.AddrPort
}

// Route is where a queue's mail goes, as Resolve found it.
type Route struct {
	Hosts []Host // in MX preference order
	// NullMX: the domain accepts no mail (RFC 7505): bounce at once.
	NullMX bool
	// Err is why no route was found; Permanent says it will not change
	// (no such domain): bounce, else defer.
	Err       error
	Permanent bool
	// Expires is when to look again.
	Expires time.Time
	// NoAutoRollup marks a route that is not a set of MX hosts (implicit
	// MX, an address literal, smtp-hosts): mx-rollup-auto leaves it alone.
	NoAutoRollup bool
	// Implicit: the domain has no MX records, its own address stands in
	// (RFC 5321 §5.1); bounce-upon-no-mx refuses that.
	Implicit bool
}

// DelivererOptions wire a shard's Deliverer to the rest of the engine.
type DelivererOptions struct {
	Reactor iouring.Reactor
	Table   *queue.Table
	Config  *config.Config
	// Resolve finds a queue's route off the loop and calls done, from any
	// goroutine, with the outcome.
	Resolve func(domain string, ds *config.DomainSettings, done func(Route))
	// Load reads cold recipients' envelopes and bodies off the loop and
	// calls done, from any goroutine, with them filled in (or with err),
	// leaving out those whose message is no longer in the spool.
	Load func(entries []queue.Entry, done func([]queue.Entry, error))
	// Settle receives final and deferred outcomes on the loop; it must not
	// block and must copy what it keeps.
	Settle func(out []Outcome)
	// Forward hands a recipient to another queue (an MX rollup's), on the
	// loop, whichever shard owns it.
	Forward func(r queue.Ready)
	// Suppressed, when set, says whether a recipient is suppressed now and
	// with which reply; checked before each delivery attempt.
	Suppressed func(addr string) (reply string, ok bool)
	// FirstUse, when set, returns when a source address first sent to a
	// domain (recording now if never): the start of its warm-up. Safe from
	// any goroutine.
	FirstUse func(src netip.Addr, domain string, now time.Time) time.Time
	// Started is when the node started, for startup-ramp (zero: no ramp).
	Started time.Time
	// JobPaused, when set, says whether a job's mail is held (`pause job`).
	// Safe from any goroutine; called per transaction.
	JobPaused func(job string) bool
	// SourceDisabled, when set, says whether a source address may not be
	// used for a queue (`disable source IP QUEUE`). Safe from any
	// goroutine; called per connection.
	SourceDisabled func(src netip.Addr, k queue.Key) bool
	// DisableSource, when set, carries out the disable-source-ip action.
	DisableSource DisableSourceFunc
	// VMTARates are the vMTAs' and pools' max-smtp-msg-rate over all
	// shards (nil: none).
	VMTARates *VMTARates
	// Slots caps connections per vMTA and pool over all shards (nil: no caps).
	Slots *Slots
	// QueueFailed, when set, hears of each connection that failed before
	// it could deliver (connect, greeting, TLS), on the loop: PowerMTA's
	// tq accounting record. It must not block nor keep f.
	QueueFailed func(f *QueueFailure)
	// ColdMoved, when set, hears of n recipients moved to a cold virtual
	// MTA's queue (cold-virtual-mta), on the loop, for the metrics. It
	// must not block.
	ColdMoved func(n int)
	Now       func() time.Time
	Logf      func(format string, args ...any)
}

// Deliverer runs the deliveries of one shard's queues: it finds routes,
// opens connections within max-smtp-out, hands sessions transactions and
// puts deferred recipients back with their next retry time.
type Deliverer struct {
	o      DelivererOptions
	queues map[*queue.Queue]*queueState
	// wakeAt is when the pending timer fires (zero: none pending); only
	// the timer of generation wakeGen counts, earlier ones are stale.
	wakeAt  time.Time
	wakeGen uint64
	// poolRR and hostRR turn the pools' members and the vMTAs' source
	// hosts round-robin, one step per connection.
	poolRR, hostRR uint32
	// blocked are queues a connection cap (Slots) held back, in order,
	// each once; idlers are queues that may have idle sessions (entries
	// whose sessions all went are dropped as they are met).
	blocked []*queueState
	idlers  []*queueState
	// proxyDown holds, by <proxy> name, until when a proxy whose server
	// could not be reached is passed over for the next of a vMTA's list.
	proxyDown map[string]time.Time
}

// NewDeliverer returns a Deliverer; call it only on o.Reactor's loop.
func NewDeliverer(o DelivererOptions) *Deliverer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	d := &Deliverer{o: o, queues: make(map[*queue.Queue]*queueState)}
	o.Table.OnAdd = d.added
	return d
}

// queueState is what the Deliverer knows of one queue.
type queueState struct {
	d  *Deliverer
	q  *queue.Queue
	ds *config.DomainSettings
	// rollup is the <mx-rollup-list> queue this domain's mail moves to ("":
	// none); isRollup marks a rollup's own queue, whose route is that of
	// the domain of the recipient at its head.
	rollup   string
	isRollup bool

	route     Route
	hasRoute  bool
	resolving bool
	loading   bool
	// next is the index of the next address to connect to (over all hosts,
	// in order); failed counts connection failures in a row.
	next, failed int
	conns        int
	// plain lists addresses whose TLS handshake failed, with until when
	// they get opportunistic mail in the clear.
	plain map[netip.AddrPort]time.Time
	// idle are open sessions waiting for mail (connection-idle-timeout);
	// listedIdle: the queue is in the Deliverer's idlers.
	idle       []*Session
	listedIdle bool
	// blocked: the queue is in the Deliverer's blocked list.
	blocked bool
	// downUntil: every address failed; until then new arrivals wait
	// without a connection attempt each (downReason says why).
	downUntil  time.Time
	downReason string
	// lastOpen is when the queue last opened a connection
	// (smtp-out-rampup-interval).
	lastOpen time.Time
	// lastError is the last reply or failure that deferred or bounced
	// mail here, for the management API.
	lastError string
	// backoffGen tells a pending return to normal mode from a newer one.
	backoffGen uint64
	// coldPeriod, coldSent and coldRR count the recipients sent through
	// the cold vMTAs in the current max-cold-virtual-mta-msg period.
	coldPeriod time.Time
	coldSent   int64
	coldRR     uint32
	batch      []queue.Entry
	// msgRate and connRate shape the queue (max-msg-rate counts
	// recipients attempted, as PowerMTA does; max-connect-rate
	// connections); kickAt is a pending Kick they asked for.
	msgRate, connRate queue.Limiter
	// volRate meters the bytes delivered (max-data-volume-rate).
	volRate queue.Limiter
	kickAt  time.Time
	// bySource shapes the queue per local source address
	// (source-ip-max-smtp-out, -max-connect-rate, -max-msg-rate).
	bySource map[netip.Addr]*sourceState
}

// sourceState is one source address's share of a queue.
type sourceState struct {
	conns                      int
	connRate, msgRate, volRate queue.Limiter
	// warmup is the share of the rate its warm-up held it to at its last
	// transaction here (0: none), for the outcomes' accounting.
	warmup float64
}

func (st *queueState) sourceOf(a netip.Addr) *sourceState {
	if st.bySource == nil {
		st.bySource = map[netip.Addr]*sourceState{}
	}
	ss := st.bySource[a]
	if ss == nil {
		ss = &sourceState{}
		st.bySource[a] = ss
	}
	return ss
}

// sourceLimit returns the first source-ip-max-smtp-out matching a (0: none).
func sourceLimit(list []config.SourceIPLimit, a netip.Addr) int {
	for _, l := range list {
		if a.IsValid() && l.Prefix.Contains(a) {
			return l.N
		}
	}
	return 0
}

// sourceRate returns the first rate of list matching a (unlimited: none).
func sourceRate(list []config.SourceIPRate, a netip.Addr) config.Rate {
	for _, l := range list {
		if a.IsValid() && l.Prefix.Contains(a) {
			return l.Rate
		}
	}
	return config.Rate{}
}

// sourceAllows reports whether a connection from a may open now, and if
// not how long until its connect rate allows one (0: wait for a close).
func (st *queueState) sourceAllows(a netip.Addr, now time.Time) (bool, time.Duration) {
	ss := st.sourceOf(a)
	if n := sourceLimit(st.ds.SourceIPMaxSMTPOut, a); n > 0 && ss.conns >= n {
		return false, 0
	}
	r := sourceRate(st.ds.SourceIPMaxConnectRate, a)
	return ss.connRate.Take(now, 1, r.Count, r.Per)
}

func (d *Deliverer) state(q *queue.Queue) *queueState {
	st := d.queues[q]
	if st == nil {
		st = &queueState{d: d, q: q, ds: d.o.Config.Effective(q.Key.Domain, q.Key.VMTA)}
		st.isRollup = strings.HasSuffix(q.Key.Domain, ".rollup") // no such TLD: only rollups end so
		d.queues[q] = st
	}
	return st
}

// Kick looks at q: a route first, then connections for what is ready.
// added is the table's OnAdd: new mail for q. With retry-upon-new-mail it
// ends the wait a queue whose every address failed is in.
func (d *Deliverer) added(q *queue.Queue) {
	if st := d.state(q); st.ds.RetryUponNewMail && !st.downUntil.IsZero() {
		st.downUntil, st.failed = time.Time{}, 0
	}
	d.Kick(q)
}

func (d *Deliverer) Kick(q *queue.Queue) {
	st := d.state(q)
	if q.Paused {
		return // held: Resume kicks it
	}
	if q.Ready() == 0 {
		if next := q.NextDue(); !next.IsZero() {
			d.schedule(next)
		}
		return
	}
	if key, ok := st.redirect(); ok {
		st.moveTo(key)
		return
	}
	now := d.o.Now()
	if !st.hasRoute || now.After(st.route.Expires) {
		st.resolve()
		if !st.hasRoute {
			return
		}
	}
	if st.rollup != "" {
		st.forward()
		return
	}
	if st.toCold(now) && q.Ready() == 0 {
		return
	}
	r := &st.route
	switch {
	case r.NullMX:
		st.finishReady(Bounced, "556 5.1.10 Recipient address has null MX")
		return
	case r.Implicit && st.ds.BounceUponNoMX:
		st.finishReady(Bounced, "550 5.1.2 "+q.Key.Domain+" has no MX record (bounce-upon-no-mx)")
		return
	case r.Err != nil && r.Permanent:
		st.finishReady(Bounced, "550 5.1.2 "+r.Err.Error())
		return
	case r.Err != nil || len(r.Hosts) == 0:
		reason := "no route"
		if r.Err != nil {
			reason = r.Err.Error()
		}
		st.finishReady(Deferred, "451 4.4.3 "+reason)
		return
	}
	if h := q.Head(); h.Msg == nil || h.Body == nil {
		st.warm()
		return
	}
	for q.Ready() > 0 && len(st.idle) > 0 {
		s := st.idle[len(st.idle)-1]
		st.idle = st.idle[:len(st.idle)-1]
		s.Resume() // false: it quit meanwhile
	}
	max, connectRate := st.ds.MaxSMTPOut, st.ds.MaxConnectRate
	if q.Backoff {
		max, connectRate = st.ds.BackoffMaxSMTPOut, st.ds.BackoffMaxConnectRate
	}
	if max <= 0 {
		max = 1
	}
	if ramp := d.o.Config.Global.StartupRamp; ramp > 0 && !d.o.Started.IsZero() {
		// startup-ramp: concurrency grows with the time since the start.
		// While it grows, the queue is looked at again every twentieth of
		// the ramp to open what the new limit allows.
		if el := now.Sub(d.o.Started); el < ramp {
			max = min(max, 1+int(float64(max)*float64(el)/float64(ramp)))
			st.kickAfter(ramp / 20)
		}
	}
	if now.Before(st.downUntil) {
		st.finishReady(Deferred, st.downReason)
		return
	}
	for st.conns < max && st.conns < q.Ready() && st.failed < st.addrCount() {
		if gap := st.ds.SMTPOutRampupInterval; gap > 0 && st.conns > 0 {
			// smtp-out-rampup-interval: one more connection at a time.
			if wait := st.lastOpen.Add(gap).Sub(now); wait > 0 {
				st.kickAfter(wait)
				break
			}
		}
		if ok, wait := st.connRate.Take(now, 1, connectRate.Count, connectRate.Per); !ok {
			st.kickAfter(wait)
			break
		}
		if !st.connect() {
			break
		}
		st.lastOpen = now
	}
}

// kickAfter kicks the queue again once a rate limit lets it go on.
func (st *queueState) kickAfter(wait time.Duration) {
	at := st.d.o.Now().Add(wait)
	if !st.kickAt.IsZero() && !at.Before(st.kickAt) {
		return
	}
	st.kickAt = at
	st.d.o.Reactor.AfterFunc(wait, func() {
		if st.kickAt.Equal(at) {
			st.kickAt = time.Time{}
			st.d.Kick(st.q)
		}
	})
}

// resolve asks for the queue's route once at a time.
func (st *queueState) resolve() {
	if st.resolving {
		return
	}
	st.resolving = true
	d := st.d
	domain := st.q.Key.Domain
	if h := st.q.Head(); st.isRollup || len(st.ds.SMTPHosts) == 0 && h != nil && queue.KeyFor(h.Addr, "").Domain != domain {
		// A rollup's queue, or a queue-to queue without smtp-hosts: the
		// route of the domain of the recipient at its head.
		if h == nil {
			st.resolving = false
			return
		}
		domain = queue.KeyFor(h.Addr, "").Domain
	}
	d.o.Resolve(domain, st.ds, func(r Route) {
		_ = d.o.Reactor.Post(func() {
			st.resolving = false
			st.route, st.hasRoute, st.next, st.failed = r, true, 0, 0
			if r.Expires.IsZero() {
				st.route.Expires = d.o.Now().Add(5 * time.Minute)
			}
			st.rollup = ""
			if !st.isRollup && !st.ds.DisableMXRollup && d.o.Forward != nil {
				st.rollup = rollupFor(d.o.Config.MXRollups, &st.route)
				cfg := d.o.Config
				if st.rollup == "" && cfg.Global.MXRollupAuto && !cfg.HasDomainBlock(st.q.Key.Domain) {
					st.rollup = autoRollup(&st.route)
				}
			}
			d.Kick(st.q)
		})
	})
}

// rollupFor returns the <mx-rollup-list> queue whose pattern matches one
// of the route's MX hosts ("" for none), first match in the list's order.
func rollupFor(list []config.MXRollup, r *Route) string {
	for _, ru := range list {
		for _, h := range r.Hosts {
			if ru.MX.Match(strings.ToLower(strings.TrimSuffix(h.Name, "."))) {
				return ru.Queue
			}
		}
	}
	return ""
}

// autoRollup names the queue of a route's MX host set (mx-rollup-auto):
// the first of its hosts in name order and a hash of all of them, so that
// domains share a queue exactly when their MX sets are the same, whatever
// the preferences ("" when the route is not an MX set). A domain with its
// own <domain> block keeps its queue (the caller checks).
func autoRollup(r *Route) string {
	if r.NoAutoRollup || r.NullMX || r.Err != nil || len(r.Hosts) == 0 {
		return ""
	}
	names := make([]string, len(r.Hosts))
	for i, h := range r.Hosts {
		names[i] = strings.ToLower(strings.TrimSuffix(h.Name, "."))
	}
	sort.Strings(names)
	h := fnv.New32a()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s~%08x.rollup", names[0], h.Sum32())
}

// redirect is where the queue's settings send its mail instead of
// delivering it: reroute-to-virtual-mta (backoff-reroute-to-virtual-mta
// while in backoff) to the same domain's queue of another vMTA or pool,
// else queue-to to a merged queue of the same vMTA. A reroute that the
// other queue would send straight back is not made.
func (st *queueState) redirect() (queue.Key, bool) {
	if st.d.o.Forward == nil {
		return queue.Key{}, false
	}
	k := st.q.Key
	to := st.ds.RerouteToVirtualMTA
	if st.q.Backoff && st.ds.BackoffRerouteToVirtualMTA != "" {
		to = st.ds.BackoffRerouteToVirtualMTA
	}
	if to != "" && !strings.EqualFold(to, k.VMTA) {
		back := st.d.o.Config.Effective(k.Domain, to)
		if !strings.EqualFold(back.RerouteToVirtualMTA, k.VMTA) {
			return queue.Key{Domain: k.Domain, VMTA: to}, true
		}
	}
	if m := strings.ToLower(st.ds.QueueTo); m != "" && m != k.Domain {
		return queue.Key{Domain: m, VMTA: k.VMTA}, true
	}
	return queue.Key{}, false
}

// forward moves every waiting recipient to the rollup's queue.
func (st *queueState) forward() {
	st.moveTo(queue.Key{Domain: st.rollup, VMTA: st.q.Key.VMTA})
}

// moveTo hands every waiting recipient to the queue of key.
func (st *queueState) moveTo(key queue.Key) {
	for _, e := range st.q.TakeAll(nil) {
		st.d.o.Forward(queue.Ready{ID: e.ID, Index: e.Index, Key: key, Addr: e.Addr, Msg: e.Msg, Body: e.Body,
			Attempts: e.Attempts, Next: e.Next})
	}
}

func (st *queueState) addrCount() int {
	n := 0
	for _, h := range st.route.Hosts {
		n += len(h.Addrs)
	}
	return n
}

// connect opens one session to the next address, from the queue's vMTA.
func (st *queueState) connect() bool {
	d := st.d
	n := st.addrCount()
	if n == 0 {
		return false
	}
	i := st.next % n
	st.next++
	var host string
	var addr netip.AddrPort
	for _, h := range st.route.Hosts {
		if i < len(h.Addrs) {
			host, addr = h.Name, h.Addrs[i]
			break
		}
		i -= len(h.Addrs)
	}
	// The vMTA's next source address that its per-source limits allow.
	var src netip.Addr
	var helo string
	now := d.o.Now()
	allowed := false
	var wait time.Duration
	var member string
	var via *config.Proxy
	var viaPort uint16
	full, unroutable := false, 0
	sources := d.sourceCount(st.q.Key.VMTA)
	for range sources {
		src, helo, member = d.source(st.q.Key.VMTA, addr.Addr().Is4())
		via, viaPort = nil, 0
		if ps := d.proxiesOf(member); len(ps) > 0 {
			p, cl, ok := d.viaProxy(ps, src, addr.Addr().Is4())
			if !ok {
				unroutable++
				continue
			}
			via, viaPort, src = p, cl.Port, cl.IP
			if cl.Host != "" {
				helo = cl.Host
			}
		}
		if d.o.SourceDisabled != nil && src.IsValid() && d.o.SourceDisabled(src, st.q.Key) {
			continue // `disable source`: EnableSource kicks the queue
		}
		ok, w := st.sourceAllows(src, now)
		if ok && !d.o.Slots.acquire(member, st.q.Key.VMTA) {
			ok, full = false, true
		}
		if ok {
			allowed = true
			break
		}
		if w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
	}
	if !allowed && unroutable == sources {
		// No proxy of the vMTA sends to this address's family.
		return !st.addrFailed(host, addr, fmt.Errorf("no proxy of virtual-mta %q can send from an address of the family of %s", member, addr.Addr()))
	}
	if !allowed {
		st.next-- // the same address next time
		if full {
			// A connection cap: an idle session of another queue gives
			// its slot up; a close on this shard kicks the queue, one on
			// another shard is seen within slotRetry.
			if !st.blocked {
				st.blocked = true
				d.blocked = append(d.blocked, st)
			}
			d.quitOneIdle(st)
			wait = max(wait, slotRetry)
		}
		if wait > 0 {
			st.kickAfter(wait)
		}
		return false
	}
	policy := tlsPolicy(st.ds)
	if until, ok := st.plain[addr]; ok && policy == smtpwire.TLSOpportunistic && d.o.Now().Before(until) {
		policy = smtpwire.TLSNone
	}
	opts := &Options{
		Client: smtpwire.ClientConfig{Hostname: helo, TLS: policy, NoPipelining: st.ds.IgnorePipelining,
			UseChunking: !st.ds.IgnoreChunking},
		MaxMsgs:        st.ds.MaxMsgPerConnection,
		ConnectTimeout: st.ds.ConnectTimeout,
		ReplyTimeout:   maxDuration(st.ds.SMTPGreetingTimeout, st.ds.DataSendTimeout),
		IdleTimeout:    st.ds.ConnectionIdleTimeout,
		Rewrite:        d.rewriteOf(member, st.q.Key.VMTA),
	}
	if st.ds.Ignore8BitMIME {
		opts.Client.IgnoreExt |= smtpwire.Ext8BitMIME | smtpwire.ExtBinaryMIME
	}
	if st.ds.IgnoreDSN {
		opts.Client.IgnoreExt |= smtpwire.ExtDSN
	}
	if st.ds.AuthUsername != "" {
		// auth-username / auth-password: a smarthost that wants AUTH; the
		// password goes in the clear only with use-unencrypted-plain-auth.
		opts.Client.AuthMech, opts.Client.AuthUser, opts.Client.AuthPass = smtpwire.AuthPlain|smtpwire.AuthLogin, st.ds.AuthUsername, st.ds.AuthPassword
		opts.Client.AuthInClear = st.ds.UseUnencryptedPlainAuth
	}
	t := Target{Remote: addr, Source: src, MX: host, VMTA: member, Proxy: via, SourcePort: viaPort}
	if _, err := Dial(d.o.Reactor, t, opts, st); err != nil {
		d.o.Logf("outbound: %s: connect to %s (%s): %v", st.q.Key, host, addr, err)
		d.o.Slots.release(member, st.q.Key.VMTA)
		if localShortage(err) {
			// Out of descriptors or socket memory here: the host is not at
			// fault, so the queue is not deferred; it tries again soon.
			st.next--
			st.kickAfter(slotRetry)
			return false
		}
		st.failed++
		return false
	}
	st.conns++
	st.sourceOf(src).conns++
	return true
}

// localShortage reports a connect that failed for want of a local
// resource (descriptors, socket buffers), not because of the remote.
func localShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// sourceCount is how many source addresses the vMTA or pool turns over.
func (d *Deliverer) sourceCount(vmta string) int {
	cfg := d.o.Config
	if p := cfg.Pool(vmta); p != nil && cfg.VMTA(vmta) == nil {
		n := 0
		for _, m := range p.Members {
			n += max(1, len(sourceHosts(cfg, m)))
		}
		return max(1, n)
	}
	return max(1, len(sourceHosts(cfg, cfg.VMTA(vmta))))
}

// slotRetry is how soon a queue held by a vMTA or pool cap looks again.
const slotRetry = time.Second

// proxyRetry is how long a proxy that could not be reached is passed
// over while another of the vMTA's list can take the connection.
const proxyRetry = 30 * time.Second

// rewriteOf returns the <rewrite-list> of a vMTA, else of the pool the
// queue sends through, or nil.
func (d *Deliverer) rewriteOf(member, queueVMTA string) *config.RewriteList {
	if v := d.o.Config.VMTA(member); v != nil && v.Rewrite != nil {
		return v.Rewrite
	}
	if p := d.o.Config.Pool(queueVMTA); p != nil {
		return p.Rewrite
	}
	return nil
}

// proxiesOf returns the proxies a vMTA (or, for mail without one, the
// global use-proxy) sends through; none: it connects itself.
func (d *Deliverer) proxiesOf(vmta string) []*config.Proxy {
	if v := d.o.Config.VMTA(vmta); v != nil {
		return v.Proxies
	}
	return d.o.Config.DefaultProxies
}

// viaProxy picks the proxy for a connection from src (unset: the proxy's
// first client address of the family) to an address of family v4: the
// first of ps that can send from it and was not found unreachable lately;
// when every such proxy was, the first of them, as a probe. ok is false
// when no proxy of ps can send from it.
func (d *Deliverer) viaProxy(ps []*config.Proxy, src netip.Addr, v4 bool) (p *config.Proxy, cl config.ProxyClient, ok bool) {
	now := d.o.Now()
	for _, x := range ps {
		var c config.ProxyClient
		var can bool
		if src.IsValid() {
			c, can = x.Client(src)
		} else {
			c, can = x.FirstClient(v4)
		}
		switch {
		case !can:
		case now.Before(d.proxyDown[x.Name]):
			if p == nil {
				p, cl = x, c
			}
		default:
			return x, c, true
		}
	}
	return p, cl, p != nil
}

// proxyFailed marks the proxy of a connection that could not reach it and
// says whether another proxy can take the vMTA's next connection.
func (d *Deliverer) proxyFailed(t Target, err error) bool {
	if d.proxyDown == nil {
		d.proxyDown = map[string]time.Time{}
	}
	d.proxyDown[t.Proxy.Name] = d.o.Now().Add(proxyRetry)
	p, _, _ := d.viaProxy(d.proxiesOf(t.VMTA), t.Source, t.Remote.Addr().Is4())
	other := p != nil && p != t.Proxy && !d.o.Now().Before(d.proxyDown[p.Name])
	next := "no other proxy of the virtual-mta can take it"
	if other {
		next = "the next connection goes through proxy " + p.Name
	}
	d.o.Logf("outbound: proxy %s (%s) unreachable: %v; %s", t.Proxy.Name, t.Proxy.Server, err, next)
	return other
}

// source picks the virtual MTA's next source address of the right family,
// its host name (round-robin over smtp-source-host lines) and the name of
// the vMTA it belongs to (a pool's member).
func (d *Deliverer) source(vmta string, v4 bool) (netip.Addr, string, string) {
	cfg := d.o.Config
	helo := cfg.HostName()
	v := cfg.VMTA(vmta)
	if v == nil {
		if p := cfg.Pool(vmta); p != nil && len(p.Members) > 0 {
			d.poolRR++
			v = p.Members[int(d.poolRR)%len(p.Members)]
		}
	}
	name := vmta
	if v != nil {
		name = v.Name
		if v.HostName != "" {
			helo = v.HostName
		}
	}
	hosts := sourceHosts(cfg, v)
	for range hosts {
		d.hostRR++
		sh := hosts[int(d.hostRR)%len(hosts)]
		if sh.IP.Is4() == v4 || (sh.IP.Is4In6() && v4) {
			if sh.Host != "" {
				helo = sh.Host
			}
			return sh.IP, helo, name
		}
	}
	return netip.Addr{}, helo, name
}

// sourceHosts are a vMTA's smtp-source-host lines, else the top-level ones
// (PowerMTA's default source for mail without a vMTA of its own, nil v,
// and for vMTAs that name none).
func sourceHosts(cfg *config.Config, v *config.VirtualMTA) []config.SourceHost {
	if v != nil && len(v.SourceHosts) > 0 {
		return v.SourceHosts
	}
	return cfg.Global.SMTPSourceHosts
}

// tlsPolicy is require-starttls, else use-starttls (opportunistic), else none.
func tlsPolicy(ds *config.DomainSettings) smtpwire.TLSPolicy {
	switch {
	case ds.RequireStartTLS:
		return smtpwire.TLSRequired
	case ds.UseStartTLS:
		return smtpwire.TLSOpportunistic
	}
	return smtpwire.TLSNone
}

// plainAfterTLSFailure is how long an address whose TLS handshake failed
// gets mail in the clear under opportunistic TLS (as Postfix remembers).
const plainAfterTLSFailure = time.Hour

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// Next implements Feeder: one message's ready recipients, loaded; with
// none ready the session waits, idle, for the next Kick.
func (st *queueState) Next(s *Session) ([]queue.Entry, bool) {
	q := st.q
	if s.quitAfter {
		return nil, false
	}
	if q.Ready() == 0 || q.Paused {
		st.addIdle(s)
		return nil, true
	}
	st.batch = q.Take(st.batch[:0], st.ds.MaxRcptPerMessage)
	for st.held() || st.dropSuppressed() {
		if q.Ready() == 0 {
			st.addIdle(s)
			return nil, true
		}
		st.batch = q.Take(st.batch[:0], st.ds.MaxRcptPerMessage)
	}
	if st.batch[0].Msg != nil && st.batch[0].Body != nil {
		now, n := st.d.o.Now(), len(st.batch)
		r, sr := st.ds.MaxMsgRate, sourceRate(st.ds.SourceIPMaxMsgRate, s.T.Source)
		if q.Backoff {
			r = st.ds.BackoffMaxMsgRate
		}
		src := st.sourceOf(s.T.Source)
		src.warmup = 0
		if w := st.ds.Warmup; w > 0 && s.T.Source.IsValid() && st.d.o.FirstUse != nil {
			// A warming source sends at its day's share of the rate.
			first := st.d.o.FirstUse(s.T.Source, q.Key.Domain, now)
			sr = queue.Stricter(sr, queue.WarmupRate(st.ds.MaxMsgRate, first, now, w))
			if f, held := queue.WarmupFraction(first, now, w); held {
				src.warmup = f
			}
		}
		ok, wait := st.msgRate.Allows(now, n, r.Count, r.Per)
		if ok {
			ok, wait = src.msgRate.Allows(now, n, sr.Count, sr.Per)
		}
		if ok {
			ok, wait = st.volumeAllows(s.T, src, int(msgBytes(&st.batch[0])), now)
		}
		if ok {
			// The vMTA's and its pool's max-smtp-msg-rate, over all queues:
			// taken last, since a shared limiter cannot be asked first.
			ok, wait = st.d.o.VMTARates.take(s.T.VMTA, q.Key.VMTA, n, now)
		}
		if !ok {
			// Over max-msg-rate (the queue's, this source's or the
			// vMTA's): this connection quits; Kick opens one when the
			// rate allows.
			q.Return(st.batch)
			st.kickAfter(wait)
			return nil, false
		}
		st.msgRate.Take(now, n, r.Count, r.Per)
		src.msgRate.Take(now, n, sr.Count, sr.Per)
		st.chargeVolume(s.T, msgBytes(&st.batch[0]), now) // given back if nothing is delivered
		return st.batch, false
	}
	// Cold: put it back and warm it; the session waits for the Kick that
	// follows the spool read.
	q.Return(st.batch)
	st.warm()
	st.addIdle(s)
	return nil, true
}

// volumeAllows reports whether a message of size bytes may go now under
// the data volume rates (the queue's, its backoff one in backoff; its
// source address's; its vMTA's and pool's), else how long to wait. They
// are charged when the transaction starts, so that concurrent sessions do
// not all pass, and given back when it delivers nothing: PowerMTA meters
// delivered bytes, not attempts.
func (st *queueState) volumeAllows(t Target, src *sourceState, size int, now time.Time) (bool, time.Duration) {
	r, sr := st.volumeRate(), st.ds.SourceVolumeRate(t.Source).Rate()
	if ok, wait := st.volRate.Allows(now, size, r.Count, r.Per); !ok {
		return false, wait
	}
	if ok, wait := src.volRate.Allows(now, size, sr.Count, sr.Per); !ok {
		return false, wait
	}
	return st.d.o.VMTARates.allowsBytes(t.VMTA, st.q.Key.VMTA, size, now)
}

// chargeVolume counts a message's bytes (size < 0: gives them back)
// against the rates volumeAllows checked.
func (st *queueState) chargeVolume(t Target, size int64, now time.Time) {
	r, sr := st.volumeRate(), st.ds.SourceVolumeRate(t.Source).Rate()
	st.volRate.Charge(now, size, r.Count, r.Per)
	st.sourceOf(t.Source).volRate.Charge(now, size, sr.Count, sr.Per)
	st.d.o.VMTARates.chargeBytes(t.VMTA, st.q.Key.VMTA, size, now)
}

// msgBytes is the size of an entry's message as sent.
func msgBytes(e *queue.Entry) int64 {
	if e.Body == nil && e.Msg != nil {
		return e.Msg.Size
	}
	return int64(len(e.Body))
}

func (st *queueState) volumeRate() config.Rate {
	if st.q.Backoff {
		return st.ds.BackoffMaxDataVolumeRate.Rate()
	}
	return st.ds.MaxDataVolumeRate.Rate()
}

// held puts the batch back to wait jobHold when its job is paused
// (`pause job`), and reports whether it did.
func (st *queueState) held() bool {
	m := st.batch[0].Msg
	if m == nil || m.Job == "" || st.d.o.JobPaused == nil || !st.d.o.JobPaused(m.Job) {
		return false
	}
	at := st.d.o.Now().Add(jobHold)
	for _, e := range st.batch {
		e.Next = at
		st.q.Defer(e)
	}
	st.d.schedule(at)
	return true
}

// dropSuppressed settles the batch's recipients that are suppressed now
// (bounced, category suppressed, no DSN) and reports whether none is left.
func (st *queueState) dropSuppressed() bool {
	f := st.d.o.Suppressed
	if f == nil {
		return false
	}
	kept := st.batch[:0]
	var out []Outcome
	for _, e := range st.batch {
		if reply, ok := f(e.Addr); ok {
			st.q.Settle()
			out = append(out, Outcome{Entry: e, Kind: Bounced, Reply: reply, Stage: smtpwire.StageRcpt,
				Category: "suppressed", NoDSN: true})
			continue
		}
		kept = append(kept, e)
	}
	if len(out) > 0 {
		clear(st.batch[len(kept):])
		st.batch = kept
		st.stamp(out, 0)
		st.d.o.Settle(out)
	}
	return len(st.batch) == 0
}

// jobHold is how long a paused job's recipients wait before they are
// looked at again (ResumeJob brings them back at once).
const jobHold = time.Minute

// warmBatch is how many cold recipients one spool read loads.
const warmBatch = 256

// warm reads the cold recipients at the head of the queue off the loop and
// puts them back, hot, then kicks the queue again.
func (st *queueState) warm() {
	if st.loading {
		return
	}
	st.loading = true
	d := st.d
	taken := st.q.TakeFirst(nil, warmBatch)
	d.o.Load(taken, func(loaded []queue.Entry, err error) {
		_ = d.o.Reactor.Post(func() {
			st.loading = false
			if err != nil {
				d.o.Logf("outbound: %s: reading messages from the spool: %v", st.q.Key, err)
				now := d.o.Now()
				for _, e := range taken {
					e.Next = now.Add(time.Minute)
					st.q.Defer(e)
				}
				d.schedule(now.Add(time.Minute))
				return
			}
			// Recipients whose message is gone were settled meanwhile.
			for range len(taken) - len(loaded) {
				st.q.Settle()
			}
			st.q.Return(loaded)
			d.Kick(st.q)
		})
	})
}

// Settled implements Feeder: final outcomes leave the queue, deferrals come
// back with their retry time (or bounce when they are too old).
func (st *queueState) Settled(s *Session, out []Outcome) {
	now := st.d.o.Now()
	// The mode the attempt was made in: the replies below may switch it.
	st.stamp(out, st.sourceOf(s.T.Source).warmup)
	var acts replyActions
	delivered := false
	for i := range out {
		o := &out[i]
		if o.Kind != Delivered && o.Stage == smtpwire.StageRcpt {
			s.rcptErrors++
		}
		if o.Kind == Delivered {
			delivered = true
			st.afterDelivery()
		} else if o.T.Remote.IsValid() {
			bounceRcpt, skipMX := st.matchReply(o.Reply, s, &acts)
			if bounceRcpt && o.Kind == Deferred {
				o.Kind = Bounced
			}
			if skipMX {
				s.quitAfter = true // the next connection goes to the next address
			}
		}
		if o.Kind != Delivered {
			st.lastError = o.Reply
		}
		if o.Kind != Deferred {
			st.q.Settle()
			continue
		}
		st.retry(o, now)
	}
	if n := st.ds.MaxErrorsPerConnection; n > 0 && s.rcptErrors >= n {
		s.quitAfter = true // max-errors-per-connection: the next transaction on a new connection
	}
	if !delivered && len(out) > 0 {
		// Data volume rates meter delivered mail: give the bytes back.
		st.chargeVolume(s.T, -msgBytes(&out[0].Entry), now)
	}
	st.failed = 0
	st.d.o.Settle(out)
	st.finishActions(&acts)
}

// retry schedules a deferred recipient's next attempt (retry-after, the
// last interval repeating) or bounces it past bounce-after.
func (st *queueState) retry(o *Outcome, now time.Time) {
	e := &o.Entry
	e.Attempts++
	if ba := st.ds.BounceAfter; ba > 0 && e.Msg != nil && now.Sub(e.Msg.Received) >= ba {
		o.Kind = Bounced
		o.Reply = "550 5.4.7 Delivery time expired (" + o.Reply + ")"
		st.q.Settle()
		return
	}
	list := st.ds.RetryAfter
	if st.q.Backoff {
		list = st.ds.BackoffRetryAfter
	}
	wait := retryAfter(list, e.Attempts)
	if o.Stage == smtpwire.StageRcpt && st.ds.RetryRecipientsAfter > wait {
		// retry-recipients-after: a recipient the receiver deferred by
		// name (a 4xx to its RCPT) waits at least this long.
		wait = st.ds.RetryRecipientsAfter
	}
	e.Next = now.Add(wait)
	st.q.Defer(*e)
	st.d.schedule(e.Next)
}

// retryAfter returns the wait before attempt n+1 after n attempts.
func retryAfter(list []time.Duration, attempts uint32) time.Duration {
	if len(list) == 0 {
		return 10 * time.Minute
	}
	i := int(attempts) - 1
	if i >= len(list) {
		i = len(list) - 1
	}
	if i < 0 {
		i = 0
	}
	return list[i]
}

// finishReady settles every ready recipient at once (null MX, no route).
func (st *queueState) finishReady(k Kind, reply string) {
	now := st.d.o.Now()
	st.lastError = reply
	var out []Outcome
	for st.q.Ready() > 0 {
		for _, e := range st.q.Take(nil, 0) {
			o := Outcome{Entry: e, Kind: k, Reply: reply, Stage: smtpwire.StageGreeting}
			if f := st.d.o.Suppressed; f != nil {
				if r, ok := f(e.Addr); ok {
					o.Kind, o.Reply, o.Category, o.NoDSN = Bounced, r, "suppressed", true
				}
			}
			out = append(out, o)
		}
	}
	for i := range out {
		if out[i].Kind == Deferred {
			st.retry(&out[i], now)
		} else {
			st.q.Settle()
		}
	}
	if len(out) > 0 {
		st.stamp(out, 0)
		st.d.o.Settle(out)
	}
}

// Closed implements Feeder: the connection's slot is free; a failure to
// connect moves on to the next address, and when every address failed in
// a row the ready recipients are deferred.
func (st *queueState) Closed(s *Session, err error) {
	st.conns--
	st.sourceOf(s.T.Source).conns--
	st.d.o.Slots.release(s.T.VMTA, st.q.Key.VMTA)
	st.d.unblock()
	for i, x := range st.idle {
		if x == s {
			st.idle = append(st.idle[:i], st.idle[i+1:]...)
			break
		}
	}
	var tlsErr *TLSError
	if errors.As(err, &tlsErr) && s.opts.Client.TLS == smtpwire.TLSOpportunistic {
		// Opportunistic: the next connection to this address goes in the clear.
		if st.plain == nil {
			st.plain = map[netip.AddrPort]time.Time{}
		}
		st.plain[s.T.Remote] = st.d.o.Now().Add(plainAfterTLSFailure)
		st.d.o.Logf("outbound: %s: %s (%s): %v; sending in the clear for %v", st.q.Key, s.T.MX, s.T.Remote, err, plainAfterTLSFailure)
		st.d.Kick(st.q)
		return
	}
	if s.Unreached && s.T.Proxy != nil {
		if st.d.proxyFailed(s.T, err) {
			st.d.Kick(st.q) // the receiver was not tried: no failure of its
			return
		}
		err = fmt.Errorf("proxy %s (%s): %w", s.T.Proxy.Name, s.T.Proxy.Server, err)
	}
	if err != nil && st.d.o.QueueFailed != nil {
		st.d.o.QueueFailed(&QueueFailure{Key: st.q.Key, T: s.T, Err: err, Mode: st.q.Mode(),
			Warmup: st.sourceOf(s.T.Source).warmup})
	}
	var acts replyActions
	if s.Refusal != "" {
		_, skipMX := st.matchReply(s.Refusal, s, &acts) // skip-mx: the next address is next anyway
		defer st.finishActions(&acts)
		if s.RefusedAt == smtpwire.StageGreeting && kindOf(s.Refusal) == Bounced && st.ds.BounceUpon5xxGreeting && !skipMX {
			// bounce-upon-5xx-greeting (PowerMTA's default): a receiver
			// that refuses the connection outright refuses the mail.
			st.d.o.Logf("outbound: %s: %s (%s) refused the connection: %s; bouncing the queue's ready mail", st.q.Key, s.T.MX, s.T.Remote, s.Refusal)
			st.finishReady(Bounced, s.Refusal)
			return
		}
	}
	if err != nil && st.addrFailed(s.T.MX, s.T.Remote, err) {
		return
	}
	st.d.Kick(st.q)
}

// addrFailed counts an attempt at one of the route's addresses that
// failed; once every address has, it reports true, and with no session
// open the queue's ready recipients wait for its retry.
func (st *queueState) addrFailed(host string, addr netip.AddrPort, err error) bool {
	st.lastError = err.Error()
	st.failed++
	st.d.o.Logf("outbound: %s: %s (%s): %v", st.q.Key, host, addr, err)
	if st.failed < st.addrCount() {
		return false
	}
	st.failed = 0
	if st.conns == 0 {
		now := st.d.o.Now()
		st.downReason = "451 4.4.1 No host of " + st.q.Key.Domain + " would take mail (" + strconv.Itoa(st.addrCount()) +
			" addresses tried; last: " + err.Error() + ")"
		st.downUntil = now.Add(retryAfter(st.ds.RetryAfter, 1))
		st.finishReady(Deferred, st.downReason)
	}
	return true
}

// addIdle parks a session that has no mail for now.
func (st *queueState) addIdle(s *Session) {
	st.idle = append(st.idle, s)
	if !st.listedIdle {
		st.listedIdle = true
		st.d.idlers = append(st.d.idlers, st)
	}
}

// quitOneIdle ends one idle session of another of the shard's queues, so
// that its slot can go to st. One per refused connect: with a thousand
// queues behind one cap, ending every idle session on each refusal (or
// scanning every queue for them) took the loop over.
func (d *Deliverer) quitOneIdle(st *queueState) {
	for i := len(d.idlers) - 1; i >= 0; i-- {
		other := d.idlers[i]
		if len(other.idle) == 0 {
			other.listedIdle = false
			last := len(d.idlers) - 1
			d.idlers[i] = d.idlers[last]
			d.idlers[last] = nil
			d.idlers = d.idlers[:last]
			continue
		}
		if other == st {
			continue
		}
		s := other.idle[0]
		other.idle = append(other.idle[:0], other.idle[1:]...)
		s.QuitIdle()
		return
	}
}

// unblockBatch is how many held-back queues one freed slot kicks: the
// first may be held by another cap (its vMTA's), and the rest try again
// within slotRetry anyway.
const unblockBatch = 4

// unblock kicks the first queues a cap held back: a slot is free.
func (d *Deliverer) unblock() {
	n := min(len(d.blocked), unblockBatch)
	if n == 0 {
		return
	}
	var kick [unblockBatch]*queueState
	copy(kick[:], d.blocked)
	rest := copy(d.blocked, d.blocked[n:])
	clear(d.blocked[rest:])
	d.blocked = d.blocked[:rest]
	for _, st := range kick[:n] {
		st.blocked = false
		d.Kick(st.q)
	}
}

// schedule makes sure the Deliverer wakes by at.
func (d *Deliverer) schedule(at time.Time) {
	if !d.wakeAt.IsZero() && !at.Before(d.wakeAt) {
		return
	}
	d.wakeAt = at
	d.wakeGen++
	gen := d.wakeGen
	wait := at.Sub(d.o.Now())
	if wait < time.Millisecond {
		wait = time.Millisecond
	}
	d.o.Reactor.AfterFunc(wait, func() {
		if gen == d.wakeGen {
			d.tick()
		}
	})
}

// tick promotes what is due and kicks those queues. A timer that fires a
// little early finds nothing due yet and sets the next one.
func (d *Deliverer) tick() {
	d.wakeAt = time.Time{}
	next := d.o.Table.Due(d.o.Now(), d.Kick)
	if !next.IsZero() {
		d.schedule(next)
	}
}
