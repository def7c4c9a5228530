package smtpwire

// The client session machine: the delivery side of SMTP (RFC 5321 §3, §4.1). It writes
// commands into Out and matches the server's replies, in order, against a queue of pending
// commands, the way Postfix's smtp_loop keeps a send cursor ahead of a receive cursor. With
// PIPELINING (RFC 2920) a whole transaction (MAIL, every RCPT, DATA or BDAT) leaves in one
// write; without it, each command waits for the previous reply. The caller owns the socket:
// it writes Out, reads into its own buffer and calls Feed.

// TLSPolicy is how the client uses STARTTLS (RFC 3207).
type TLSPolicy uint8

const (
	TLSNone          TLSPolicy = iota // never STARTTLS
	TLSOpportunistic                  // STARTTLS when offered; plaintext otherwise or when it fails
	TLSRequired                       // STARTTLS or no delivery
	tlsPolicyCount
)

var tlsPolicyNames = [tlsPolicyCount]string{"none", "opportunistic", "required"}

func (p TLSPolicy) String() string {
	if p < tlsPolicyCount {
		return tlsPolicyNames[p]
	}
	return "invalid"
}

// ClientConfig is the fixed part of a delivery session; sessions only read it.
type ClientConfig struct {
	// Hostname is the EHLO name (the virtual MTA's host name). Required.
	Hostname string
	// TLS is the STARTTLS policy; default TLSNone.
	TLS TLSPolicy
	// AuthMech is AuthPlain, AuthLogin or both (PLAIN preferred) to authenticate with
	// AuthUser/AuthPass; 0: no AUTH.
	AuthMech           AuthMech
	AuthUser, AuthPass string
	// AuthInClear lets AUTH go over a session without TLS; otherwise a
	// session that could not start TLS fails with ErrAuthInClear rather
	// than send the password readable.
	AuthInClear bool
	// NoPipelining sends one command at a time even when the server offers PIPELINING.
	NoPipelining bool
	// UseChunking sends the message with BDAT (RFC 3030) when the server offers CHUNKING,
	// which spares dot-stuffing; default DATA.
	UseChunking bool
	// IgnoreExt are extensions to act as if the server had not offered
	// (PowerMTA's ignore-8bitmime, ignore-dsn): their parameters are not sent.
	IgnoreExt Extension
}

// ClientEvent is what Feed reports.
type ClientEvent uint8

const (
	// CEvNone: the input is used up; flush Out, then read more.
	CEvNone ClientEvent = iota
	// CEvReady: the session is ready for Send (after greeting, EHLO, STARTTLS and AUTH, or
	// after a Probe). Caps holds the server's extensions.
	CEvReady
	// CEvStartTLS: the server said 220 to STARTTLS. Flush Out, run the handshake, then call
	// TLSStarted (or drop the connection if it fails).
	CEvStartTLS
	// CEvRcpt: the reply to recipient RcptIndex of the transaction is in Reply.
	CEvRcpt
	// CEvDone: the transaction is over and the session is idle again. Reply and Stage say how
	// it ended: StageBody with a 2xx is delivered to every accepted recipient.
	CEvDone
	// CEvFailed: the session cannot go on (greeting refused, EHLO and HELO refused, TLS
	// required but missing, AUTH refused, a 421, or a reply that breaks the protocol: Err).
	// Recipients of a transaction in flight without a CEvRcpt have no outcome: defer them.
	CEvFailed
	// CEvClosed: the server answered QUIT.
	CEvClosed
	clientEventCount
)

var clientEventNames = [clientEventCount]string{"none", "ready", "starttls", "rcpt", "done", "failed", "closed"}

func (e ClientEvent) String() string {
	if e < clientEventCount {
		return clientEventNames[e]
	}
	return "invalid"
}

// Stage names the step of a session or transaction that a reply answers.
type Stage uint8

const (
	StageGreeting Stage = iota
	StageHello
	StageTLS
	StageAuth
	StageMail
	StageRcpt
	StageData // the reply to DATA (354 expected) or to a BDAT that carries the message
	StageBody // the reply after the message: the outcome
	StageReset
	StageQuit
	stageCount
)

var stageNames = [stageCount]string{"greeting", "hello", "starttls", "auth", "mail", "rcpt", "data", "body", "rset", "quit"}

func (s Stage) String() string {
	if s < stageCount {
		return stageNames[s]
	}
	return "invalid"
}

// Transaction is one message for the client session to send. Its slices are borrowed until
// CEvDone or CEvFailed.
type Transaction struct {
	From []byte // reverse-path without brackets; empty for the null path <>
	Mail MailParams
	To   [][]byte
	Rcpt []RcptParams // nil, or one per To
	Body []byte       // the message with CRLF line endings, not dot-stuffed
}

type pendKind uint8

