package inbound

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound/clientlimit"
	"github.com/volleymta/volley/engine/inbound/proxy"
	"github.com/volleymta/volley/engine/tlspipe"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// session is one SMTP connection. It lives on its shard's loop.
type session struct {
	iouring.Base
	svc *Service
	sh  *Shard
	// pol is the config in force when the connection opened: a reload
	// applies to the connections that open after it.
	pol    *policy
	source string // the listener's source= name
	// prev and next link the shard's open sessions (Shard.Drain).
	prev, next *session
	remote     netip.AddrPort
	origin     string // "smtp CLIENT-IP", the spool's Origin, made once per session
	local      netip.AddrPort

	r   iouring.Reactor
	c   iouring.Conn
	src *config.SourceSettings
	srv smtpwire.Server

	// in holds input Feed has not consumed yet (a partial command, or
	// commands pipelined behind a message being committed).
	in []byte
	// waiting: a commit or a slow password check runs off the loop; input
	// waits (receiving paused) until resume.
	waiting bool
	closed  bool
	// client is this connection's entry in the per-IP counters, held from
	// the greeting to the close.
	client *clientlimit.Client
	group  *clientlimit.Group // its <source-group>'s count, or nil
	// awaitProxy: the connection must start with a PROXY protocol header
	// (accept-proxy-protocol) before the greeting.
	awaitProxy bool
	// immediateTLS: the listener's immediate-tls; the greeting waits for
	// the handshake (tlsGreeting until it is sent).
	immediateTLS, tlsGreeting bool
	// authUser is the name the client authenticated as ("" before AUTH).
	authUser string
	// listener is the address its listener is configured with, which
	// names the listener's own certificate (policy.tlsFor).
	listener netip.AddrPort

	// tlsp is set once STARTTLS was accepted: from then on the socket's
	// bytes belong to the TLS goroutines (tls.go). discard drops input
	// pipelined behind STARTTLS.
	tlsp                  *tlspipe.Pipe
	discard               bool
	tlsVersion, tlsCipher string

	helo string
	tx   transaction
	// parts counts the messages of the transaction still being stored: a
	// pattern-list may make one message per vMTA of its recipients.
	// partFail is the reply of the first part refused, partID the first
	// stored part's ID, partsAll how many there were.
	parts, partsAll int
	partFail        *smtpwire.Reply
	partID          spool.ID
	one             [1]*spool.Message
}

// transaction is the envelope of the message being received.
type transaction struct {
	from  string
	envID string
	ret   spool.Ret
	body  spool.BodyType
	utf8  bool
	rcpts []spool.Recipient
}

var (
	replyRelayDenied = smtpwire.Reply{Code: smtpwire.C550MailboxUnavail, Enh: smtpwire.E571DeliveryNotAuth, Text: "Relaying denied"}
	// replyRelayDebug is relay-debug yes's answer: temporary, so a client
	// being set up keeps its mail while the config is put right.
	replyRelayDebug  = smtpwire.Reply{Code: smtpwire.C450MailboxUnavail, Enh: smtpwire.E471DeliveryNotAuth, Text: "Relaying denied (relay-debug: temporary)"}
	replyNoStorage   = smtpwire.Reply{Code: smtpwire.C452InsufficientStorage, Enh: smtpwire.E431SystemFull, Text: "Insufficient system storage, try again later"}
	replyNotImpl     = smtpwire.Reply{Code: smtpwire.C502NotImplemented, Enh: smtpwire.E551InvalidCommand, Text: "Command not implemented"}
	replyRateLimited = smtpwire.Reply{Code: smtpwire.C451LocalError, Enh: smtpwire.E471DeliveryNotAuth, Text: "Message rate limit exceeded, try again later"}
)

func (sh *Shard) newSession(remote, local netip.AddrPort, source string) *session {
	sh.svc.Counters.Sessions.Add(1)
	return &session{svc: sh.svc, sh: sh, pol: sh.svc.pol.Load(), source: source, remote: remote, local: local}
}

