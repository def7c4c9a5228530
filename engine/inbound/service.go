package inbound

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound/clientlimit"
	"github.com/volleymta/volley/engine/inbound/userauth"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// Committer makes a message durable off the shard's loop. Commit must not
// block: it queues the work and later calls done, on any goroutine, with the
// spool's outcome (nil only once the message is fsynced).
type Committer interface {
	Commit(m *spool.Message, body []byte, done func(spool.ID, error))
}

// Health reports a sticky spool failure without I/O (spool.Spool.Unhealthy).
type Health interface {
	Unhealthy() (string, bool)
}

// Options configure a Service.
type Options struct {
	// Config is the configuration sessions start with (Reconfigure
	// replaces it). Required.
	Config *config.Config
	// Commit makes messages durable. Required.
	Commit Committer
	// Prepare, when set, authenticates messages before their commit
	// (DKIM signing, ARC sealing, inbound checks).
	Prepare Preparer
	// Health, when set, lets DATA be refused at once while the spool is failing.
	Health Health
	// Logf receives connection and command logs where the source asks for
	// them (log-connections, log-commands). Default: dropped.
	Logf func(format string, args ...any)
}

// Counters count what the service did; safe to read from any goroutine.
type Counters struct {
	Sessions, Messages, Recipients atomic.Uint64
	// Refused counts messages answered 4xx because the spool failed;
	// RelayDenied counts recipients refused with 550 5.7.1.
	Refused, RelayDenied atomic.Uint64
	// TLS counts sessions that completed a STARTTLS handshake.
	TLS atomic.Uint64
	// TooManyConns counts connections refused by total-max-smtp-in or a
	// client's max-smtp-in; RateLimited counts MAIL refused by max-msg-rate.
	TooManyConns, RateLimited atomic.Uint64
}

// Service holds what every session of every shard shares (read-only after
// New, apart from Counters).
type Service struct {
	opts Options
	// pol is the config in force and what is built from it; Reconfigure
	// swaps it, and each session keeps the one it opened with.
	pol atomic.Pointer[policy]
	// clients counts connections and messages per client IP over all shards.
	clients clientlimit.Table
	// started and msgSeq make generated Message-IDs unique.
	started  int64
	msgSeq   atomic.Uint64
	Counters Counters
}

// New checks opts and returns a Service.
func New(opts Options) (*Service, error) {
	if opts.Config == nil || opts.Commit == nil {
		return nil, fmt.Errorf("inbound: Config and Commit are required")
	}
	svc := &Service{opts: opts, started: time.Now().UnixNano()}
	if err := svc.Reconfigure(opts.Config); err != nil {
		return nil, err
	}
	return svc, nil
}

// policy is one config snapshot with what the sessions need built from it.
type policy struct {
	cfg      *config.Config
	hostname string
	users    *userauth.Store // nil when the config has no <smtp-user>
	tls      *tls.Config     // nil without smtp-server-tls-certificate
	// listenerTLS are the listeners' own certificates (tls-certificate in
	// an <smtp-listener> block), by the address they are configured with.
	listenerTLS map[netip.AddrPort]*tls.Config
	// shuttingDown is the reply of a graceful stop (Shard.Drain).
	shuttingDown []byte
}

// Reconfigure puts cfg in force for the sessions that open from now on
// (open ones finish on theirs). The certificate and users are loaded
// first: if they fail, the config in force stays and the error says why.
// Listeners are not rebound: a changed smtp-listener needs a restart.
// Safe from any goroutine.
func (s *Service) Reconfigure(cfg *config.Config) error {
	host := cfg.HostName()
	p := &policy{cfg: cfg, hostname: host,
		shuttingDown: []byte("421 4.3.2 " + host + " service shutting down, try again later\r\n")}
	if g := &cfg.Global; g.TLSCertificate != "" {
		t, err := LoadTLS("smtp-server-tls-certificate", g.TLSCertificate, g.TLSCertificatePassword)
		if err != nil {
			return fmt.Errorf("inbound: %w", err)
		}
		p.tls = t
	}
	for _, l := range cfg.Global.Listeners {
		if l.TLSCertificate == "" {
			continue
		}
		t, err := LoadTLS("<smtp-listener "+l.Addr.String()+"> tls-certificate", l.TLSCertificate, l.TLSPassword)
		if err != nil {
			return fmt.Errorf("inbound: %w", err)
		}
		if p.listenerTLS == nil {
			p.listenerTLS = map[netip.AddrPort]*tls.Config{}
		}
		p.listenerTLS[l.Addr] = t
	}
	if len(cfg.SMTPUsers) > 0 {
		users, err := userauth.New(cfg.SMTPUsers)
		if err != nil {
			return err
		}
		p.users = users
	}
	groups := map[string][2]int{}
	for _, g := range cfg.SourceGroups {
		groups[g.Name] = [2]int{g.MaxSMTPIn, g.ReservedSMTPIn}
	}
	s.clients.SetGroups(groups)
	s.pol.Store(p)
	return nil
}

