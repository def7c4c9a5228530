package smtpwire

import (
	"fmt"
	"strings"
	"testing"
)

// clientHarness plays the application around a Client: it sends the queued transactions
// when the session is ready, quits when none is left, and logs each event.
type clientHarness struct {
	c     Client
	queue []*Transaction
	log   []string
	buf   []byte
}

func newClientHarness(cfg *ClientConfig, txs ...*Transaction) *clientHarness {
	h := &clientHarness{queue: txs}
	h.c.Reset(cfg)
	return h
}

// recv feeds server bytes in chunks of step (0: at once) and returns the client's output.
func (h *clientHarness) recv(server string, step int) string {
	if step == 0 {
		step = len(server) + 1
	}
	for off := 0; off < len(server); off += step {
		h.buf = append(h.buf, server[off:min(off+step, len(server))]...)
		for {
			n, ev := h.c.Feed(h.buf)
			h.buf = h.buf[n:]
			if ev == CEvNone {
				break
			}
			h.event(ev)
		}
	}
	out := string(h.c.Out)
	h.c.Out = h.c.Out[:0]
	return out
}

func (h *clientHarness) event(ev ClientEvent) {
	entry := fmt.Sprintf("%v/%v/%d", ev, h.c.Stage, h.c.Reply.Code)
	if ev == CEvRcpt {
		entry += fmt.Sprintf("#%d", h.c.RcptIndex)
	}
	if ev == CEvFailed && h.c.Err != nil {
		entry += ":" + h.c.Err.Error()
	}
	h.log = append(h.log, entry)
	switch ev {
	case CEvReady, CEvDone:
		h.next()
	case CEvStartTLS:
		h.c.TLSStarted()
	}
}

func (h *clientHarness) next() {
	for len(h.queue) > 0 {
		tx := h.queue[0]
		h.queue = h.queue[1:]
		if err := h.c.Send(tx); err != nil {
			h.log = append(h.log, "send: "+err.Error())
			continue
		}
		return
	}
	h.c.Quit()
}

func testTx(body string, to ...string) *Transaction {
	tx := &Transaction{From: []byte("bounce@sender.example"), Body: []byte(body)}
	for _, a := range to {
		tx.To = append(tx.To, []byte(a))
	}
	return tx
}

const ehloAll = "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n" +
	"250-CHUNKING\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 DSN\r\n"

// turn is one exchange: what the server sends, and what the client must answer.
type turn struct{ server, client string }