// OnOpen applies the client's <source> policy and greets it.
func (ss *session) OnOpen(r iouring.Reactor, c iouring.Conn, err error) iouring.Action {
	if err != nil {
		return iouring.Close
	}
	ss.r, ss.c = r, c
	ss.sh.add(ss)
	if ss.sh.draining {
		return iouring.Close // accepted just before the listeners closed
	}
	ss.src = ss.pol.cfg.SourceFor(ss.remote.Addr(), ss.source, false)
	if ss.src.AcceptProxyProtocol {
		// The peer is a load balancer: the client's own address, and so its
		// policy, arrive in the header; greet after it.
		ss.awaitProxy = true
		ss.armTimeout(ss.src.SMTPCommandTimeout)
		return iouring.Continue
	}
	return ss.begin()
}

// greet applies the source policy and sends the 220 greeting.
func (ss *session) greet() iouring.Action {
	if ss.src.LogConnections {
		ss.svc.logf("inbound: connection from %s to %s", ss.remote, ss.local)
	}
	if !ss.src.SMTPService {
		return ss.refuse("554 5.7.1 " + ss.pol.hostname + " service not available to " + ss.remote.Addr().String() + "\r\n")
	}
	group := ss.svc.clients.Group(ss.src.SourceGroup)
	client, verdict := ss.svc.clients.Acquire(ss.remote.Addr(), ss.pol.cfg.Global.TotalMaxSMTPIn, ss.src.MaxSMTPIn, group)
	switch verdict {
	case clientlimit.GroupFull:
		ss.svc.Counters.TooManyConns.Add(1)
		return ss.refuse("421 4.7.0 " + ss.pol.hostname + " too many connections from source group " + ss.src.SourceGroup + ", try again later\r\n")
	case clientlimit.TotalFull:
		ss.svc.Counters.TooManyConns.Add(1)
		return ss.refuse("421 4.3.2 " + ss.pol.hostname + " too many connections, try again later\r\n")
	case clientlimit.ClientFull:
		ss.svc.Counters.TooManyConns.Add(1)
		return ss.refuse("421 4.7.0 " + ss.pol.hostname + " too many connections from " + ss.remote.Addr().String() + ", try again later\r\n")
	}
	ss.client, ss.group = client, group
	ss.srv.Reset(ss.pol.serverConfig(ss.src, ss.pol.tlsFor(ss.listener) != nil))
	ss.srv.Greet()
	ss.armTimeout(ss.src.SMTPCommandTimeout)
	ss.flush()
	return iouring.Continue
}

// refuse sends a greeting that refuses the client and returns Drain: the
// caller's reactor closes once it is written, or under immediate TLS (no
// reactor caller) the pipe does.
func (ss *session) refuse(reply string) iouring.Action {
	if ss.tlsp != nil {
		ss.send([]byte(reply), true)
	} else {
		_ = ss.r.Send(ss.c, []byte(reply))
	}
	return iouring.Drain
}

func (ss *session) armTimeout(d time.Duration) {
	if d > 0 {
		_ = ss.r.SetTimeout(ss.c, d)
	}
}

// OnData feeds the session machine; under TLS the bytes are ciphertext
// for the TLS goroutines.
func (ss *session) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
	if ss.tlsp != nil {
		return ss.tlsp.OnData(r, c, p)
	}
	if ss.awaitProxy {
		return ss.proxyHeader(p)
	}
	return ss.feed(p)
}

// feed runs the session machine over new input p (borrowed).
func (ss *session) feed(p []byte) iouring.Action {
	if len(ss.in) > 0 {
		ss.in = append(ss.in, p...)
		return ss.run(ss.in, true)
	}
	return ss.run(p, false)
}

// run feeds buf (owned says it is ss.in) until the machine needs more input
// or waits for a commit, keeps what is left and flushes the replies.
func (ss *session) run(buf []byte, owned bool) iouring.Action {
	for !ss.waiting && !ss.stopping() {
		n, ev := ss.srv.Feed(buf)
		buf = buf[n:]
		if ev == smtpwire.SEvNone {
			break
		}
		if ev == smtpwire.SEvQuit {
			ss.flush()
			return iouring.Drain
		}
		ss.event(ev)
	}
	if ss.discard {
		ss.discard = false
		buf = nil
	}
	if owned {
		ss.in = ss.in[:copy(ss.in, buf)] // buf is a suffix of ss.in: copy moves it down
	} else {
		ss.in = append(ss.in[:0], buf...)
	}
	ss.flush()
	if ss.srv.Closed() {
		return iouring.Drain
	}
	if ss.stopping() {
		ss.send(ss.pol.shuttingDown, false)
		return iouring.Drain
	}
	return iouring.Continue
}

