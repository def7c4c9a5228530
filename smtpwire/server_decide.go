package smtpwire

// The application's answers to the events the server session parks on.

// Accept answers the pending event with its default positive reply: the EHLO extensions,
// 250 for MAIL, RCPT and the message, 354 for DATA (BDAT: nothing until the chunk is read),
// 235 for AUTH, 220 for STARTTLS.
func (s *Server) Accept() {
	switch s.event {
	case SEvHello:
		s.Reply(Reply{Code: C250OK, Text: "Hello"})
	case SEvMail:
		s.Reply(replySenderOK)
	case SEvRcpt:
		s.Reply(replyRcptOK)
	case SEvData:
		s.Reply(replyStartData)
	case SEvMessage:
		s.Reply(replyQueued)
	case SEvAuth:
		s.Reply(replyAuthOK)
	case SEvStartTLS:
		s.Reply(replyTLSReady)
	}
}

// Reply answers the pending event with r. A 2xx or 3xx reply accepts what the event asked
// for, a 4xx or 5xx refuses it. For SEvHello a positive r's Text is the greeting after the
// host name, followed for EHLO by the extension lines. For a BDAT SEvData a positive r is not
// sent (the chunk's own 250 follows it); a refusal is sent after the chunk is read.
func (s *Server) Reply(r Reply) {
	if s.mode != modeDecide {
		return
	}
	ev := s.event
	s.mode, s.event = modeCommand, SEvNone
	ok := r.Code.Positive()
	switch ev {
	case SEvHello:
		s.answerHello(r, ok)
		return
	case SEvMail:
		s.inMail = ok
		s.utf8 = ok && s.Cmd.Mail.SMTPUTF8
	case SEvRcpt:
		if ok {
			s.okRcpts++
		}
	case SEvData:
		if s.Cmd.Verb == VerbBDAT {
			s.mode = modeBDAT
			if !ok {
				s.refused, s.deferred = true, r
			}
			return
		}
		if ok {
			s.startData()
		}
	case SEvMessage:
		s.resetTransaction()
	case SEvAuth:
		s.authed = ok
		s.AuthzID, s.AuthUser, s.AuthPass = nil, nil, nil
		s.auth = authExchange{}
	case SEvStartTLS:
		if ok {
			s.mode = modeTLS
		}
	}
	if ok {
		s.reply(r)
	} else {
		s.fail(r)
	}
}

// answerHello sends the 250 (HELO) or the extension list (EHLO), or a refusal.
func (s *Server) answerHello(r Reply, ok bool) {
	if !ok {
		s.fail(r)
		return
	}
	s.hello, s.ehlo = true, s.Cmd.Verb == VerbEHLO
	if s.ehlo {
		caps := s.caps()
		s.Out = AppendEHLOReply(s.Out, s.cfg.Hostname, r.Text, &caps)
		return
	}
	s.Out = append(s.Out, "250 "...)
	s.Out = append(s.Out, s.cfg.Hostname...)
	if r.Text != "" {
		s.Out = append(s.Out, ' ')
		s.Out = append(s.Out, r.Text...)
	}
	s.Out = append(s.Out, "\r\n"...)
}

// TLSStarted tells the session that the TLS handshake after STARTTLS succeeded. The session
// forgets everything it knew, as RFC 3207 §4.2 requires: the client must say EHLO again,
// and an earlier AUTH no longer counts.
func (s *Server) TLSStarted() {
	s.resetTransaction()
	s.tls = true
	s.hello, s.ehlo, s.authed = false, false, false
	s.mode = modeCommand
}
