package outbound

import (
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/inbound/proxy"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/tlspipe"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
	"github.com/volleymta/volley/spool"
)

// Kind is a recipient's outcome.
type Kind uint8

const (
	Delivered Kind = iota
	Deferred
	Bounced
	kindCount
)

var kindNames = [kindCount]string{"delivered", "deferred", "bounced"}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "invalid"
}

// Outcome is what became of one recipient.
type Outcome struct {
	Entry queue.Entry
	Kind  Kind
	// Reply is the server's reply ("550 5.1.1 no such user") or, when the
	// server gave none, a local diagnostic in the same shape.
	Reply string
	// Stage is the step the deciding reply answered.
	Stage smtpwire.Stage
	// T is the connection the outcome came from (zero for local outcomes
	// such as a null MX or an expired recipient), TLSVersion and TLSCipher
	// its encryption ("" in the clear).
	T                     Target
	TLSVersion, TLSCipher string
	// Category, when set, is the bounce category chosen here rather than
	// by classifying Reply ("deleted" for an operator's delete); NoDSN
	// says no delivery status notification goes out for it.
	Category string
	NoDSN    bool
	// Mode is the queue's mode when the outcome was decided: for an
	// attempt, the mode it was made in (a reply that switches the mode
	// counts from the next attempt on); ModeNone for an outcome no queue
	// decided (suppressed or processed at injection). Accounting's
	// queueMode column.
	Mode queue.Mode
	// Warmup is the share of its rate a warm-up held the attempt's source
	// address to (queue.WarmupFraction; 0: none held it): accounting's
	// dlvWarmup column.
	Warmup float64
}

// Target is where a session connects.
type Target struct {
	Remote netip.AddrPort
	// Source is the virtual MTA's address (the zero Addr: the kernel's choice).
	Source netip.Addr
	// MX is the host name Remote belongs to, for logs and accounting.
	MX string
	// VMTA is the virtual MTA whose source this is (a pool's member), or "".
	VMTA string
	// Proxy is the <proxy> the connection goes through (nil: direct):
	// Volley connects to its server and asks it, in a PROXY v1 header, to
	// connect from Source, port SourcePort, to Remote.
	Proxy      *config.Proxy
	SourcePort uint16
}

// Options are a session's settings, shared read-only by the sessions of a queue.
type Options struct {
	Client smtpwire.ClientConfig
	// MaxMsgs is max-msg-per-connection (0: no limit).
	MaxMsgs int
	// ConnectTimeout bounds the TCP connect; ReplyTimeout bounds the wait
	// for any reply (smtp-greeting-timeout, data-send-timeout: the longest).
	ConnectTimeout, ReplyTimeout time.Duration
	// IdleTimeout is how long a session with nothing to send stays open
	// for new mail (connection-idle-timeout; 0: it quits at once).
	IdleTimeout time.Duration
	// Rewrite is the vMTA's <rewrite-list> for MAIL FROM (nil: none).
	Rewrite *config.RewriteList
}

// Feeder is the queue side of a session. Its methods run on the loop.
type Feeder interface {
	// Next returns the next transaction's recipients, all of one message,
	// with Msg and Body set. With none, wait says to stay idle (the feeder
	// calls Resume when there is work) rather than quit.
	Next(s *Session) (entries []queue.Entry, wait bool)
	// Settled receives the outcomes of a transaction (or of recipients a
	// failure left undecided). out is reused after the call.
	Settled(s *Session, out []Outcome)
	// Closed is the session's end; err is why it failed before it could
	// deliver anything (connect refused, greeting refused), else nil.
	Closed(s *Session, err error)
}