// stopping reports whether the service is stopping and this session is
// between transactions, so it is to be told 421 and closed.
func (ss *session) stopping() bool {
	return ss.sh.draining && !ss.waiting && !ss.srv.InTransaction()
}

// drainIfIdle closes the session at once when it is between transactions
// (Shard.Drain); otherwise run does it when the transaction ends.
func (ss *session) drainIfIdle() {
	switch {
	case ss.awaitProxy, ss.tlsGreeting:
		_ = ss.r.Close(ss.c) // not greeted yet: nothing to say
	case ss.stopping():
		ss.send(ss.pol.shuttingDown, true)
	}
}

// flush sends the replies collected so far.
func (ss *session) flush() {
	if len(ss.srv.Out) > 0 {
		if ss.src != nil && ss.src.LogCommands {
			ss.svc.logf("inbound: %s <- %q", ss.remote, ss.srv.Out)
		}
		ss.send(ss.srv.Out, false)
		ss.srv.Out = ss.srv.Out[:0]
	}
}

// send queues p (borrowed) to the client, in the clear or through TLS,
// and with closeAfter ends the session once it is written.
func (ss *session) send(p []byte, closeAfter bool) {
	if ss.tlsp != nil {
		if !ss.closed && !ss.tlsp.Send(append([]byte(nil), p...), closeAfter) {
			ss.svc.logf("inbound: %s: TLS client does not read its replies; closing", ss.remote)
		}
		return
	}
	if len(p) > 0 {
		_ = ss.r.Send(ss.c, p)
	}
	if closeAfter {
		_ = ss.r.Drain(ss.c)
	}
}

// act carries out an Action that arose outside a callback of this
// connection (after a commit, under TLS).
func (ss *session) act(a iouring.Action) {
	switch a {
	case iouring.Drain:
		ss.send(nil, true)
	case iouring.Close:
		_ = ss.r.Close(ss.c)
	}
}

// event decides one event of the session machine.
func (ss *session) event(ev smtpwire.ServerEvent) {
	cmd := &ss.srv.Cmd
	switch ev {
	case smtpwire.SEvHello:
		ss.helo = string(cmd.Arg)
		ss.srv.Accept()
	case smtpwire.SEvMail:
		if r := ss.src.MaxMsgRate; !r.Unlimited() && ss.client != nil && !ss.client.Allow(time.Now(), r.Count, r.Per) {
			ss.svc.Counters.RateLimited.Add(1)
			ss.srv.Reply(replyRateLimited)
			return
		}
		ss.startTransaction(cmd)
		ss.srv.Accept()
	case smtpwire.SEvRcpt:
		ss.recipient(cmd)
	case smtpwire.SEvData:
		if why, bad := ss.unhealthy(); bad {
			ss.svc.Counters.Refused.Add(1)
			ss.svc.logf("inbound: %s: refusing DATA: %s", ss.remote, why)
			ss.srv.Reply(replyNoStorage)
			return
		}
		ss.srv.Body = ss.srv.Body[:0]
		ss.armTimeout(ss.src.SMTPDataTimeout)
		ss.srv.Accept()
	case smtpwire.SEvMessage:
		ss.commit()
	case smtpwire.SEvAuth:
		ss.authenticate()
	case smtpwire.SEvStartTLS:
		ss.startTLS()
	default:
		ss.srv.Reply(replyNotImpl)
	}
}

func (ss *session) unhealthy() (string, bool) {
	if h := ss.svc.opts.Health; h != nil {
		return h.Unhealthy()
	}
	return "", false
}

