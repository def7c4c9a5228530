package smtpwire

import (
	"bytes"
	"encoding/base64"
)

// AUTH PLAIN and LOGIN on the server side (RFC 4954, RFC 4616; LOGIN as
// draft-murchison-sasl-login). The session decodes the exchange; the application checks the
// credentials at SEvAuth.

type authStep uint8

const (
	authNone authStep = iota
	authPlain
	authLoginUser
	authLoginPass
)

// authExchange holds the decoded credentials; AuthUser and friends point into buf.
type authExchange struct {
	step authStep
	used int
	buf  [1024]byte
}

var (
	replyAuthTwice       = Reply{C503BadSequence, E551InvalidCommand, "Already authenticated"}
	replyAuthInMail      = Reply{C503BadSequence, E551InvalidCommand, "AUTH not permitted during a mail transaction"}
	replyAuthNeedsTLS    = Reply{C538EncryptionRequired, E5711EncryptionRequired, "Encryption required for requested authentication mechanism"}
	replyAuthUnknownMech = Reply{C504ParamNotImpl, E554InvalidArguments, "Unrecognized authentication type"}
	replyAuthCancelled   = Reply{C501ParamSyntax, E500Other, "Authentication cancelled"}
	replyAuthBadBase64   = Reply{C501ParamSyntax, E552SyntaxError, "Invalid base64 data"}
	replyAuthBadPlain    = Reply{C501ParamSyntax, E552SyntaxError, "Invalid PLAIN response"}
	replyAuthLineTooLong = Reply{C500SyntaxError, Enhanced{5, 5, 6}, "Authentication exchange line is too long"} // RFC 4954 §6
	replyAuthUserPrompt  = Reply{C334AuthContinue, Enhanced{}, "VXNlcm5hbWU6"}                                   // "Username:"
	replyAuthPassPrompt  = Reply{C334AuthContinue, Enhanced{}, "UGFzc3dvcmQ6"}                                   // "Password:"
)

func (s *Server) onAuth() ServerEvent {
	c := &s.Cmd
	switch {
	case !s.hello:
		return s.fail(replyNeedHello)
	case s.cfg.Caps.Auth == 0:
		return s.fail(replyNotImplemented)
	case s.cfg.AuthRequiresTLS && !s.tls:
		return s.fail(replyAuthNeedsTLS)
	case s.authed:
		return s.fail(replyAuthTwice)
	case s.inMail:
		return s.fail(replyAuthInMail)
	}
	s.AuthzID, s.AuthUser, s.AuthPass = nil, nil, nil
	s.auth.used = 0
	var mech AuthMech
	switch {
	case equalFold(c.Arg, "PLAIN"):
		mech = AuthPlain
	case equalFold(c.Arg, "LOGIN"):
		mech = AuthLogin
	}
	if mech == 0 || s.cfg.Caps.Auth&mech == 0 {
		return s.fail(replyAuthUnknownMech)
	}
	if c.AuthInitial == nil {
		if mech == AuthPlain {
			s.auth.step, s.mode = authPlain, modeAuth
			s.Out = append(s.Out, "334 \r\n"...) // RFC 4954 §4: an empty challenge
			return SEvNone
		}
		return s.authPrompt(authLoginUser, replyAuthUserPrompt)
	}
	if mech == AuthPlain {
		return s.authResponse(authPlain, c.AuthInitial)
	}
	return s.authResponse(authLoginUser, c.AuthInitial)
}

func (s *Server) authPrompt(step authStep, r Reply) ServerEvent {
	s.auth.step = step
	s.mode = modeAuth
	s.reply(r)
	return SEvNone
}

// feedAuth reads one SASL response line.
func (s *Server) feedAuth(in []byte) (int, ServerEvent) {
	line, n, err := NextLine(in, MaxAuthLine)
	switch {
	case err == ErrNeedMore:
		return 0, SEvNone
	case err != nil:
		s.mode = modeDiscardLine
		s.auth.step = authNone
		return 0, SEvNone
	}
	s.mode = modeCommand
	if len(line) == 1 && line[0] == '*' { // RFC 4954 §4: the client cancels
		s.auth.step = authNone
		return n, s.fail(replyAuthCancelled)
	}
	return n, s.authResponse(s.auth.step, line)
}

// authResponse decodes one base64 response for step and moves the exchange on.
func (s *Server) authResponse(step authStep, b64 []byte) ServerEvent {
	s.auth.step = authNone
	s.mode = modeCommand
	dec, bad := s.authDecode(b64)
	if bad.Code != 0 {
		return s.fail(bad)
	}
	switch step {
	case authPlain: // RFC 4616 §2: [authzid] NUL authcid NUL passwd
		i := bytes.IndexByte(dec, 0)
		if i < 0 {
			return s.fail(replyAuthBadPlain)
		}
		j := bytes.IndexByte(dec[i+1:], 0)
		if j < 0 || bytes.IndexByte(dec[i+1+j+1:], 0) >= 0 {
			return s.fail(replyAuthBadPlain)
		}
		s.AuthzID, s.AuthUser, s.AuthPass = dec[:i], dec[i+1:i+1+j], dec[i+1+j+1:]
		return s.decide(SEvAuth)
	case authLoginUser:
		s.AuthUser = dec
		return s.authPrompt(authLoginPass, replyAuthPassPrompt)
	default: // authLoginPass
		s.AuthPass = dec
		return s.decide(SEvAuth)
	}
}

// authDecode decodes b64 into the unused tail of the exchange buffer. "=" is an empty
// response (RFC 4954 §4).
func (s *Server) authDecode(b64 []byte) ([]byte, Reply) {
	if len(b64) == 1 && b64[0] == '=' {
		return s.auth.buf[s.auth.used:s.auth.used], Reply{}
	}
	free := s.auth.buf[s.auth.used:]
	if base64.StdEncoding.DecodedLen(len(b64)) > len(free) {
		return nil, replyAuthLineTooLong
	}
	n, err := base64.StdEncoding.Decode(free, b64)
	if err != nil {
		return nil, replyAuthBadBase64
	}
	dec := free[:n:n]
	s.auth.used += n
	return dec, Reply{}
}
