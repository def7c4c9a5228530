package smtpwire

import "bytes"

// The server session machine. It turns the bytes a client sends into replies and into the
// few events the application must decide (RFC 5321 §4.1, §4.3.2): it keeps the command
// sequence, the transaction and the DATA/BDAT framing; the application keeps policy (who
// may relay, whose password is right, when a message is durable). There is no I/O here: the
// caller reads into its own buffer, calls Feed, acts on the event, flushes Out and reads again.
//
// Pipelining (RFC 2920) falls out of that shape: Feed consumes as many commands as the input
// holds and appends every reply to Out; the caller flushes Out only when Feed asks for more
// input, so a pipelined group is answered with one write (RFC 2920 §3.2 rule: the server
// flushes when it would otherwise wait for input).

// ServerEvent is what Feed reports to the application.
type ServerEvent uint8

const (
	// SEvNone: the input is used up (flush Out, then read more), or the session is waiting
	// for a decision, for the TLS handshake, or is closed.
	SEvNone ServerEvent = iota
	// SEvHello: HELO or EHLO (Cmd). Accept answers with the greeting and, for EHLO, the
	// extensions of Capabilities.
	SEvHello
	// SEvMail: MAIL FROM (Cmd.Path, Cmd.Mail), already checked for sequence and for the
	// parameters the session announced.
	SEvMail
	// SEvRcpt: RCPT TO (Cmd.Path, Cmd.Rcpt). Accept counts the recipient as accepted.
	SEvRcpt
	// SEvData: DATA, or the first BDAT chunk of a message, with at least one accepted
	// recipient. The application reserves spool room here; Reject refuses the message (for
	// BDAT the chunk is still read, RFC 3030 §3).
	SEvData
	// SEvMessage: the whole message is in Body (dot-unstuffed, or the BDAT chunks
	// concatenated). Reply with the outcome only after the message is durable.
	SEvMessage
	// SEvAuth: AUTH with decoded credentials in AuthUser and AuthPass (and AuthzID).
	SEvAuth
	// SEvStartTLS: STARTTLS. Accept appends 220 and stops the session: flush Out, drop any
	// input buffered after the STARTTLS line (RFC 3207 §5, command injection), run the TLS
	// handshake, then call TLSStarted.
	SEvStartTLS
	// SEvQuit: QUIT was answered with 221, or the session ended itself (too many errors,
	// 421). Flush Out and close the connection.
	SEvQuit
	serverEventCount
)

var serverEventNames = [serverEventCount]string{"none", "hello", "mail", "rcpt", "data", "message", "auth", "starttls", "quit"}

func (e ServerEvent) String() string {
	if e < serverEventCount {
		return serverEventNames[e]
	}
	return "invalid"
}

// ServerConfig is the listener's fixed policy for the session machine. One value serves
// every session of a listener; sessions only read it.
type ServerConfig struct {
	// Hostname is the name in the greeting and the EHLO reply. Required.
	Hostname string
	// Banner is the text after Hostname in the 220 greeting. Default "ESMTP".
	Banner string
	// Caps is what EHLO announces. STARTTLS is left out once TLS is on, AUTH while it is
	// refused (AuthRequiresTLS and no TLS yet). Caps.MaxSize is also the DATA size limit.
	Caps Capabilities
	// MaxRecipients per transaction; default 100, the minimum RFC 5321 §4.5.3.1.8 allows.
	MaxRecipients int
	// MaxLine is the longest command line accepted, in octets with CRLF. Default 2048: RFC
	// 5321 §4.5.3.1.4 says 512 but lets each extension raise it (SIZE, DSN, SMTPUTF8, AUTH).
	MaxLine int
	// Data bounds the message body: line length and bare CR/LF policy. Its MaxSize is
	// ignored; Caps.MaxSize applies.
	Data UnstuffOptions
	// MaxErrors ends the session with 421 after that many rejected commands; 0 = no limit.
	MaxErrors int
	// AuthRequiresTLS refuses AUTH on a plaintext session (538 5.7.11, RFC 4954 §6).
	AuthRequiresTLS bool
	// RequireTLS refuses MAIL until STARTTLS (530 5.7.0, RFC 3207 §4).
	RequireTLS bool
	// RequireAuth refuses MAIL until AUTH succeeds (530 5.7.0, RFC 4954 §6).
	RequireAuth bool
}

