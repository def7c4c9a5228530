package outbound

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/volleymta/volley/engine/queue"
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
	// such as a null MX or an expired recipient).
	T Target
}

// Target is where a session connects.
type Target struct {
	Remote netip.AddrPort
	// Source is the virtual MTA's address (the zero Addr: the kernel's choice).
	Source netip.Addr
	// MX is the host name Remote belongs to, for logs and accounting.
	MX string
}

// Options are a session's settings, shared read-only by the sessions of a queue.
type Options struct {
	Client smtpwire.ClientConfig
	// MaxMsgs is max-msg-per-connection (0: no limit).
	MaxMsgs int
	// ConnectTimeout bounds the TCP connect; ReplyTimeout bounds the wait
	// for any reply (smtp-greeting-timeout, data-send-timeout: the longest).
	ConnectTimeout, ReplyTimeout time.Duration
}

// Feeder is the queue side of a session. Its methods run on the loop.
type Feeder interface {
	// Next returns the next transaction's recipients, all of one message,
	// with Msg and Body set; none makes the session quit.
	Next(s *Session) []queue.Entry
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

	tx      smtpwire.Transaction
	entries []queue.Entry
	decided []bool
	outs    []Outcome
	// Msgs counts transactions finished; Err is why the session failed.
	Msgs   int
	Err    error
	closed bool
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
	c, err := r.Connect(t.Remote, t.Source, opts.ConnectTimeout, s)
	if err != nil {
		return nil, err
	}
	s.c = c
	return s, nil
}

// OnOpen arms the greeting timeout.
func (s *Session) OnOpen(r iouring.Reactor, c iouring.Conn, err error) iouring.Action {
	if err != nil {
		s.Err = err
		s.finish()
		return iouring.Close
	}
	s.c = c
	s.arm()
	return iouring.Continue
}

func (s *Session) arm() {
	if d := s.opts.ReplyTimeout; d > 0 {
		_ = s.r.SetTimeout(s.c, d)
	}
}

// OnData feeds the client machine and acts on its events.
func (s *Session) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
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
			// Only offered when the policy asks for TLS, which needs the TLS
			// pump this package does not have yet: fail the session so the
			// recipients are deferred, not sent in the clear.
			s.fail(errors.New("outbound: STARTTLS is not supported yet"), "454 4.7.0 TLS not available")
			return iouring.Close
		case smtpwire.CEvFailed:
			s.fail(s.cl.Err, replyString(&s.cl.Reply))
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
		entries := s.f.Next(s)
		if len(entries) == 0 {
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
func (s *Session) begin(entries []queue.Entry) {
	s.entries = append(s.entries[:0], entries...)
	s.decided = append(s.decided[:0], make([]bool, len(entries))...)
	m := entries[0].Msg
	tx := &s.tx
	tx.From = append(tx.From[:0], m.From...)
	tx.Mail = smtpwire.MailParams{SMTPUTF8: m.SMTPUTF8 && needsUTF8(m, entries), Ret: smtpwire.Ret(m.Ret)}
	switch m.Body {
	case spool.Body8BitMIME:
		tx.Mail.Body = smtpwire.Body8BitMIME
	case spool.BodyBinaryMIME:
		tx.Mail.Body = smtpwire.BodyBinaryMIME
	}
	if m.EnvID != "" {
		tx.Mail.EnvID = smtpwire.AppendXtext(nil, []byte(m.EnvID))
	}
	tx.To, tx.Rcpt = tx.To[:0], tx.Rcpt[:0]
	for _, e := range entries {
		tx.To = append(tx.To, []byte(e.Addr))
		tx.Rcpt = append(tx.Rcpt, rcptParams(m, e.Index))
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

// rcptParams carries the recipient's DSN parameters on (RFC 3461 §4.1, §4.2).
func rcptParams(m *spool.Message, index uint16) smtpwire.RcptParams {
	var p smtpwire.RcptParams
	for i := range m.Recipients {
		rc := &m.Recipients[i]
		if rc.Index != index {
			continue
		}
		p.Notify = smtpwire.Notify(rc.Notify)
		if typ, addr, ok := cut(rc.ORCPT, ';'); ok {
			p.ORCPTType = []byte(typ)
			p.ORCPT = smtpwire.AppendXtext(nil, []byte(addr))
		}
		break
	}
	return p
}

func cut(s string, sep byte) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
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
	s.outs = append(s.outs, Outcome{Entry: s.entries[i], Kind: k, Reply: text, Stage: st, T: s.T})
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
		_ = s.r.Send(s.c, s.cl.Out)
		s.cl.Out = s.cl.Out[:0]
		s.arm()
	}
}

// OnTimeout gives up on a server that stopped answering.
func (s *Session) OnTimeout(iouring.Reactor, iouring.Conn) iouring.Action {
	s.fail(errors.New("timed out"), diagTimeout)
	return iouring.Close
}

// OnEOF: the server hung up; what is undecided is deferred.
func (s *Session) OnEOF(iouring.Reactor, iouring.Conn) iouring.Action {
	if len(s.entries) > 0 || !s.cl.Ready() {
		s.fail(errors.New("connection closed by the server"), "")
	}
	return iouring.Close
}

// OnClose ends the session.
func (s *Session) OnClose(_ iouring.Reactor, _ iouring.Conn, err error) {
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
	return formatReply(r.Code, r.Enh, string(r.AppendText(nil)))
}

func formatReply(code smtpwire.Code, enh smtpwire.Enhanced, text string) string {
	b := strconv.AppendInt(nil, int64(code), 10)
	if !enh.IsZero() {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(enh.Class), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(enh.Subject), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(enh.Detail), 10)
	}
	if text != "" {
		b = append(b, ' ')
		b = append(b, text...)
	}
	return string(b)
}