// Session is one outbound SMTP connection.
type Session struct {
	iouring.Base
	T    Target
	opts *Options
	f    Feeder

	r  iouring.Reactor
	c  iouring.Conn
	cl smtpwire.Client
	in []byte

	// tlsp carries the connection once STARTTLS succeeded; TLSVersion and
	// TLSCipher say what was agreed ("" in the clear).
	tlsp                  *tlspipe.Pipe
	TLSVersion, TLSCipher string

	tx smtpwire.Transaction
	// arena holds the transaction's byte strings; spans locate them.
	arena   []byte
	spans   [][2]int
	entries []queue.Entry
	decided []bool
	outs    []Outcome
	// Msgs counts transactions finished; Err is why the session failed.
	Msgs int
	Err  error
	// quitAfter ends the session after its transaction (skip-mx).
	quitAfter bool
	// rcptErrors counts the recipients refused on this connection
	// (max-errors-per-connection).
	rcptErrors int
	// Refusal is the server's reply that ended the session (a 421 or 5xx
	// greeting, a refused EHLO), "" when none did: what the queue's
	// smtp-pattern-list reads at connect.
	Refusal string
	// RefusedAt is the stage Refusal answered (the greeting, EHLO, ...).
	RefusedAt smtpwire.Stage
	closed    bool
	// idle: ready with nothing to send, waiting for Resume.
	idle bool
	// Unreached: the TCP connect itself failed (with a proxy: the proxy
	// could not be reached, which says nothing of the receiver).
	Unreached bool
}

// Local diagnostics, in reply form, for failures the server did not word.
const (
	diagTimeout = "451 4.4.2 timed out waiting for the server"
	diagLost    = "451 4.4.2 connection lost"
)

// ErrNoGreeting reports a connection that failed before the session was ready.
var ErrNoGreeting = errors.New("outbound: session failed before it was ready")

// Dial opens a session to t on r (on r's loop). Connection failures arrive
// through f.Closed.
func Dial(r iouring.Reactor, t Target, opts *Options, f Feeder) (*Session, error) {
	s := &Session{T: t, opts: opts, f: f, r: r}
	s.cl.Reset(&opts.Client)
	remote, local := t.Remote, t.Source
	if t.Proxy != nil {
		remote, local = t.Proxy.Server, netip.Addr{}
	}
	c, err := r.Connect(remote, local, opts.ConnectTimeout, s)
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

// OnOpen arms the greeting timeout.
func (s *Session) OnOpen(r iouring.Reactor, c iouring.Conn, err error) iouring.Action {
	if err != nil {
		s.Err, s.Unreached = err, true
		s.finish()
		return iouring.Close
	}
	s.c = c
	if t := s.T; t.Proxy != nil {
		h := proxy.Header{Command: proxy.Proxy, Source: netip.AddrPortFrom(t.Source, t.SourcePort), Dest: t.Remote}
		_ = r.Send(c, proxy.Append(make([]byte, 0, proxy.MaxV1Len), h, false))
	}
	s.arm()
	return iouring.Continue
}

func (s *Session) arm() {
	if d := s.opts.ReplyTimeout; d > 0 {
		_ = s.r.SetTimeout(s.c, d)
	}
}

// OnData feeds the client machine and acts on its events; under TLS the
// bytes are ciphertext for the pipe.
func (s *Session) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
	if s.tlsp != nil {
		return s.tlsp.OnData(r, c, p)
	}
	return s.feed(p)
}

// feed runs the client machine over new input p (borrowed).
func (s *Session) feed(p []byte) iouring.Action {
	buf := p
	if len(s.in) > 0 {
		s.in = append(s.in, p...)
		buf = s.in
	}
	for {
		n, ev := s.cl.Feed(buf)
		buf = buf[n:]
		switch ev {
		case smtpwire.CEvNone:
			s.in = append(s.in[:0], buf...)
			s.flush()
			return iouring.Continue
		case smtpwire.CEvReady:
			s.next()
		case smtpwire.CEvRcpt:
			s.rcptReply()
		case smtpwire.CEvDone:
			s.done()
			s.next()
		case smtpwire.CEvStartTLS:
			s.in = s.in[:0] // nothing may follow the 220 in the clear
			s.startTLS()
			return iouring.Continue
		case smtpwire.CEvFailed:
			s.Refusal, s.RefusedAt = replyString(&s.cl.Reply), s.cl.Stage
			s.fail(s.cl.Err, s.Refusal)
			s.flush()
			return iouring.Drain
		case smtpwire.CEvClosed:
			return iouring.Drain
		}
	}
}

