package smtpwire

import (
	"bytes"
	"testing"
)

// sessionSeeds are client streams for the server fuzzer and server streams for the client
// fuzzer, drawn from the dialogue tables.
var serverSeeds = []string{
	"EHLO c\r\nMAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME\r\nRCPT TO:<c@d.example> NOTIFY=FAILURE ORCPT=rfc822;c@d.example\r\nDATA\r\nhi\r\n..x\r\n.\r\nQUIT\r\n",
	"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\nRSET\r\n",
	"EHLO c\r\nAUTH PLAIN\r\nAHVzZXIAcGFzcw==\r\nAUTH LOGIN dXNlcg==\r\n*\r\nSTARTTLS\r\nEHLO again\r\n",
	"HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nhi\n.\nstill\r\n.\r\n",
	"\r\n\n\x00FOO\r\nVRFY x\r\nHELP\r\nNOOP\r\nBDAT 99999999999999999999\r\n",
}

// FuzzServerSession feeds arbitrary client bytes to a server session, whole and in chunks.
// Properties: no panic; Feed always makes progress or asks for input; every byte the server
// writes parses as a sequence of well-formed replies; the transcript does not depend on how
// the input was split.
func FuzzServerSession(f *testing.F) {
	for _, s := range serverSeeds {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		whole := fuzzServe(t, in, 0)
		if step > 0 {
			if chunked := fuzzServe(t, in, int(step)); !bytes.Equal(whole, chunked) {
				t.Fatalf("transcript depends on chunking:\n%q\n%q", whole, chunked)
			}
		}
		for rest := whole; len(rest) > 0; {
			var r ParsedReply
			n, err := ParseReply(rest, &r)
			if err != nil {
				t.Fatalf("server wrote a malformed reply: %v in %q", err, rest)
			}
			rest = rest[n:]
		}
	})
}

func fuzzServe(t *testing.T, input []byte, step int) []byte {
	cfg := testServerConfig()
	cfg.MaxLine = 128
	app := &testApp{}
	var s Server
	s.Reset(cfg)
	s.Greet()
	if step == 0 {
		step = len(input) + 1
	}
	var buf []byte
	for off := 0; off < len(input); off += step {
		buf = append(buf, input[off:min(off+step, len(input))]...)
		for guard := 0; ; guard++ {
			if guard > 4*len(input)+16 {
				t.Fatal("Feed loops without progress")
			}
			n, ev := s.Feed(buf)
			buf = buf[n:]
			if ev == SEvQuit {
				return s.Out
			}
			if ev == SEvNone {
				break
			}
			app.decide(&s, ev)
		}
	}
	return s.Out
}

var clientSeeds = []string{
	"220 mx\r\n" + ehloAll + "250 ok\r\n250 ok\r\n550 5.1.1 no\r\n354 go\r\n250 queued\r\n221 bye\r\n",
	"220 mx\r\n502 no\r\n250 old\r\n250 ok\r\n450 later\r\n250 ok\r\n354 go\r\n250 ok\r\n",
	"220 mx\r\n250-mx\r\n250 PIPELINING\r\n550 5.7.1 blocked\r\n503 need\r\n503 need\r\n",
	"554 go away\r\n",
	"220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH LOGIN\r\n220 go\r\n250-mx\r\n250 AUTH LOGIN\r\n334 x\r\n235 ok\r\n",
}

// FuzzClientSession feeds arbitrary server bytes to a client session that keeps sending.
// Properties: no panic, no endless loop, and events arrive in a legal order: CEvRcpt only
// inside a transaction, CEvDone only after Send.
func FuzzClientSession(f *testing.F) {
	for _, s := range clientSeeds {
		f.Add([]byte(s), uint8(0), uint8(0))
		f.Add([]byte(s), uint8(2), uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, step, flags uint8) {
		cfg := &ClientConfig{Hostname: "h", TLS: TLSPolicy(flags % 3), NoPipelining: flags&4 != 0, UseChunking: flags&8 != 0}
		if flags&16 != 0 {
			cfg.AuthMech, cfg.AuthUser, cfg.AuthPass = AuthLogin, "u", "p"
		}
		var c Client
		c.Reset(cfg)
		tx := testTx("body\r\n.x\r\n", "a@b.example", "c@d.example")
		inTx, sends := false, 0
		s := int(step)
		if s == 0 {
			s = len(in) + 1
		}
		var buf []byte
		for off := 0; off < len(in); off += s {
			buf = append(buf, in[off:min(off+s, len(in))]...)
			for guard := 0; ; guard++ {
				if guard > 4*len(in)+16 {
					t.Fatal("Feed loops without progress")
				}
				n, ev := c.Feed(buf)
				buf = buf[n:]
				switch ev {
				case CEvNone:
				case CEvReady, CEvDone:
					if ev == CEvDone && !inTx {
						t.Fatal("CEvDone without a transaction")
					}
					inTx = false
					if sends < 3 && c.Send(tx) == nil {
						inTx = true
						sends++
					}
					continue
				case CEvRcpt:
					if !inTx || c.RcptIndex < 0 || c.RcptIndex >= len(tx.To) {
						t.Fatalf("CEvRcpt #%d outside a transaction", c.RcptIndex)
					}
					continue
				case CEvStartTLS:
					c.TLSStarted()
					continue
				case CEvFailed, CEvClosed:
					return
				}
				break
			}
		}
	})
}
