package smtpwire

// Verb dispatch of the server session: one function per verb, each checking the command
// sequence of RFC 5321 §4.1.4 before it hands a decision to the application.

// Replies the server session sends on its own. Fixed values, so answering never allocates.
var (
	replyOK            = Reply{C250OK, E200Other, "Ok"}
	replyBye           = Reply{C221Closing, E200Other, "Bye"}
	replyVrfy          = Reply{C252CannotVerify, Enhanced{2, 5, 0}, "Cannot VRFY user, but will accept message and attempt delivery"} // RFC 5321 §3.5.3
	replyHelp          = Reply{C214Help, E200Other, "See RFC 5321"}
	replySenderOK      = Reply{C250OK, E210OtherAddress, "Sender ok"}
	replyRcptOK        = Reply{C250OK, E215DestinationValid, "Recipient ok"}
	replyStartData     = Reply{C354StartData, Enhanced{}, "End data with <CR><LF>.<CR><LF>"}
	replyQueued        = Reply{C250OK, E200Other, "Message accepted"}
	replyAuthOK        = Reply{C235AuthSucceeded, E270AuthSucceeded, "Authentication successful"}
	replyTLSReady      = Reply{C220ServiceReady, E200Other, "Ready to start TLS"}
	replyTooManyErrors = Reply{C421ServiceUnavail, Enhanced{4, 7, 0}, "Too many errors, closing connection"}

	replyNeedHello      = Reply{C503BadSequence, E551InvalidCommand, "Send HELO/EHLO first"}
	replyNestedMail     = Reply{C503BadSequence, E551InvalidCommand, "Nested MAIL command"}
	replyNeedMail       = Reply{C503BadSequence, E551InvalidCommand, "Need MAIL command"}
	replyNeedRcpt       = Reply{C503BadSequence, E551InvalidCommand, "Need RCPT command"}
	replyNoValidRcpts   = Reply{C554TransactionFailed, E551InvalidCommand, "No valid recipients"} // RFC 2920 §3.1
	replyDataAfterBDAT  = Reply{C503BadSequence, E551InvalidCommand, "DATA not allowed after BDAT"}
	replyRcptAfterBDAT  = Reply{C503BadSequence, E551InvalidCommand, "RCPT not allowed after BDAT"}
	replyTooManyRcpts   = Reply{C452InsufficientStorage, E452TooManyRecipients, "Too many recipients"} // RFC 5321 §4.5.3.1.10
	replyParamNotOK     = Reply{C555ParamsUnrecognized, E554InvalidArguments, "Parameter not supported"}
	replySizeExceeded   = Reply{C552StorageExceeded, E534MessageTooBig, "Message size exceeds fixed maximum message size"} // RFC 1870 §6.1
	replyNeedsUTF8      = Reply{C553MailboxNameInvalid, E567UTF8Required, "Address needs SMTPUTF8"}                        // RFC 6531 §3.5
	replyNeedTLS        = Reply{C530AuthRequired, E570SecurityOther, "Must issue a STARTTLS command first"}                // RFC 3207 §4
	replyNeedAuth       = Reply{C530AuthRequired, E570SecurityOther, "Authentication required"}                            // RFC 4954 §6
	replyNotImplemented = Reply{C502NotImplemented, E551InvalidCommand, "Command not implemented"}
	replyTLSActive      = Reply{C503BadSequence, E551InvalidCommand, "TLS already active"}
)

// dispatch runs the command in s.Cmd.
func (s *Server) dispatch() ServerEvent {
	switch s.Cmd.Verb {
	case VerbHELO, VerbEHLO:
		s.resetTransaction() // RFC 5321 §4.1.4: EHLO resets the state like RSET
		return s.decide(SEvHello)
	case VerbMAIL:
		return s.onMail()
	case VerbRCPT:
		return s.onRcpt()
	case VerbDATA:
		return s.onData()
	case VerbBDAT:
		return s.onBDAT()
	case VerbRSET:
		s.resetTransaction()
		s.reply(replyOK)
	case VerbNOOP:
		s.reply(replyOK)
	case VerbVRFY:
		s.reply(replyVrfy)
	case VerbHELP:
		s.reply(replyHelp)
	case VerbQUIT:
		s.reply(replyBye)
		s.mode = modeClosed
		return SEvQuit
	case VerbSTARTTLS:
		return s.onStartTLS()
	case VerbAUTH:
		return s.onAuth()
	default:
		return s.fail(ErrUnknownCommand.Reply)
	}
	return SEvNone
}

// caps returns what this session announces now: no STARTTLS under TLS (RFC 3207 §4.2), no
// AUTH while it would be refused for want of TLS.
func (s *Server) caps() Capabilities {
	c := s.cfg.Caps
	if s.tls {
		c.Ext &^= ExtStartTLS
	}
	if c.Auth == 0 || s.cfg.AuthRequiresTLS && !s.tls {
		c.Ext &^= ExtAuth
		c.Auth = 0
	}
	return c
}