// startTransaction records MAIL FROM and its parameters.
func (ss *session) startTransaction(cmd *smtpwire.Command) {
	tx := &ss.tx
	tx.from, tx.envID, tx.rcpts = "", "", tx.rcpts[:0]
	if !cmd.Path.Null {
		tx.from = string(cmd.Path.Mailbox)
	}
	if len(cmd.Mail.EnvID) > 0 {
		if v, err := smtpwire.DecodeXtext(nil, cmd.Mail.EnvID); err == nil {
			tx.envID = string(v)
		}
	}
	tx.ret = spool.Ret(cmd.Mail.Ret) // both follow RFC 3461's order: unset, FULL, HDRS
	tx.utf8 = cmd.Mail.SMTPUTF8
	switch cmd.Mail.Body {
	case smtpwire.Body8BitMIME:
		tx.body = spool.Body8BitMIME
	case smtpwire.BodyBinaryMIME:
		tx.body = spool.BodyBinaryMIME
	default:
		tx.body = spool.Body7Bit
	}
}

// recipient checks relaying and records an accepted RCPT.
func (ss *session) recipient(cmd *smtpwire.Command) {
	if !ss.pol.mayRelayTo(ss.src, ss.srv.Authenticated(), cmd.Path.Mailbox) {
		ss.svc.Counters.RelayDenied.Add(1)
		if ss.pol.cfg.Global.RelayDebug {
			ss.srv.Reply(replyRelayDebug)
		} else {
			ss.srv.Reply(replyRelayDenied)
		}
		return
	}
	rc := spool.Recipient{Addr: string(cmd.Path.Mailbox), Notify: spool.Notify(cmd.Rcpt.Notify)}
	if len(cmd.Rcpt.ORCPT) > 0 {
		if v, err := smtpwire.DecodeXtext(nil, cmd.Rcpt.ORCPT); err == nil {
			rc.ORCPT = string(cmd.Rcpt.ORCPTType) + ";" + string(v)
		}
	}
	ss.tx.rcpts = append(ss.tx.rcpts, rc)
	ss.srv.Accept()
}

// commit hands the message to the Committer; input waits for the outcome.
// originName is the messages' Origin, built at the first commit (after
// any PROXY header has named the real client).
func (ss *session) originName() string {
	if ss.origin == "" {
		ss.origin = "smtp " + ss.remote.Addr().String()
	}
	return ss.origin
}

// addedHeadersRoom is what the headers commit adds usually take; more
// (a long TLS cipher name, an IPv6 client) only costs one more growth.
const addedHeadersRoom = 512

func (ss *session) commit() {
	tx := &ss.tx
	now := time.Now()
	m := &spool.Message{From: tx.from, EnvID: tx.envID, Ret: tx.ret, Body: tx.body, SMTPUTF8: tx.utf8,
		VMTA: ss.src.DefaultVirtualMTA, Origin: ss.originName(), Received: now,
		Recipients: append([]spool.Recipient(nil), tx.rcpts...)}
	if ss.src.BCC != "" { // the source's archive copy: one more recipient, no DSN
		m.Recipients = append(m.Recipients, spool.Recipient{Addr: ss.src.BCC, Notify: spool.NotifyNever})
	}
	// One allocation for the stored body: room for the message and the
	// headers we add (Received, Message-ID, Date), so the appends below
	// never grow it (the body then lives in the queue until delivered).
	body := make([]byte, 0, len(ss.srv.Body)+addedHeadersRoom)
	if ss.src.AddReceivedHeader {
		body = appendReceived(body, ss, now)
	}
	body = appendMissingHeaders(body, ss.srv.Body, ss, now)
	body, rt := appendRouted(body, ss.srv.Body, ss.src, ss.src.AddDateHeader == "override")
	if n := ss.src.MaxMessageHops; n > 0 && rt.hops > n {
		// RFC 5321 §6.3: a message that has passed too many relays loops.
		ss.svc.logf("inbound: %s: refusing a message with %d Received fields (max-message-hops %d)", ss.remote, rt.hops, n)
		ss.srv.Reply(replyTooManyHops)
		ss.srv.Body = ss.srv.Body[:0]
		return
	}
	if rt.envID != "" {
		m.EnvID = rt.envID
	}
	if rt.vmta != "" {
		// PowerMTA's rule: an unknown name falls back to
		// invalid-virtual-mta-fallback, else is refused
		// (reject-invalid-virtual-mta), else is ignored.
		switch fallback := ss.pol.cfg.Global.InvalidVirtualMTAFallback; {
		case ss.pol.cfg.KnownVMTA(rt.vmta):
			m.VMTA = rt.vmta
		case fallback != "":
			m.VMTA = fallback
		case ss.src.RejectInvalidVirtualMTA:
			ss.srv.Reply(replyInvalidVMTA)
			ss.srv.Body = ss.srv.Body[:0]
			return
		}
	}
	if rt.job != "" {
		m.Job = ss.jobPrefix() + rt.job
	}
	ss.wait()
	parts := ss.one[:]
	ss.one[0] = m
	if rt.vmta == "" { // X-Virtual-MTA comes first
		if split := ChooseVMTAs(ss.pol.cfg, ss.src, m, ss.srv.Body); split != nil {
			parts = split
		}
	}
	ss.parts, ss.partsAll, ss.partFail, ss.partID = len(parts), len(parts), nil, spool.ID{}
	for _, pm := range parts {
		ss.store(pm, body)
	}
}