// next starts the next transaction, or quits when there is none.
func (s *Session) next() {
	for {
		if s.opts.MaxMsgs > 0 && s.Msgs >= s.opts.MaxMsgs {
			s.cl.Quit()
			return
		}
		entries, wait := s.f.Next(s)
		if len(entries) == 0 {
			if wait && s.opts.IdleTimeout > 0 {
				s.idle = true
				_ = s.r.SetTimeout(s.c, s.opts.IdleTimeout)
				return
			}
			s.cl.Quit()
			return
		}
		s.begin(entries)
		err := s.cl.Send(&s.tx)
		if err == nil {
			return
		}
		// Not sendable to this server at all (too big, needs SMTPUTF8):
		// every recipient gets the local reply, and the session goes on.
		var we *smtpwire.Error
		text := "554 5.3.0 " + err.Error()
		if errors.As(err, &we) {
			text = formatReply(we.Reply.Code, we.Reply.Enh, we.Reply.Text)
		}
		s.decideAll(text, smtpwire.StageMail, kindOf(text))
		s.settle()
	}
}

// begin fills the transaction for entries, which share one message.
// The transaction's byte strings (sender, recipients, xtext parameters)
// are written into one arena the session reuses, so a transaction
// allocates nothing once the session has seen one as large.
func (s *Session) begin(entries []queue.Entry) {
	s.entries = append(s.entries[:0], entries...)
	s.decided = s.decided[:0]
	for range entries {
		s.decided = append(s.decided, false)
	}
	m := entries[0].Msg
	tx := &s.tx
	tx.Mail = smtpwire.MailParams{SMTPUTF8: m.SMTPUTF8 && needsUTF8(m, entries), Ret: smtpwire.Ret(m.Ret)}
	switch m.Body {
	case spool.Body8BitMIME:
		tx.Mail.Body = smtpwire.Body8BitMIME
	case spool.BodyBinaryMIME:
		tx.Mail.Body = smtpwire.BodyBinaryMIME
	}
	// Write everything first, recording where each piece is, then slice:
	// the arena may move while it grows.
	a := s.arena[:0]
	s.spans = s.spans[:0]
	mark := func(start int) { s.spans = append(s.spans, [2]int{start, len(a)}) }
	start := len(a)
	a = s.opts.Rewrite.AppendMailFrom(a, m.From)
	mark(start)
	start = len(a)
	a = smtpwire.AppendXtext(a, []byte(m.EnvID))
	mark(start)
	tx.Rcpt = tx.Rcpt[:0]
	for _, e := range entries {
		start = len(a)
		a = append(a, e.Addr...)
		mark(start)
		var p smtpwire.RcptParams
		typ, addr := "", ""
		if rc := m.Recipient(e.Index); rc != nil {
			p.Notify = smtpwire.Notify(rc.Notify)
			typ, addr, _ = strings.Cut(rc.ORCPT, ";")
		}
		start = len(a)
		a = append(a, typ...)
		mark(start)
		start = len(a)
		a = smtpwire.AppendXtext(a, []byte(addr))
		mark(start)
		tx.Rcpt = append(tx.Rcpt, p)
	}
	s.arena = a
	span := func(i int) []byte {
		if sp := s.spans[i]; sp[1] > sp[0] {
			return a[sp[0]:sp[1]:sp[1]]
		}
		return nil
	}
	tx.From, tx.Mail.EnvID = span(0), span(1)
	tx.To = tx.To[:0]
	for i := range entries {
		tx.To = append(tx.To, span(2+3*i))
		tx.Rcpt[i].ORCPTType, tx.Rcpt[i].ORCPT = span(3+3*i), span(4+3*i)
	}
	tx.Body = entries[0].Body
}

