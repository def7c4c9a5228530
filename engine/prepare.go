package engine

// The preparation workers: what happens to a message between its DATA and
// its commit when the config asks for it (DESIGN.md step 2): inbound
// checks into Authentication-Results, an ARC set, a DKIM signature. They
// run on a pool of goroutines, one per CPU, fed by the shard loops, since
// an RSA-2048 signature costs about a millisecond and the checks wait on
// DNS; neither may stall a loop.

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound"
	"github.com/volleymta/volley/engine/msgauth"
	"github.com/volleymta/volley/engine/msgauth/arc"
	"github.com/volleymta/volley/spool"
)

// checkTimeout bounds a message's inbound checks (their DNS lookups).
const checkTimeout = 10 * time.Second

// prepJob is one message on its way to a worker.
type prepJob struct {
	job  *inbound.PrepareJob
	done func([]byte, error)
}

// preparer is the engine's inbound.Preparer.
type preparer struct {
	jobs     chan prepJob
	resolver msgauth.Resolver
	logf     func(string, ...any)
}

// newPreparer starts the workers; they stop when ctx ends.
func newPreparer(ctx context.Context, cfg *config.Config, logf func(string, ...any)) *preparer {
	p := &preparer{jobs: make(chan prepJob, 1024), resolver: authResolver(cfg), logf: logf}
	for range runtime.GOMAXPROCS(0) {
		go p.work(ctx)
	}
	return p
}

// authResolver is the DNS of the checks: Go's resolver sent to the
// config's name-server lines (else the system's).
func authResolver(cfg *config.Config) msgauth.Resolver {
	servers := cfg.Global.NameServers
	if len(servers) == 0 {
		return net.DefaultResolver
	}
	var d net.Dialer
	var next atomic.Uint32 // the workers share it: servers in turn
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		s := servers[int(next.Add(1))%len(servers)]
		return d.DialContext(ctx, network, s.String())
	}}
}

func (p *preparer) work(ctx context.Context) {
	for {
		select {
		case j := <-p.jobs:
			j.done(p.prepare(ctx, j.job))
		case <-ctx.Done():
			return
		}
	}
}

// Prepare queues the job; it never blocks the loop that calls it: past the
// queue's room the job gets a goroutine of its own. Either way the work in
// flight is bounded by the open sessions, since a session waits for its
// message's answer before it reads the next.
func (p *preparer) Prepare(job *inbound.PrepareJob, done func([]byte, error)) {
	select {
	case p.jobs <- prepJob{job, done}:
	default:
		go func() { done(p.prepare(context.Background(), job)) }()
	}
}

// plan is what a message needs.
type plan struct {
	checks     msgauth.Checks
	seal, sign bool
	signWith   *config.DomainSettings // the settings whose dkim-* lines say how
}

func (pl plan) any() bool { return pl.checks.Any() || pl.seal || pl.sign }

// sourceChecks are the checks a <source> asks for.
func sourceChecks(src *config.SourceSettings) msgauth.Checks {
	return msgauth.Checks{SPF: src.CheckSPFInbound, DKIM: src.CheckDKIMInbound, IPRev: src.CheckIPRevInbound}
}

// planFor reads the config: the source's check-spf-inbound and
// check-dkim-inbound, and arc-seal and dkim-sign of the queues the
// recipients go to (a message is signed once, so one recipient whose queue
// signs is enough).
func planFor(cfg *config.Config, src *config.SourceSettings, m *spool.Message, client netip.Addr) plan {
	var pl plan
	if src != nil && client.IsValid() {
		pl.checks = sourceChecks(src)
	}
	last := ""
	for i := range m.Recipients {
		d := recipientDomain(m.Recipients[i].Addr)
		if d == last {
			continue
		}
		last = d
		s := cfg.Effective(d, m.VMTA)
		pl.seal = pl.seal || s.ARCSeal
		if (s.DKIM.Sign == "yes" || s.SecondDKIM.Sign == "yes") && !pl.sign {
			pl.sign, pl.signWith = true, s
		}
	}
	if pl.seal { // the AAR records what was checked
		pl.checks.DKIM = true
		pl.checks.SPF = pl.checks.SPF || client.IsValid()
	}
	return pl
}