var replyTooManyHops = smtpwire.Reply{Code: smtpwire.C554TransactionFailed, Enh: smtpwire.Enhanced{Class: 5, Subject: 4, Detail: 6},
	Text: "Too many hops: routing loop"}

// jobPrefix is the source's jobid-prefix, {auth} standing for the name
// the client authenticated as: one client's job names cannot be taken
// for another's.
func (ss *session) jobPrefix() string {
	p := ss.src.JobIDPrefix
	if p == "{auth}" {
		return ss.authUser
	}
	return p
}

// ChooseVMTAs applies the source's pattern-list to a message that did not
// name its vMTA in X-Virtual-MTA (PowerMTA's order: the header, then the
// pattern-list, then default-virtual-mta): each recipient goes to the
// vMTA of the first entry that matches it, else the message's. It returns
// nil when the message stays one (its VMTA set when an entry chose one),
// else one message per vMTA, to be stored and queued apart and answered
// together. msg is the message as received, for header entries.
func ChooseVMTAs(cfg *config.Config, src *config.SourceSettings, m *spool.Message, msg []byte) []*spool.Message {
	if src.PatternList == "" {
		return nil
	}
	l := cfg.VMTAPatternList(src.PatternList)
	if l == nil {
		return nil
	}
	header := func(name string) (string, bool) { return headerValue(msg, name) }
	if !l.RecipientDependent() || len(m.Recipients) == 1 { // one choice for the message
		rcpt := ""
		if len(m.Recipients) == 1 {
			rcpt = m.Recipients[0].Addr
		}
		if v := l.VMTA(m.From, rcpt, header); v != "" {
			m.VMTA = v
		}
		return nil
	}
	var parts []*spool.Message
	for _, rc := range m.Recipients {
		v := l.VMTA(m.From, rc.Addr, header)
		if v == "" {
			v = m.VMTA
		}
		var part *spool.Message
		for _, p := range parts {
			if p.VMTA == v {
				part = p
			}
		}
		if part == nil {
			c := *m
			c.VMTA, c.Recipients = v, nil
			part = &c
			parts = append(parts, part)
		}
		part.Recipients = append(part.Recipients, rc)
	}
	if len(parts) == 1 {
		m.VMTA = parts[0].VMTA
		return nil
	}
	return parts
}

// store prepares (signs, checks) and commits one message of the
// transaction, off the loop; committed or prepareFailed follows on it.
func (ss *session) store(m *spool.Message, body []byte) {
	r, svc := ss.r, ss.svc
	if p := svc.opts.Prepare; p != nil && p.Wants(ss.pol.cfg, ss.src, m) {
		ss.prepareThenCommit(m, body)
		return
	}
	svc.opts.Commit.Commit(m, body, func(id spool.ID, err error) {
		_ = r.Post(func() { ss.committed(id, m, body, err) })
	})
}