func TestClientDialogues(t *testing.T) {
	cfg := &ClientConfig{Hostname: "out1.sender.example"}
	cases := []struct {
		name   string
		cfg    *ClientConfig
		txs    []*Transaction
		turns  []turn
		events []string
	}{
		{
			name: "pipelined transaction with one refused recipient",
			txs:  []*Transaction{testTx("Subject: t\r\n\r\n.hidden\r\n", "a@rcpt.example", "b@rcpt.example")},
			turns: []turn{
				{"220 mx.example ESMTP\r\n", "EHLO out1.sender.example\r\n"},
				{ehloAll, "MAIL FROM:<bounce@sender.example> SIZE=23\r\nRCPT TO:<a@rcpt.example>\r\nRCPT TO:<b@rcpt.example>\r\nDATA\r\n"},
				{"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n", "Subject: t\r\n\r\n..hidden\r\n.\r\n"},
				{"250 2.0.0 queued as X\r\n", "QUIT\r\n"},
				{"221 2.0.0 bye\r\n", ""},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/250#0", "rcpt/rcpt/550#1", "done/body/250", "closed/quit/221"},
		},
		{
			name: "one command at a time without PIPELINING, HELO fallback",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example", "b@rcpt.example")},
			turns: []turn{
				{"220 old.example\r\n", "EHLO out1.sender.example\r\n"},
				{"502 5.5.1 what?\r\n", "HELO out1.sender.example\r\n"},
				{"250 old.example\r\n", "MAIL FROM:<bounce@sender.example>\r\n"},
				{"250 ok\r\n", "RCPT TO:<a@rcpt.example>\r\n"},
				{"450 4.2.1 later\r\n", "RCPT TO:<b@rcpt.example>\r\n"},
				{"250 ok\r\n", "DATA\r\n"},
				{"354 go\r\n", "x\r\n.\r\n"},
				{"250 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/450#0", "rcpt/rcpt/250#1", "done/body/250"},
		},
		{
			name: "pipelined MAIL refused: one outcome, the rest absorbed",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example"), testTx("y\r\n", "b@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<bounce@sender.example>\r\nRCPT TO:<a@rcpt.example>\r\nDATA\r\n"},
				{"550 5.7.1 sender blocked\r\n503 5.5.1 need MAIL\r\n", ""},
				{"503 5.5.1 need MAIL\r\n", "MAIL FROM:<bounce@sender.example>\r\nRCPT TO:<b@rcpt.example>\r\nDATA\r\n"},
			},
			events: []string{"ready/hello/250", "done/mail/550"},
		},
		{
			name: "every recipient refused: no message, RSET",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<bounce@sender.example>\r\nRCPT TO:<a@rcpt.example>\r\nDATA\r\n"},
				{"250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n", "RSET\r\n"},
				{"250 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/550#0", "done/rcpt/554"},
		},
		{
			name: "354 without valid recipients gets an empty message",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<bounce@sender.example>\r\nRCPT TO:<a@rcpt.example>\r\nDATA\r\n"},
				{"250 ok\r\n550 5.1.1 unknown\r\n354 go\r\n", ".\r\n"},
				{"554 5.5.1 no valid recipients\r\n", "RSET\r\n"},
				{"250 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/550#0", "done/rcpt/554"},
		},
		{
			name: "BDAT carries the message with the recipients",
			cfg:  &ClientConfig{Hostname: "out1.sender.example", UseChunking: true},
			txs:  []*Transaction{testTx(".x\r\n", "a@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{ehloAll, "MAIL FROM:<bounce@sender.example> SIZE=4\r\nRCPT TO:<a@rcpt.example>\r\nBDAT 4 LAST\r\n.x\r\n"},
				{"250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/250#0", "done/body/250"},
		},
		{
			name: "STARTTLS then AUTH PLAIN",
			cfg:  &ClientConfig{Hostname: "h", TLS: TLSOpportunistic, AuthMech: AuthPlain, AuthUser: "user", AuthPass: "pass"},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{ehloAll, "STARTTLS\r\n"},
				{"220 2.0.0 go ahead\r\n", "EHLO h\r\n"},
				{strings.Replace(ehloAll, "250-STARTTLS\r\n", "", 1), "AUTH PLAIN AHVzZXIAcGFzcw==\r\n"},
				{"235 2.7.0 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"starttls/starttls/220", "ready/auth/235"},
		},
		{
			name: "DSN and 8BITMIME offered but ignored: no parameters of theirs",
			cfg:  &ClientConfig{Hostname: "h", IgnoreExt: ExtDSN | Ext8BitMIME},
			txs: []*Transaction{{From: []byte("b@s.example"), To: [][]byte{[]byte("a@r.example")}, Body: []byte("x\r\n"),
				Mail: MailParams{Body: Body8BitMIME, Ret: RetHdrs, EnvID: []byte("e1")},
				Rcpt: []RcptParams{{Notify: NotifyFailure}}}},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{ehloAll, "MAIL FROM:<b@s.example> SIZE=3\r\nRCPT TO:<a@r.example>\r\nDATA\r\n"},
				{"250 ok\r\n250 ok\r\n354 go\r\n", "x\r\n.\r\n"},
				{"250 2.0.0 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/250#0", "done/body/250"},
		},
		{
			name: "AUTH LOGIN in the clear, allowed",
			cfg:  &ClientConfig{Hostname: "h", AuthMech: AuthLogin, AuthUser: "user", AuthPass: "pass", AuthInClear: true},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{ehloAll, "AUTH LOGIN dXNlcg==\r\n"},
				{"334 UGFzc3dvcmQ6\r\n", "cGFzcw==\r\n"},
				{"235 2.7.0 ok\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/auth/235"},
		},
		{
			name: "AUTH in the clear, not allowed: no password sent",
			cfg:  &ClientConfig{Hostname: "h", AuthMech: AuthPlain, AuthUser: "user", AuthPass: "pass"},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{ehloAll, ""},
			},
			events: []string{"failed/hello/250:smtpwire: AUTH not sent: the session is not encrypted"},
		},
		{
			name: "STARTTLS refused: opportunistic goes on in plaintext",
			cfg:  &ClientConfig{Hostname: "h", TLS: TLSOpportunistic},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{ehloAll, "STARTTLS\r\n"},
				{"454 4.7.0 TLS not available\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/starttls/454"},
		},
		{
			name: "TLS required but not offered",
			cfg:  &ClientConfig{Hostname: "h", TLS: TLSRequired},
			turns: []turn{
				{"220 mx\r\n", "EHLO h\r\n"},
				{"250-mx\r\n250 PIPELINING\r\n", ""},
			},
			events: []string{"failed/hello/250:smtpwire: STARTTLS required but not available"},
		},
		{
			name: "greeting refused",
			turns: []turn{
				{"554 5.7.1 go away\r\n", ""},
			},
			events: []string{"failed/greeting/554:smtpwire: session refused by the server"},
		},
		{
			name: "421 in the middle of a transaction",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example", "b@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250-mx\r\n250 PIPELINING\r\n", "MAIL FROM:<bounce@sender.example>\r\nRCPT TO:<a@rcpt.example>\r\nRCPT TO:<b@rcpt.example>\r\nDATA\r\n"},
				{"250 ok\r\n250 ok\r\n421 4.3.2 shutting down\r\n", ""},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/250#0", "failed/rcpt/421"},
		},
		{
			name: "250 to DATA breaks the protocol",
			txs:  []*Transaction{testTx("x\r\n", "a@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250 mx\r\n", "MAIL FROM:<bounce@sender.example>\r\n"},
				{"250 ok\r\n", "RCPT TO:<a@rcpt.example>\r\n"},
				{"250 ok\r\n", "DATA\r\n"},
				{"250 ok\r\n", ""},
			},
			events: []string{"ready/hello/250", "rcpt/rcpt/250#0", "failed/data/250:smtpwire: unexpected reply"},
		},
		{
			name: "too big for the server's SIZE",
			txs:  []*Transaction{testTx(strings.Repeat("x", 100)+"\r\n", "a@rcpt.example")},
			turns: []turn{
				{"220 mx\r\n", "EHLO out1.sender.example\r\n"},
				{"250-mx\r\n250 SIZE 50\r\n", "QUIT\r\n"},
			},
			events: []string{"ready/hello/250", "send: smtpwire: message exceeds the server's SIZE"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []int{0, 1, 5} {
				c := tc.cfg
				if c == nil {
					c = cfg
				}
				h := newClientHarness(c, tc.txs...)
				for i, tu := range tc.turns {
					if got := h.recv(tu.server, step); got != tu.client {
						t.Fatalf("step %d turn %d: client sent %q, want %q (events %v)", step, i, got, tu.client, h.log)
					}
				}
				if strings.Join(h.log, " ") != strings.Join(tc.events, " ") {
					t.Fatalf("step %d: events\n%v\nwant\n%v", step, h.log, tc.events)
				}
			}
		})
	}
}

// TestClientDoneReplyText checks that the reply reported at CEvDone is the deciding one,
// kept by the session although the input buffer moved on.
func TestClientDoneReplyText(t *testing.T) {
	var c Client
	c.Reset(&ClientConfig{Hostname: "h"})
	in := []byte("220 mx\r\n250-mx\r\n250 PIPELINING\r\n")
	n, ev := c.Feed(in)
	if ev != CEvReady || n != len(in) {
		t.Fatalf("ev %v n %d", ev, n)
	}
	if err := c.Send(testTx("x\r\n", "a@rcpt.example")); err != nil {
		t.Fatal(err)
	}
	buf := []byte("550 5.7.1 sender blocked\r\n")
	n, ev = c.Feed(buf)
	if ev != CEvNone || n != len(buf) {
		t.Fatalf("MAIL refusal reported early: %v", ev)
	}
	copy(buf, "XXXXXXXXXXXXXXXXXXXXXXXX")
	n, ev = c.Feed([]byte("503 need mail\r\n503 need mail\r\n"))
	if ev != CEvDone || c.Stage != StageMail || string(c.Reply.AppendText(nil)) != "sender blocked" || c.Reply.Enh != (Enhanced{5, 7, 1}) {
		t.Fatalf("ev %v stage %v reply %q", ev, c.Stage, c.Reply.Raw)
	}
}

func TestClientNames(t *testing.T) {
	for e := ClientEvent(0); e < clientEventCount; e++ {
		if e.String() == "invalid" {
			t.Fatalf("event %d has no name", e)
		}
	}
	for s := Stage(0); s < stageCount; s++ {
		if s.String() == "invalid" {
			t.Fatalf("stage %d has no name", s)
		}
	}
	for p := TLSPolicy(0); p < tlsPolicyCount; p++ {
		if p.String() == "invalid" {
			t.Fatalf("policy %d has no name", p)
		}
	}
	if len(pendStage) != int(pQuit)+1 {
		t.Fatal("pendStage lacks a row")
	}
}

func TestClientTransactionAllocs(t *testing.T) {
	var c Client
	c.Reset(&ClientConfig{Hostname: "h"})
	c.Out = make([]byte, 0, 8192)
	c.Feed([]byte("220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 100000\r\n"))
	tx := testTx(strings.Repeat("line of text\r\n", 100), "a@rcpt.example", "b@rcpt.example")
	replies := []byte("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 queued\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		c.Out = c.Out[:0]
		if err := c.Send(tx); err != nil {
			t.Fatal(err)
		}
		in := replies
		for {
			n, ev := c.Feed(in)
			in = in[n:]
			if ev == CEvDone {
				return
			}
			if ev == CEvNone {
				t.Fatalf("stalled, left %q", in)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("a delivery transaction allocates %v times", allocs)
	}
}
