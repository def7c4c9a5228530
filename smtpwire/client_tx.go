package smtpwire

// Transactions on the client side: MAIL, RCPT, DATA or BDAT (RFC 5321 §3.3, RFC 3030),
// pipelined when the server allows it (RFC 2920).

var (
	// ErrNeedsSMTPUTF8: the transaction needs SMTPUTF8 and the server does not offer it
	// (RFC 6531 §3.2: do not send it; bounce or downgrade).
	ErrNeedsSMTPUTF8 = newError(C553MailboxNameInvalid, E567UTF8Required, "Server does not support SMTPUTF8", "server lacks SMTPUTF8")
	// ErrTooBigForServer: the message is larger than the server's SIZE (RFC 1870 §6.2).
	ErrTooBigForServer = newError(C552StorageExceeded, E534MessageTooBig, "Message too big for the receiving server", "message exceeds the server's SIZE")
	// ErrNoRecipients: Send with an empty To.
	ErrNoRecipients = newError(C554TransactionFailed, Enhanced{5, 5, 1}, "No recipients", "transaction without recipients")
)

// Send starts a transaction on an idle session. It returns an *Error (with the reply to
// record for every recipient) when the transaction cannot be sent to this server at all;
// the session then stays idle. Events follow: CEvRcpt per recipient, then CEvDone.
func (c *Client) Send(tx *Transaction) error {
	switch {
	case c.phase != phaseReady:
		return ErrNotReady
	case len(tx.To) == 0:
		return ErrNoRecipients
	case tx.Mail.SMTPUTF8 && c.Caps.Ext&ExtSMTPUTF8 == 0:
		return ErrNeedsSMTPUTF8
	case c.Caps.MaxSize > 0 && int64(len(tx.Body)) > c.Caps.MaxSize:
		return ErrTooBigForServer
	}
	c.tx, c.phase = tx, phaseTx
	c.Accepted, c.next, c.failed, c.outcome = 0, 0, false, StageBody
	c.saved = c.saved[:0]
	c.pipeline = c.Caps.Ext&ExtPipelining != 0 && !c.cfg.NoPipelining
	mail := c.mailParams(&tx.Mail)
	c.Out = AppendMailFrom(c.Out, tx.From, &mail)
	c.push(pMail, 0)
	if c.pipeline {
		for i := range tx.To {
			c.sendRcpt(i)
		}
		c.sendData() // RFC 2920 §3.1: DATA ends the group; BDAT may carry the message too
	}
	return nil
}

// mailParams keeps only the parameters this server announced: SIZE is filled in, DSN and
// AUTH= dropped without the extension, BODY=8BITMIME sent only where announced (as Postfix,
// the 8-bit message is still sent; most receivers take it).
func (c *Client) mailParams(p *MailParams) MailParams {
	m := *p
	ext := c.Caps.Ext
	if ext&ExtSize != 0 {
		m.Size = int64(len(c.tx.Body))
	} else {
		m.Size = 0
	}
	if m.Body == Body8BitMIME && ext&Ext8BitMIME == 0 || m.Body == BodyBinaryMIME && ext&ExtBinaryMIME == 0 {
		m.Body = BodyUnset
	}
	if ext&ExtDSN == 0 {
		m.Ret, m.EnvID = RetUnset, nil
	}
	if ext&ExtAuth == 0 {
		m.Auth = nil
	}
	return m
}

func (c *Client) sendRcpt(i int) {
	var p RcptParams
	if c.tx.Rcpt != nil {
		p = c.tx.Rcpt[i]
		if c.Caps.Ext&ExtDSN == 0 {
			p = RcptParams{}
		}
	}
	c.Out = AppendRcptTo(c.Out, c.tx.To[i], &p)
	c.push(pRcpt, i)
}

// sendData asks to send the message: BDAT with the whole message as one last chunk, or DATA.
func (c *Client) sendData() {
	if c.cfg.UseChunking && c.Caps.Ext&ExtChunking != 0 {
		c.Out = AppendBDAT(c.Out, int64(len(c.tx.Body)), true)
		c.Out = append(c.Out, c.tx.Body...)
		c.push(pBDAT, 0)
		return
	}
	c.Out = append(c.Out, CmdDATA...)
	c.push(pData, 0)
}

// handleTx acts on a reply within a transaction.
func (c *Client) handleTx(p pending) ClientEvent {
	r := &c.Reply
	switch p.kind {
	case pMail:
		if r.Code.Class() != 2 {
			c.decided(StageMail) // the RCPT and DATA replies still due are absorbed
			return c.maybeDone()
		}
		if !c.pipeline {
			c.sendRcpt(0)
		}
	case pRcpt:
		if c.failed {
			return c.maybeDone()
		}
		if r.Code.Class() == 2 {
			c.Accepted++
		}
		c.RcptIndex = p.rcpt
		if !c.pipeline {
			c.afterRcpt(p.rcpt)
		}
		return CEvRcpt
	case pData:
		return c.handleData()
	case pBDAT, pBody:
		if !c.failed {
			c.decided(c.bodyStage())
			if r.Code.Class() != 2 {
				c.reset() // RFC 3030 §2: the failed transaction is over; make sure of it
			}
		}
		return c.maybeDone()
	case pReset:
		return c.maybeDone()
	}
	return CEvNone
}

// afterRcpt sends what follows recipient i without pipelining.
func (c *Client) afterRcpt(i int) {
	switch {
	case i+1 < len(c.tx.To):
		c.sendRcpt(i + 1)
	case c.Accepted > 0:
		c.sendData()
	default:
		c.decided(StageRcpt) // every recipient refused: no DATA
		c.reset()
	}
}

// handleData handles the reply to DATA.
func (c *Client) handleData() ClientEvent {
	r := &c.Reply
	if r.Code == C354StartData {
		if c.failed || c.Accepted == 0 {
			// RFC 2920 §3.1: a server that says 354 with no valid recipient gets an empty
			// message, whose reply is absorbed.
			c.Out = append(c.Out, ".\r\n"...)
		} else {
			c.Out = AppendStuffed(c.Out, c.tx.Body)
		}
		c.push(pBody, 0)
		return CEvNone
	}
	if r.Code.Positive() {
		return c.fail(ErrUnexpectedReply) // RFC 5321 §4.3.2: DATA succeeds only with 354
	}
	if !c.failed {
		st := StageData
		if c.Accepted == 0 {
			st = StageRcpt
		}
		c.decided(st)
		c.reset()
	}
	return c.maybeDone()
}

// bodyStage is the stage a final reply reports: StageRcpt when no recipient was accepted.
func (c *Client) bodyStage() Stage {
	if c.Accepted == 0 {
		return StageRcpt
	}
	return StageBody
}

// decided keeps a copy of the reply that decides the transaction, reported at CEvDone.
func (c *Client) decided(st Stage) {
	if c.failed {
		return
	}
	c.failed, c.outcome = true, st
	c.saved = append(c.saved[:0], c.Reply.Raw...)
}

// reset sends RSET when the server may still hold the transaction.
func (c *Client) reset() {
	c.Out = append(c.Out, CmdRSET...)
	c.push(pReset, 0)
}

// maybeDone reports CEvDone once no reply of the transaction is still due.
func (c *Client) maybeDone() ClientEvent {
	if c.head != len(c.pend) {
		return CEvNone
	}
	c.phase = phaseReady
	c.tx = nil
	c.Stage = c.outcome
	if _, err := ParseReply(c.saved, &c.Reply); err != nil {
		return c.fail(err)
	}
	return CEvDone
}