type serverMode uint8

const (
	modeCommand serverMode = iota
	modeDiscardLine
	modeData
	modeBDAT
	modeAuth
	modeDecide
	modeTLS
	modeClosed
)

// Server is one SMTP server session. The zero value is not usable: call Reset.
// It is owned by one goroutine (the shard loop that owns the connection).
type Server struct {
	cfg *ServerConfig

	// Out collects replies. The caller writes it to the peer and truncates it (Out = Out[:0]);
	// Feed and the decision methods only append.
	Out []byte
	// Body receives the message: set it to a pooled buffer (length 0) before the message
	// starts, or leave it nil. It is complete at SEvMessage and untouched until the caller
	// resets it after replying.
	Body []byte
	// Cmd is the command behind the current event. Its slices point into the input passed to
	// Feed and are valid until the next call to Feed.
	Cmd Command
	// AuthzID, AuthUser and AuthPass are the decoded credentials at SEvAuth, valid until the
	// next call to Feed or Reset.
	AuthzID, AuthUser, AuthPass []byte

	mode     serverMode
	event    ServerEvent // the event awaiting a decision, in modeDecide
	ehlo     bool        // the client said EHLO, not HELO: ESMTP parameters allowed
	hello    bool
	tls      bool
	authed   bool
	inMail   bool // MAIL accepted, transaction open
	utf8     bool // the transaction's MAIL had SMTPUTF8
	bdat     bool // the transaction uses BDAT: DATA is refused (RFC 3030 §3)
	refused  bool // the BDAT message was refused at SEvData: read the chunks, then reply
	last     bool // the current BDAT chunk is the last
	rcpts    int  // recipients attempted in this transaction
	okRcpts  int  // recipients accepted
	errors   int
	chunk    int64 // BDAT octets still to read in the current chunk
	size     int64 // BDAT octets of the message so far
	unstuff  Unstuffer
	deferred Reply // the refusal of a BDAT message, answered once its chunk is read
	auth     authExchange
}

// Reset prepares s for a new connection under cfg, keeping the capacity of Out.
func (s *Server) Reset(cfg *ServerConfig) {
	out, body := s.Out[:0], s.Body
	*s = Server{cfg: cfg, Out: out, Body: body}
}

// Greet appends the 220 greeting (RFC 5321 §4.3.1). A caller that refuses the connection
// appends its own 554 or 421 instead and closes.
func (s *Server) Greet() {
	s.Out = append(s.Out, "220 "...)
	s.Out = append(s.Out, s.cfg.Hostname...)
	s.Out = append(s.Out, ' ')
	if s.cfg.Banner == "" {
		s.Out = append(s.Out, "ESMTP"...)
	} else {
		s.Out = append(s.Out, s.cfg.Banner...)
	}
	s.Out = append(s.Out, "\r\n"...)
}

// TLS reports whether TLSStarted was called on this session.
func (s *Server) TLS() bool { return s.tls }

// Authenticated reports whether AUTH succeeded on this session.
func (s *Server) Authenticated() bool { return s.authed }

// InTransaction reports whether MAIL was accepted and the transaction is not over.
func (s *Server) InTransaction() bool { return s.inMail }

// Recipients returns the recipients accepted in the current transaction.
func (s *Server) Recipients() int { return s.okRcpts }

// Closed reports whether the session is over (after QUIT or a 421).
func (s *Server) Closed() bool { return s.mode == modeClosed }

// Pending returns the event awaiting Accept or Reply, or SEvNone.
func (s *Server) Pending() ServerEvent {
	if s.mode == modeDecide {
		return s.event
	}
	return SEvNone
}