// committed notes one stored (or refused) message of the transaction.
func (ss *session) committed(id spool.ID, m *spool.Message, body []byte, err error) {
	if err == nil && ss.sh.accepted != nil {
		// Durable: the queues get it even if the client has gone.
		ss.sh.accepted(id, m, body, ss.src)
	}
	switch {
	case err != nil:
		ss.svc.logf("inbound: %s: message not stored: %v", ss.remote, err)
		ss.partFailed(&replyNoStorage)
	case ss.partID.IsZero():
		ss.partID = id
	}
	ss.partDone()
}

func (ss *session) partFailed(r *smtpwire.Reply) {
	if ss.partFail == nil {
		ss.partFail = r
	}
}

// partDone answers the transaction once its last message is stored or
// refused, then goes on with whatever the client pipelined behind it. A
// refusal of one of several messages answers for all, though the others
// are stored (and delivered): a retry may then duplicate them, never lose.
func (ss *session) partDone() {
	if ss.parts--; ss.parts > 0 || ss.closed {
		return
	}
	if ss.partFail != nil {
		ss.svc.Counters.Refused.Add(1)
		ss.srv.Reply(*ss.partFail)
	} else {
		ss.svc.Counters.Messages.Add(1)
		ss.svc.Counters.Recipients.Add(uint64(len(ss.tx.rcpts)))
		var text [96]byte // one allocation for the reply text, not two
		t := ss.partID.Append(append(text[:0], "OK queued as "...))
		if ss.partsAll > 1 {
			t = strconv.AppendInt(append(t, " and "...), int64(ss.partsAll-1), 10)
			t = append(t, " more, one per virtual-mta"...)
		}
		ss.srv.Reply(smtpwire.Reply{Code: smtpwire.C250OK, Enh: smtpwire.E200Other, Text: string(t)})
	}
	ss.srv.Body = ss.srv.Body[:0]
	ss.armTimeout(ss.src.SMTPCommandTimeout)
	ss.resume()
}

// wait stops reading while work for this session runs off the loop
// (under TLS the reader waits for credit instead).
func (ss *session) wait() {
	ss.waiting = true
	if ss.tlsp == nil {
		_ = ss.r.PauseRecv(ss.c)
	}
}

// resume reads again and goes on with whatever the client pipelined
// meanwhile. It runs on the loop, outside any callback of this
// connection, so it carries out run's Action itself.
func (ss *session) resume() {
	ss.waiting = false
	if ss.tlsp == nil {
		_ = ss.r.ResumeRecv(ss.c)
	}
	ss.act(ss.run(ss.in, true))
	if ss.tlsp != nil && !ss.waiting {
		ss.tlsp.Grant()
	}
}

// OnTimeout cuts off an idle client (RFC 5321 §4.5.3.2), unless it waits
// for our own commit.
func (ss *session) OnTimeout(r iouring.Reactor, c iouring.Conn) iouring.Action {
	if ss.waiting {
		return iouring.Continue
	}
	ss.send([]byte("421 4.4.2 "+ss.pol.hostname+" timeout, closing connection\r\n"), ss.tlsp != nil)
	if ss.tlsp != nil {
		return iouring.Continue // the writer closes after the reply
	}
	return iouring.Drain
}

// OnEOF: the client stopped sending; answer what is pending, then close.
// Under TLS the reader sees the end itself (tlsEOF).
func (ss *session) OnEOF(r iouring.Reactor, c iouring.Conn) iouring.Action {
	if ss.tlsp != nil {
		return ss.tlsp.OnEOF(r, c)
	}
	return iouring.Drain
}

// OnSent lets a blocked TLS writer go on.
func (ss *session) OnSent(r iouring.Reactor, c iouring.Conn) iouring.Action {
	if ss.tlsp != nil {
		return ss.tlsp.OnSent(r, c)
	}
	return iouring.Continue
}

// OnClose marks the session over, so a late commit outcome is dropped, and
// releases the TLS goroutines.
func (ss *session) OnClose(r iouring.Reactor, c iouring.Conn, err error) {
	ss.closed = true
	ss.sh.remove(ss)
	if ss.client != nil {
		ss.svc.clients.Release(ss.client, ss.group)
		ss.client = nil
	}
	if ss.tlsp != nil {
		ss.tlsp.Closed(r, c, err)
	}
	if ss.src != nil && ss.src.LogConnections {
		ss.svc.logf("inbound: connection from %s closed", ss.remote)
	}
}

