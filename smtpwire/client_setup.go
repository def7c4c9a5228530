package smtpwire

import "encoding/base64"

// Session set-up on the client side: greeting, EHLO with HELO fallback (RFC 5321 §3.2,
// §4.1.1.1), STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954, RFC 4616), and the RSET probe
// and QUIT of an idle session.

var (
	// ErrTLSUnavailable: TLSRequired, and the server offers no STARTTLS or refused it.
	ErrTLSUnavailable = newError(C421ServiceUnavail, Enhanced{4, 7, 10}, "TLS required but not available", "STARTTLS required but not available")
	// ErrAuthUnavailable: AUTH configured, and the server does not offer the mechanism.
	ErrAuthUnavailable = newError(C421ServiceUnavail, Enhanced{4, 7, 0}, "Authentication not offered", "AUTH mechanism not offered by the server")
	// ErrAuthInClear: AUTH is configured, TLS did not start, and the
	// config does not let the password go in the clear.
	ErrAuthInClear = newError(C421ServiceUnavail, Enhanced{4, 7, 0}, "Authentication needs TLS", "AUTH not sent: the session is not encrypted")
	// ErrRefused: the server refused the greeting, EHLO/HELO, STARTTLS or AUTH; Reply says how.
	ErrRefused = newError(C421ServiceUnavail, E400Other, "Session refused", "session refused by the server")
	// ErrUnexpectedReply: a reply of a class the step does not allow (e.g. 334 to MAIL).
	ErrUnexpectedReply = newError(C421ServiceUnavail, Enhanced{4, 5, 0}, "Protocol error", "unexpected reply")
	// ErrNotReady: Send, Probe or Quit while the session is not idle.
	ErrNotReady = newError(C421ServiceUnavail, E430SystemOther, "Session busy", "client session not ready")
)

func (c *Client) handleSetup(p pending) ClientEvent {
	r := &c.Reply
	switch p.kind {
	case pGreeting:
		if r.Code != C220ServiceReady {
			return c.fail(ErrRefused) // RFC 5321 §3.1: 554 instead of 220
		}
		c.hello(VerbEHLO)
	case pEHLO:
		if r.Code == C250OK {
			c.Caps = Capabilities{}
			ParseEHLO(r, &c.Caps)
			c.Caps.Ext &^= c.cfg.IgnoreExt
			return c.afterHello()
		}
		if r.Code.Permanent() {
			c.hello(VerbHELO) // RFC 5321 §3.2: fall back to HELO for an old server
			return CEvNone
		}
		return c.fail(ErrRefused)
	case pHELO:
		if r.Code != C250OK {
			return c.fail(ErrRefused)
		}
		c.Caps = Capabilities{}
		return c.afterHello()
	case pStartTLS:
		if r.Code == C220ServiceReady {
			c.phase = phaseTLS
			return CEvStartTLS
		}
		if c.cfg.TLS == TLSRequired {
			return c.fail(ErrTLSUnavailable)
		}
		c.tlsTried = true
		return c.afterHello()
	case pAuth:
		if r.Code != C235AuthSucceeded {
			return c.fail(ErrRefused)
		}
		c.phase = phaseReady
		return CEvReady
	case pAuthLogin:
		if r.Code != C334AuthContinue {
			return c.fail(ErrRefused)
		}
		c.Out = base64.StdEncoding.AppendEncode(c.Out, []byte(c.cfg.AuthPass))
		c.Out = append(c.Out, "\r\n"...)
		c.push(pAuth, 0)
	case pProbe:
		if r.Code != C250OK {
			return c.fail(ErrRefused)
		}
		c.phase = phaseReady
		return CEvReady
	}
	return CEvNone
}

func (c *Client) hello(v Verb) {
	c.Out = AppendHello(c.Out, v, c.cfg.Hostname)
	if v == VerbEHLO {
		c.push(pEHLO, 0)
	} else {
		c.push(pHELO, 0)
	}
}

// afterHello goes on after EHLO/HELO: STARTTLS if the policy asks, then AUTH, then ready.
func (c *Client) afterHello() ClientEvent {
	if !c.tls && !c.tlsTried && c.cfg.TLS != TLSNone {
		if c.Caps.Ext&ExtStartTLS != 0 {
			c.Out = append(c.Out, CmdSTARTTLS...)
			c.push(pStartTLS, 0)
			return CEvNone
		}
		if c.cfg.TLS == TLSRequired {
			return c.fail(ErrTLSUnavailable)
		}
	}
	if c.cfg.AuthMech != 0 {
		if !c.tls && !c.cfg.AuthInClear {
			return c.fail(ErrAuthInClear)
		}
		if c.Caps.Auth&c.cfg.AuthMech == 0 {
			return c.fail(ErrAuthUnavailable)
		}
		c.auth()
		return CEvNone
	}
	c.phase = phaseReady
	return CEvReady
}

// auth sends AUTH with an initial response (RFC 4954 §4), which saves a round trip:
// PLAIN when both sides have it, else LOGIN.
func (c *Client) auth() {
	var buf [512]byte
	if c.cfg.AuthMech&c.Caps.Auth&AuthPlain != 0 {
		resp := append(buf[:0], 0) // RFC 4616 §2: empty authzid
		resp = append(resp, c.cfg.AuthUser...)
		resp = append(resp, 0)
		resp = append(resp, c.cfg.AuthPass...)
		c.Out = AppendAuth(c.Out, "PLAIN", base64.StdEncoding.AppendEncode(buf[len(resp):len(resp)], resp))
		c.push(pAuth, 0)
		return
	}
	user := base64.StdEncoding.AppendEncode(buf[:0], []byte(c.cfg.AuthUser))
	c.Out = AppendAuth(c.Out, "LOGIN", user)
	c.push(pAuthLogin, 0)
}

// TLSStarted tells the session that the handshake after CEvStartTLS succeeded; it says
// EHLO again, since the server forgets the session (RFC 3207 §4.2).
func (c *Client) TLSStarted() {
	c.tls = true
	c.phase = phaseSetup
	c.Caps = Capabilities{}
	c.hello(VerbEHLO)
}

// Probe sends RSET on an idle session, to check a cached connection before reusing it;
// CEvReady follows when the server answers 250.
func (c *Client) Probe() error {
	if c.phase != phaseReady {
		return ErrNotReady
	}
	c.Out = append(c.Out, CmdRSET...)
	c.push(pProbe, 0)
	c.phase = phaseSetup
	return nil
}

// Quit sends QUIT; CEvClosed follows the server's answer. It may be called in any phase,
// for example after a refused greeting, and does nothing once QUIT was sent.
func (c *Client) Quit() {
	if c.quit {
		return
	}
	c.quit = true
	c.Out = append(c.Out, CmdQUIT...)
	c.pend, c.head = c.pend[:0], 0 // replies still due are of no interest now
	c.push(pQuit, 0)
	c.phase = phaseSetup
}