// Feed consumes input and returns how much of it was used and what happened. Unused bytes
// (n < len(in)) must be passed again, with what is read next appended. After an event other
// than SEvNone and SEvQuit the session waits: Feed consumes nothing until Accept or Reply.
func (s *Server) Feed(in []byte) (n int, ev ServerEvent) {
	for {
		mode := s.mode
		var used int
		switch mode {
		case modeCommand:
			used, ev = s.feedCommand(in[n:])
		case modeDiscardLine:
			used = s.feedDiscard(in[n:])
		case modeData:
			used, ev = s.feedData(in[n:])
		case modeBDAT:
			used, ev = s.feedBDAT(in[n:])
		case modeAuth:
			used, ev = s.feedAuth(in[n:])
		default: // modeDecide, modeTLS, modeClosed: nothing to consume
			return n, SEvNone
		}
		n += used
		if ev != SEvNone {
			return n, ev
		}
		if used == 0 && s.mode == mode {
			// An incomplete line, or the input is used up: wait for more.
			return n, SEvNone
		}
	}
}

// feedCommand reads one command line and dispatches it.
func (s *Server) feedCommand(in []byte) (int, ServerEvent) {
	line, n, err := NextLine(in, s.maxLine())
	if err == ErrCommandLineTooLong && hasPrefixFold(in, "AUTH ") {
		line, n, err = NextLine(in, MaxAuthLine) // RFC 4954 §4: an initial response may be long
	}
	switch {
	case err == ErrNeedMore:
		return 0, SEvNone
	case err != nil:
		// RFC 5321 §4.5.3.1.4: too long. Skip to the end of the line, then answer.
		s.mode = modeDiscardLine
		return 0, SEvNone
	}
	if err := ParseCommand(line, &s.Cmd); err != nil {
		if s.Cmd.Verb == VerbBDAT {
			// RFC 3030 §2: without a valid size the chunk that follows cannot be skipped, so
			// the session cannot stay in step with the client: answer and end it.
			s.reply(ReplyOf(err))
			s.mode = modeClosed
			return n, SEvQuit
		}
		return n, s.fail(ReplyOf(err))
	}
	return n, s.dispatch()
}

// feedDiscard drops the rest of a command line that was too long.
func (s *Server) feedDiscard(in []byte) int {
	i := bytes.IndexByte(in, '\n')
	if i < 0 {
		return len(in)
	}
	s.mode = modeCommand
	s.fail(ErrCommandLineTooLong.Reply)
	return i + 1
}

func (s *Server) maxLine() int {
	if s.cfg.MaxLine > 0 {
		return s.cfg.MaxLine
	}
	return 2048
}

func (s *Server) maxRecipients() int {
	if s.cfg.MaxRecipients > 0 {
		return s.cfg.MaxRecipients
	}
	return 100
}

// reply appends r to Out.
func (s *Server) reply(r Reply) { s.Out = AppendReply(s.Out, r) }

// fail answers a rejected command and counts it; past MaxErrors the session ends.
func (s *Server) fail(r Reply) ServerEvent {
	s.reply(r)
	s.errors++
	if s.cfg.MaxErrors > 0 && s.errors >= s.cfg.MaxErrors {
		s.reply(replyTooManyErrors)
		s.mode = modeClosed
		return SEvQuit
	}
	return SEvNone
}

// decide parks the session until the application answers ev.
func (s *Server) decide(ev ServerEvent) ServerEvent {
	s.mode, s.event = modeDecide, ev
	return ev
}

// resetTransaction forgets MAIL, the recipients and any message state (RFC 5321 §4.1.1.5).
func (s *Server) resetTransaction() {
	s.inMail, s.utf8, s.bdat, s.refused, s.last = false, false, false, false, false
	s.rcpts, s.okRcpts, s.size, s.chunk = 0, 0, 0, 0
}