func recipientDomain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// prepareNow is Prepare for the injection paths that are off the loops
// already (pickup, the HTTP API): the same plan, done by the caller.
func (p *preparer) prepareNow(ctx context.Context, cfg *config.Config, m *spool.Message, body []byte) ([]byte, error) {
	if !planFor(cfg, nil, m, netip.Addr{}).any() {
		return body, nil
	}
	return p.prepare(ctx, &inbound.PrepareJob{Config: cfg, Msg: m, Body: body})
}

// Wants is the loop's cheap look at the plan.
func (p *preparer) Wants(cfg *config.Config, src *config.SourceSettings, m *spool.Message) bool {
	return planFor(cfg, src, m, netip.IPv4Unspecified()).any()
}

// prepare does the plan: fields are prepended in the order a receiver
// reads them, newest on top: DKIM-Signature, the ARC set, then the
// Authentication-Results of our own checks.
func (p *preparer) prepare(ctx context.Context, j *inbound.PrepareJob) ([]byte, error) {
	cfg, m, body := j.Config, j.Msg, j.Body
	pl := planFor(cfg, j.Source, m, j.Client)
	servID := cfg.HostName()
	var ar, set, sig []byte
	var verdict *msgauth.Verdict
	if pl.checks.Any() {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		verdict = msgauth.Check(cctx, p.resolver, body, msgauth.Envelope{Client: j.Client, HELO: j.HELO, MailFrom: m.From}, pl.checks)
		cancel()
		if j.Source != nil && sourceChecks(j.Source).Any() { // asked for, not only what sealing needs
			ar = verdict.Header(servID)
		}
	}
	msg := concat(ar, body)
	if pl.seal {
		set = p.seal(cfg, m, msg, verdict, servID)
		msg = concat(set, msg)
	}
	if pl.sign {
		// Both signatures sign the message as it is before either: neither
		// covers the other.
		for _, o := range [2]*config.DKIMOptions{&pl.signWith.SecondDKIM, &pl.signWith.DKIM} {
			if o.Sign != "yes" {
				continue
			}
			one, err := p.sign(cfg, m, msg, o)
			if err != nil {
				return nil, err
			}
			sig = append(sig, one...)
		}
	}
	return concat(sig, msg), nil
}

// sign makes one DKIM-Signature field as o says, for o's identity or, when
// no domain-key fits that, its dkim-identity-fallback; nil (and a log line)
// when neither has a key.
func (p *preparer) sign(cfg *config.Config, m *spool.Message, msg []byte, o *config.DKIMOptions) ([]byte, error) {
	identity := o.Identity
	domain := msgauth.IdentityDomain(msg, identity)
	k, signer, ok := cfg.DKIMKey(m.VMTA, domain)
	if !ok && o.IdentityFallback != "" {
		identity = o.IdentityFallback
		k, signer, ok = cfg.DKIMKey(m.VMTA, msgauth.IdentityDomain(msg, identity))
	}
	if !ok {
		p.logf("dkim: no domain-key fits %s (virtual-mta %s): a message from %s goes without that signature",
			orDefault(domain, "(no domain)"), orDefault(m.VMTA, "(default)"), m.Origin)
		return nil, nil
	}
	return msgauth.Sign(msg, k, signer, msgauth.SignOptions{Headers: o.Headers, HeaderCanon: o.HeadersCanon,
		BodyCanon: o.BodyCanon, Expire: o.ExpireAfter, OverSign: o.DisallowAddingHeaders, AUID: identity})
}

// seal adds an ARC set; a message it cannot seal (no key, a chain already
// at 50 sets) goes on unsealed, with a log line.
func (p *preparer) seal(cfg *config.Config, m *spool.Message, msg []byte, v *msgauth.Verdict, servID string) []byte {
	k, signer, ok := cfg.ARCKey(m.VMTA)
	if !ok {
		p.logf("arc: no sealing key for virtual-mta %q (configtest reports it)", m.VMTA)
		return nil
	}
	s := arc.Sealer{Domain: k.Domain, Selector: k.Selector, Key: signer, AuthServID: servID}
	set, err := s.Seal(msg, v.ResInfo(), v.ARC)
	if err != nil {
		p.logf("arc: %s not sealed: %v", m.Origin, err)
		return nil
	}
	return set
}

// concat is head+body in one new slice (body itself when head is empty).
func concat(head, body []byte) []byte {
	if len(head) == 0 {
		return body
	}
	out := make([]byte, 0, len(head)+len(body))
	return append(append(out, head...), body...)
}