const (
	pGreeting pendKind = iota
	pEHLO
	pHELO
	pStartTLS
	pAuth
	pAuthLogin
	pMail
	pRcpt
	pData
	pBDAT
	pBody
	pReset // RSET after a transaction that did not end with the message
	pProbe // RSET before reusing a cached connection
	pQuit
)

// pendStage maps a pending command to the stage its reply answers.
var pendStage = [...]Stage{
	pGreeting: StageGreeting, pEHLO: StageHello, pHELO: StageHello, pStartTLS: StageTLS,
	pAuth: StageAuth, pAuthLogin: StageAuth, pMail: StageMail, pRcpt: StageRcpt,
	pData: StageData, pBDAT: StageData, pBody: StageBody, pReset: StageReset,
	pProbe: StageReset, pQuit: StageQuit,
}

type pending struct {
	kind pendKind
	rcpt int // recipient index for pRcpt
}

type clientPhase uint8

const (
	phaseSetup clientPhase = iota // greeting, EHLO, STARTTLS, AUTH
	phaseReady                    // idle: Send, Probe or Quit
	phaseTx                       // a transaction in flight
	phaseTLS                      // waiting for TLSStarted
	phaseClosed
)

// Client is one SMTP client session, owned by one goroutine. Call Reset before use.
type Client struct {
	cfg *ClientConfig

	// Out collects commands (and message data). The caller writes it and truncates it.
	Out []byte
	// Caps are the extensions from the last EHLO (empty after HELO).
	Caps Capabilities
	// Reply is the reply behind the current event. It points into the input of the last
	// Feed (or into the session's own copy for CEvDone) and is valid until the next Feed.
	Reply ParsedReply
	// RcptIndex is the recipient the CEvRcpt reply is for.
	RcptIndex int
	// Stage is the step the current event's Reply answers.
	Stage Stage
	// Accepted counts the recipients of the transaction the server accepted.
	Accepted int
	// Err is the protocol violation behind a CEvFailed without a reply, or nil.
	Err error

	phase    clientPhase
	pend     []pending
	head     int
	tls      bool
	tlsTried bool // STARTTLS was refused and the policy lets us go on in plaintext
	pipeline bool
	tx       *Transaction
	next     int  // next recipient to send without pipelining
	failed   bool // the transaction already has its outcome: absorb the replies still due
	outcome  Stage
	saved    []byte // copy of the deciding reply, reported at CEvDone
	quit     bool
}

// Reset prepares c for a new connection under cfg, keeping buffer capacity. The first reply
// expected is the server's greeting.
func (c *Client) Reset(cfg *ClientConfig) {
	out, pend, saved := c.Out[:0], c.pend[:0], c.saved[:0]
	*c = Client{cfg: cfg, Out: out, pend: pend, saved: saved}
	c.push(pGreeting, 0)
}

// TLS reports whether TLSStarted was called.
func (c *Client) TLS() bool { return c.tls }

// Ready reports whether the session is idle and Send may be called.
func (c *Client) Ready() bool { return c.phase == phaseReady }

// Awaiting returns the stage of the oldest command still waiting for its reply, which is
// what the caller's read timeout should follow; ok is false when nothing is awaited.
func (c *Client) Awaiting() (st Stage, ok bool) {
	if c.head == len(c.pend) {
		return 0, false
	}
	return pendStage[c.pend[c.head].kind], true
}

func (c *Client) push(k pendKind, rcpt int) {
	c.pend = append(c.pend, pending{kind: k, rcpt: rcpt})
}

// Feed consumes server replies from in and returns how much was used and the event. Unused
// bytes must be passed again with the next input appended.
func (c *Client) Feed(in []byte) (n int, ev ClientEvent) {
	for c.head < len(c.pend) && c.phase != phaseTLS && c.phase != phaseClosed {
		used, err := ParseReply(in[n:], &c.Reply)
		if err == ErrNeedMore {
			return n, CEvNone
		}
		if err != nil {
			return n, c.fail(err)
		}
		n += used
		p := c.pend[c.head]
		c.head++
		if c.head == len(c.pend) {
			c.head, c.pend = 0, c.pend[:0]
		}
		c.Stage = pendStage[p.kind]
		if ev = c.handle(p); ev != CEvNone {
			return n, ev
		}
	}
	return n, CEvNone
}

// fail ends the session.
func (c *Client) fail(err error) ClientEvent {
	c.Err = err
	c.phase = phaseClosed
	return CEvFailed
}

// handle acts on the reply to p.
func (c *Client) handle(p pending) ClientEvent {
	r := &c.Reply
	if r.Code == C421ServiceUnavail && p.kind != pQuit {
		c.phase = phaseClosed // RFC 5321 §3.8: the server is closing the channel
		return CEvFailed
	}
	switch p.kind {
	case pGreeting, pEHLO, pHELO, pStartTLS, pAuth, pAuthLogin, pProbe:
		return c.handleSetup(p)
	case pQuit:
		c.phase = phaseClosed
		return CEvClosed
	default:
		return c.handleTx(p)
	}
}