var (
	replyAuthFailed    = smtpwire.Reply{Code: smtpwire.C535AuthInvalid, Enh: smtpwire.E578AuthInvalid, Text: "Authentication credentials invalid"}
	replyAuthThrottled = smtpwire.Reply{Code: smtpwire.C454TempAuthFailure, Enh: smtpwire.E470SecurityOther,
		Text: "Too many failed authentication attempts, try again later"}
)

// authenticate checks AUTH credentials against <smtp-user>. Slow hashes
// (bcrypt, argon2id) are checked on a goroutine, never on the loop; the
// session reads no input meanwhile, as during a commit.
func (ss *session) authenticate() {
	if r := ss.src.SMTPMaxAuthFailureRate; !r.Unlimited() && ss.client != nil && ss.client.AuthBlocked(time.Now(), r.Count, r.Per) {
		ss.svc.logf("inbound: %s: AUTH refused unchecked: more than %s failed attempts", ss.remote, r)
		ss.srv.Reply(replyAuthThrottled)
		return
	}
	users := ss.pol.users
	if users == nil {
		ss.srv.Reply(replyAuthFailed)
		return
	}
	if !users.NeedsWorker(ss.srv.AuthUser) {
		source, ok := users.Check(ss.srv.AuthUser, ss.srv.AuthPass)
		ss.authResult(source, ok)
		return
	}
	user, pass := append([]byte(nil), ss.srv.AuthUser...), append([]byte(nil), ss.srv.AuthPass...)
	ss.wait()
	r := ss.r
	go func() {
		source, ok := users.Check(user, pass)
		_ = r.Post(func() {
			if !ss.closed {
				ss.authResult(source, ok)
				ss.resume()
			}
		})
	}()
}

// authResult answers AUTH; success switches the session to the policy of
// the user's source (or {auth}).
func (ss *session) authResult(source string, ok bool) {
	if !ok {
		ss.svc.logf("inbound: %s: AUTH failed for %q", ss.remote, ss.srv.AuthUser)
		if r := ss.src.SMTPMaxAuthFailureRate; !r.Unlimited() && ss.client != nil {
			ss.client.AuthFailed(time.Now(), r.Count, r.Per)
		}
		ss.srv.Reply(replyAuthFailed)
		return
	}
	name := source
	if name == "" {
		name = ss.source
	}
	ss.authUser = string(ss.srv.AuthUser)
	ss.src = ss.pol.cfg.SourceFor(ss.remote.Addr(), name, true)
	ss.srv.Accept()
}

// proxyHeader reads the PROXY protocol header (v1 or v2), then greets the
// client it names with that client's policy. A connection that does not
// start with a valid header is closed without a word: the peer is not the
// load balancer the source trusts.
func (ss *session) proxyHeader(p []byte) iouring.Action {
	ss.in = append(ss.in, p...)
	h, n, err := proxy.Parse(ss.in)
	if err == proxy.ErrNeedMore {
		return iouring.Continue
	}
	if err != nil {
		ss.svc.logf("inbound: %s: bad PROXY protocol header: %v", ss.remote, err)
		return iouring.Close
	}
	ss.awaitProxy = false
	if h.Source.IsValid() {
		ss.remote, ss.local = h.Source, h.Dest
		ss.src = ss.pol.cfg.SourceFor(ss.remote.Addr(), ss.source, false)
	}
	rest := ss.in[n:]
	ss.in = ss.in[:copy(ss.in, rest)]
	if a := ss.begin(); a != iouring.Continue {
		return a
	}
	if ss.tlsp != nil && len(ss.in) > 0 {
		// The client's first TLS bytes came with the header.
		hello := append([]byte(nil), ss.in...)
		ss.in = ss.in[:0]
		return ss.tlsp.OnData(ss.r, ss.c, hello)
	}
	if len(ss.in) > 0 {
		return ss.run(ss.in, true)
	}
	return iouring.Continue
}