// needsUTF8 reports whether a message the client sent with SMTPUTF8 really
// needs it: an address or a header field outside ASCII (RFC 6531 §3.2,
// RFC 6532). Many clients ask for SMTPUTF8 whenever it is offered; like
// Postfix, an all-ASCII message is sent without it, so that servers that
// do not offer it still get it.
func needsUTF8(m *spool.Message, entries []queue.Entry) bool {
	if !isASCII(m.From) {
		return true
	}
	for _, e := range entries {
		if !isASCII(e.Addr) {
			return true
		}
	}
	body := entries[0].Body
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= 0x80 {
			return true
		}
		if c == '\n' && i+2 < len(body) && body[i+1] == '\r' && body[i+2] == '\n' {
			return false // the end of the header section
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// rcptReply records a refused recipient at once; accepted ones wait for
// the message's outcome.
func (s *Session) rcptReply() {
	r := &s.cl.Reply
	if r.Code.Positive() {
		return
	}
	i := s.cl.RcptIndex
	if i < 0 || i >= len(s.entries) || s.decided[i] {
		return
	}
	text := replyString(r)
	s.decide(i, text, smtpwire.StageRcpt, kindOf(text))
}

// done settles the transaction: the final reply decides every recipient
// the RCPT stage left open.
func (s *Session) done() {
	text := replyString(&s.cl.Reply)
	kind := kindOf(text)
	s.decideAll(text, s.cl.Stage, kind)
	s.Msgs++
	s.settle()
}

// fail ends the session: recipients still open are deferred with reason.
func (s *Session) fail(err error, reason string) {
	if err == nil {
		err = ErrNoGreeting
	}
	if !s.cl.Ready() && s.Msgs == 0 && len(s.entries) == 0 {
		s.Err = err
	}
	if reason == "" || kindOf(reason) != Deferred {
		reason = diagLost + " (" + err.Error() + ")"
	}
	s.decideAll(reason, s.cl.Stage, Deferred)
	s.settle()
}

func (s *Session) decide(i int, text string, st smtpwire.Stage, k Kind) {
	s.decided[i] = true
	s.outs = append(s.outs, Outcome{Entry: s.entries[i], Kind: k, Reply: text, Stage: st, T: s.T,
		TLSVersion: s.TLSVersion, TLSCipher: s.TLSCipher})
}

func (s *Session) decideAll(text string, st smtpwire.Stage, k Kind) {
	for i := range s.entries {
		if !s.decided[i] {
			s.decide(i, text, st, k)
		}
	}
}

// settle hands the outcomes collected to the feeder.
func (s *Session) settle() {
	if len(s.outs) > 0 {
		s.f.Settled(s, s.outs)
	}
	clear(s.outs)
	s.outs = s.outs[:0]
	s.entries = s.entries[:0]
}

func (s *Session) flush() {
	if len(s.cl.Out) > 0 && !s.closed {
		if s.tlsp != nil {
			s.tlsp.Send(append([]byte(nil), s.cl.Out...), false)
		} else {
			_ = s.r.Send(s.c, s.cl.Out)
		}
		s.cl.Out = s.cl.Out[:0]
		s.arm()
	}
}

// act carries out an Action that arose outside a callback of this
// connection (TLS input).
func (s *Session) act(a iouring.Action) {
	switch {
	case a == iouring.Drain && s.tlsp != nil:
		s.tlsp.Send(nil, true)
	case a == iouring.Drain:
		_ = s.r.Drain(s.c)
	case a == iouring.Close:
		_ = s.r.Close(s.c)
	}
}

// startTLS runs the TLS handshake after the server's 220 to STARTTLS. The
// certificate is not verified: STARTTLS here guards against passive
// eavesdropping, as opportunistic TLS does (RFC 7435); DANE and MTA-STS
// are what authenticate a server.
func (s *Session) startTLS() {
	cfg := &tls.Config{ServerName: s.T.MX, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // opportunistic TLS, RFC 7435
	timeout := s.opts.ReplyTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	s.tlsp = tlspipe.Start(s.r, s.c, func(c net.Conn) *tls.Conn { return tls.Client(c, cfg) }, timeout, s)
}

// TLSUp implements tlspipe.Handler: the machine greets again (EHLO).
func (s *Session) TLSUp(st *tls.ConnectionState) {
	if s.closed {
		return
	}
	s.TLSVersion = strings.Replace(tls.VersionName(st.Version), "TLS ", "TLSv", 1)
	s.TLSCipher = tls.CipherSuiteName(st.CipherSuite)
	s.cl.TLSStarted()
	s.flush()
	s.tlsp.Grant()
}

// TLSFailed implements tlspipe.Handler: the connection fails before any
// transaction; Err tells the deliverer it was TLS.
func (s *Session) TLSFailed(err error) {
	s.Err = &TLSError{Err: err}
}

// TLSInput implements tlspipe.Handler.
func (s *Session) TLSInput(data []byte) {
	if s.closed {
		return
	}
	s.act(s.feed(data))
	s.tlsp.Grant()
}

// TLSEOF implements tlspipe.Handler: the server's input ended.
func (s *Session) TLSEOF(err error) {
	if s.closed {
		return
	}
	if len(s.entries) > 0 || !s.cl.Ready() {
		s.fail(err, "")
	}
	_ = s.r.Close(s.c)
}

// TLSError is a session that failed in its TLS handshake.
type TLSError struct{ Err error }

func (e *TLSError) Error() string { return "TLS handshake: " + e.Err.Error() }
func (e *TLSError) Unwrap() error { return e.Err }

// Resume gives an idle session work again (the feeder's call, on the
// loop); false when it is no longer idle (it quit or closed).
func (s *Session) Resume() bool {
	if s.closed || !s.idle {
		return false
	}
	s.idle = false
	s.arm()
	s.next()
	s.flush()
	return true
}

// QuitIdle ends an idle session politely (its slot is wanted elsewhere);
// false when it is not idle.
func (s *Session) QuitIdle() bool {
	if s.closed || !s.idle {
		return false
	}
	s.idle = false
	s.cl.Quit()
	s.flush()
	return true
}

// OnTimeout gives up on a server that stopped answering, or ends an idle
// session politely.
func (s *Session) OnTimeout(iouring.Reactor, iouring.Conn) iouring.Action {
	if s.QuitIdle() {
		return iouring.Continue
	}
	s.fail(errors.New("timed out"), diagTimeout)
	return iouring.Close
}

// OnEOF: the server hung up; what is undecided is deferred.
func (s *Session) OnEOF(r iouring.Reactor, c iouring.Conn) iouring.Action {
	if s.tlsp != nil {
		return s.tlsp.OnEOF(r, c)
	}
	if len(s.entries) > 0 || !s.cl.Ready() {
		s.fail(errors.New("connection closed by the server"), "")
	}
	return iouring.Close
}

// OnSent lets a blocked TLS writer go on.
func (s *Session) OnSent(r iouring.Reactor, c iouring.Conn) iouring.Action {
	if s.tlsp != nil {
		return s.tlsp.OnSent(r, c)
	}
	return iouring.Continue
}

// OnClose ends the session.
func (s *Session) OnClose(r iouring.Reactor, c iouring.Conn, err error) {
	if s.tlsp != nil {
		s.tlsp.Closed(r, c, err)
	}
	if len(s.entries) > 0 {
		if err == nil {
			err = errors.New("connection closed")
		}
		s.fail(err, "")
	}
	s.finish()
}

func (s *Session) finish() {
	if s.closed {
		return
	}
	s.closed = true
	s.f.Closed(s, s.Err)
}

// kindOf classes a reply text by its code.
func kindOf(text string) Kind {
	switch {
	case len(text) > 0 && text[0] == '2':
		return Delivered
	case len(text) > 0 && text[0] == '5':
		return Bounced
	}
	return Deferred
}

func replyString(r *smtpwire.ParsedReply) string {
	if r.Code == 0 {
		return ""
	}
	// Built on the stack: the string the settler keeps is the only
	// allocation (one per delivery, gated by bench/gate).
	var buf [256]byte
	b := appendReplyHead(buf[:0], r.Code, r.Enh)
	if n := len(b); r.Lines > 0 {
		b = r.AppendText(append(b, ' '))
		if len(b) == n+1 {
			b = b[:n] // no text after all
		}
	}
	return string(b)
}

func formatReply(code smtpwire.Code, enh smtpwire.Enhanced, text string) string {
	var buf [256]byte
	b := appendReplyHead(buf[:0], code, enh)
	if text != "" {
		b = append(b, ' ')
		b = append(b, text...)
	}
	return string(b)
}

// appendReplyHead appends "CODE" or "CODE X.Y.Z".
func appendReplyHead(b []byte, code smtpwire.Code, enh smtpwire.Enhanced) []byte {
	b = strconv.AppendInt(b, int64(code), 10)
	if !enh.IsZero() {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(enh.Class), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(enh.Subject), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(enh.Detail), 10)
	}
	return b
}