func (s *Server) onMail() ServerEvent {
	c := &s.Cmd
	switch {
	case !s.hello:
		return s.fail(replyNeedHello)
	case s.inMail:
		return s.fail(replyNestedMail)
	case s.cfg.RequireTLS && !s.tls:
		return s.fail(replyNeedTLS)
	case s.cfg.RequireAuth && !s.authed:
		return s.fail(replyNeedAuth)
	}
	if r, bad := s.checkMailParams(&c.Mail); bad {
		return s.fail(r)
	}
	if c.Path.UTF8 && !c.Mail.SMTPUTF8 {
		return s.fail(replyNeedsUTF8)
	}
	return s.decide(SEvMail)
}

// checkMailParams refuses parameters of extensions the session did not announce
// (RFC 5321 §4.1.1.11: 555) and a declared size over the limit (RFC 1870 §6.1: 552).
func (s *Server) checkMailParams(p *MailParams) (Reply, bool) {
	any := p.Size != 0 || p.Body != BodyUnset || p.SMTPUTF8 || p.Ret != RetUnset || p.EnvID != nil || p.Auth != nil
	if !any {
		return Reply{}, false
	}
	caps := s.caps()
	switch {
	case !s.ehlo:
		return replyParamNotOK, true // parameters need EHLO (RFC 5321 §4.1.1.11)
	case p.Size != 0 && caps.Ext&ExtSize == 0,
		p.Body == Body8BitMIME && caps.Ext&Ext8BitMIME == 0,
		p.Body == BodyBinaryMIME && caps.Ext&ExtBinaryMIME == 0,
		p.SMTPUTF8 && caps.Ext&ExtSMTPUTF8 == 0,
		(p.Ret != RetUnset || p.EnvID != nil) && caps.Ext&ExtDSN == 0,
		p.Auth != nil && caps.Ext&ExtAuth == 0:
		return replyParamNotOK, true
	case caps.MaxSize > 0 && p.Size > caps.MaxSize:
		return replySizeExceeded, true
	}
	return Reply{}, false
}

func (s *Server) onRcpt() ServerEvent {
	c := &s.Cmd
	switch {
	case !s.inMail:
		return s.fail(replyNeedMail)
	case s.bdat:
		return s.fail(replyRcptAfterBDAT) // RFC 3030 §3: recipients come before the chunks
	case s.okRcpts >= s.maxRecipients():
		return s.fail(replyTooManyRcpts)
	case (c.Rcpt.Notify != 0 || c.Rcpt.ORCPT != nil) && (!s.ehlo || s.caps().Ext&ExtDSN == 0):
		return s.fail(replyParamNotOK)
	case c.Path.UTF8 && !s.utf8:
		return s.fail(replyNeedsUTF8)
	}
	s.rcpts++
	return s.decide(SEvRcpt)
}

func (s *Server) onData() ServerEvent {
	switch {
	case !s.inMail:
		return s.fail(replyNeedMail)
	case s.bdat:
		return s.fail(replyDataAfterBDAT)
	case s.okRcpts == 0 && s.rcpts > 0:
		return s.fail(replyNoValidRcpts)
	case s.okRcpts == 0:
		return s.fail(replyNeedRcpt)
	}
	return s.decide(SEvData)
}

// onBDAT starts a chunk. The chunk's octets are read whatever the verdict, since the
// client sends them without waiting (RFC 3030 §2); a refusal is answered after them.
func (s *Server) onBDAT() ServerEvent {
	c := &s.Cmd
	s.chunk, s.last = c.ChunkSize, c.Last
	s.mode = modeBDAT
	var refuse Reply
	switch {
	case s.cfg.Caps.Ext&ExtChunking == 0:
		refuse = replyNotImplemented
	case !s.inMail:
		refuse = replyNeedMail
	case s.okRcpts == 0 && s.rcpts > 0:
		refuse = replyNoValidRcpts
	case s.okRcpts == 0:
		refuse = replyNeedRcpt
	case s.refused || s.bdat:
		return SEvNone // a later chunk of a message already under way (or refused)
	default:
		s.bdat = true
		s.Body = s.Body[:0]
		return s.decide(SEvData)
	}
	s.bdat, s.refused, s.deferred = true, true, refuse
	return SEvNone
}

func (s *Server) onStartTLS() ServerEvent {
	switch {
	case s.tls:
		return s.fail(replyTLSActive)
	case s.cfg.Caps.Ext&ExtStartTLS == 0:
		return s.fail(replyNotImplemented)
	}
	return s.decide(SEvStartTLS)
}