// Accepted receives each message once it is durable and answered 250, on
// the loop of the shard whose session took it (with the recipients' spool
// Index set), and the body as stored; both are read-only from then on and
// may be kept: the hand-off to the queues (DESIGN.md, step 3). src is the
// <source> policy the message came in under (its suppression-lists).
type Accepted func(id spool.ID, m *spool.Message, body []byte, src *config.SourceSettings)

// Shard is the service on one shard's loop: that shard's listeners and
// sessions. Its methods run on that loop, except Sessions.
type Shard struct {
	svc      *Service
	r        iouring.Reactor
	accepted Accepted
	// Addrs are the bound listener addresses.
	Addrs []netip.AddrPort
	// head lists the open sessions (intrusive, so no allocation per
	// connection); open counts them for other goroutines.
	head     *session
	open     atomic.Int64
	draining bool
}

// Listen binds every smtp-listener of the config on reactor r (each shard
// calls it on its own loop; SO_REUSEPORT spreads clients over the shards).
// accepted (may be nil) is that shard's hand-off to the queues.
func (s *Service) Listen(r iouring.Reactor, accepted Accepted) (*Shard, error) {
	sh := &Shard{svc: s, r: r, accepted: accepted}
	for _, l := range s.pol.Load().cfg.Global.Listeners {
		source, immediateTLS, configured := l.Source, l.ImmediateTLS, l.Addr
		addr, err := r.Listen(l.Addr, func(r iouring.Reactor, c iouring.Conn, remote, local netip.AddrPort) iouring.ConnHandler {
			ss := sh.newSession(remote, local, source)
			ss.immediateTLS, ss.listener = immediateTLS, configured
			return ss
		})
		if err != nil {
			return sh, fmt.Errorf("inbound: smtp-listener %s (%s): %w", l.Addr, l.Pos, err)
		}
		sh.Addrs = append(sh.Addrs, addr)
	}
	return sh, nil
}

// Drain begins a graceful stop of this shard's service: no new
// connections; idle sessions are told 421 and closed at once; a session in
// the middle of a transaction finishes it (its message is committed and
// answered), then is told 421. Sessions counts down to zero as they go.
func (sh *Shard) Drain() {
	sh.r.StopListening()
	sh.draining = true
	for ss := sh.head; ss != nil; {
		next := ss.next // ss may leave the list as it closes
		ss.drainIfIdle()
		ss = next
	}
}

// Sessions returns the number of open sessions. Safe from any goroutine.
func (sh *Shard) Sessions() int { return int(sh.open.Load()) }

func (sh *Shard) add(ss *session) {
	ss.next = sh.head
	if sh.head != nil {
		sh.head.prev = ss
	}
	sh.head = ss
	sh.open.Add(1)
}

func (sh *Shard) remove(ss *session) {
	if ss.prev != nil {
		ss.prev.next = ss.next
	} else if sh.head == ss {
		sh.head = ss.next
	} else {
		return // not listed
	}
	if ss.next != nil {
		ss.next.prev = ss.prev
	}
	ss.prev, ss.next = nil, nil
	sh.open.Add(-1)
}

// Sweep forgets clients with no connection and no rate history left; the
// engine calls it every minute so the table does not keep every address
// ever seen. Safe from any goroutine.
func (s *Service) Sweep(now time.Time) int { return s.clients.Sweep(now) }

// tlsFor is the certificate of the listener configured at addr: its own,
// else smtp-server-tls-certificate (nil: none).
func (s *policy) tlsFor(addr netip.AddrPort) *tls.Config {
	if t := s.listenerTLS[addr]; t != nil {
		return t
	}
	return s.tls
}

// serverConfig builds the smtpwire policy for one client's source
// settings, on a listener with a certificate or not.
func (s *policy) serverConfig(src *config.SourceSettings, haveTLS bool) *smtpwire.ServerConfig {
	caps := smtpwire.Capabilities{Ext: smtpwire.ExtPipelining | smtpwire.ExtSize | smtpwire.Ext8BitMIME |
		smtpwire.ExtEnhancedStatusCodes | smtpwire.ExtDSN}
	if src.AllowChunking {
		caps.Ext |= smtpwire.ExtChunking | smtpwire.ExtBinaryMIME
	}
	if src.AllowSMTPUTF8 {
		caps.Ext |= smtpwire.ExtSMTPUTF8
	}
	caps.MaxSize = src.MaxMessageSize
	if haveTLS && src.AllowStartTLS {
		caps.Ext |= smtpwire.ExtStartTLS
	}
	if s.users != nil && src.AllowAuth {
		caps.Ext |= smtpwire.ExtAuth
		caps.Auth = smtpwire.AuthPlain | smtpwire.AuthLogin
	}
	maxRcpt := src.MaxRcptPerMessage
	if maxRcpt <= 0 {
		maxRcpt = 1 << 16 // the spool's limit per message
	}
	return &smtpwire.ServerConfig{
		Hostname:      s.hostname,
		Banner:        "ESMTP Volley",
		Caps:          caps,
		MaxRecipients: maxRcpt,
		Data:          smtpwire.UnstuffOptions{MaxLine: 0, Bare: smtpwire.BareNormalize},
		MaxErrors:     20,
		RequireAuth:   src.RequireAuth,
		// AUTH in the clear only where the source allows it
		// (allow-unencrypted-plain-auth); else after STARTTLS.
		AuthRequiresTLS: !src.AllowUnencryptedPlainAuth || src.RequireStartTLSBeforeAuth,
		RequireTLS:      src.RequireStartTLS,
	}
}

// mayRelayTo reports whether a client with settings src may send to the
// address rcpt. The domain is only made (an allocation per RCPT) when the
// relay-domain patterns must be consulted: a bulk injector's source
// allows relaying outright.
func (s *policy) mayRelayTo(src *config.SourceSettings, authed bool, rcpt []byte) bool {
	if src.AlwaysAllowRelaying || authed {
		return true
	}
	g := &s.cfg.Global
	if g.AlwaysAllowRelaying {
		return true
	}
	for _, a := range g.RelayAddresses { // relay-address: one address, from anyone
		if len(a) == len(rcpt) && bytes.EqualFold([]byte(a), rcpt) {
			return true
		}
	}
	domain := domainOf(rcpt)
	for _, p := range g.RelayDomains {
		if p.Match(domain) {
			return true
		}
	}
	return false
}

func (s *Service) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// domainOf returns the lower-cased domain of an address (one allocation:
// the string the domain patterns match).
func domainOf(addr []byte) string {
	at := bytes.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	d := []byte(string(addr[at+1:]))
	for i, c := range d {
		if 'A' <= c && c <= 'Z' {
			d[i] = c + 'a' - 'A'
		}
	}
	return string(d)
}

// ClientInfo is one injecting client IP's state (the management API).
type ClientInfo struct {
	Addr        netip.Addr
	Connections int
	// Ahead is how far its message schedule runs ahead of now under its
	// source's max-msg-rate.
	Ahead time.Duration
	// MaxMsgRate and MaxSMTPIn are its <source>'s limits.
	MaxMsgRate config.Rate
	MaxSMTPIn  int
}

// Clients lists the clients the service has counters for. Safe from any
// goroutine.
func (s *Service) Clients(now time.Time) []ClientInfo {
	cfg := s.pol.Load().cfg
	var out []ClientInfo
	s.clients.Each(now, func(a netip.Addr, conns int, ahead time.Duration) {
		src := cfg.SourceFor(a, "", false)
		out = append(out, ClientInfo{Addr: a, Connections: conns, Ahead: ahead, MaxMsgRate: src.MaxMsgRate, MaxSMTPIn: src.MaxSMTPIn})
	})
	return out
}
