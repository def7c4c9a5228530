package smtpwire

import (
	"strings"
	"testing"
)

// BenchmarkServerTransaction runs one pipelined inbound transaction (MAIL, RCPT, DATA with
// a 4 KB body) through the server session, replies included.
func BenchmarkServerTransaction(b *testing.B) {
	cfg := testServerConfig()
	cfg.Caps.MaxSize = 1 << 20
	var s Server
	s.Reset(cfg)
	s.Body = make([]byte, 0, 8192)
	s.Out = make([]byte, 0, 4096)
	n, _ := s.Feed([]byte("EHLO c\r\n"))
	_ = n
	s.Accept()
	body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n", 55)
	tx := []byte("MAIL FROM:<bounce-123@news.example.com> SIZE=4096 BODY=8BITMIME\r\nRCPT TO:<user@example.org>\r\nDATA\r\n" + body + ".\r\n")
	b.SetBytes(int64(len(tx)))
	b.ReportAllocs()
	for b.Loop() {
		s.Out = s.Out[:0]
		in := tx
		for len(in) > 0 {
			n, ev := s.Feed(in)
			in = in[n:]
			if ev != SEvNone {
				s.Accept()
			}
		}
	}
}

// BenchmarkClientTransaction runs one pipelined delivery (two recipients, 4 KB body, DATA
// with dot-stuffing) through the client session against canned replies.
func BenchmarkClientTransaction(b *testing.B) {
	var c Client
	c.Reset(&ClientConfig{Hostname: "h"})
	c.Out = make([]byte, 0, 16384)
	c.Feed([]byte("220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 SIZE 100000\r\n"))
	tx := testTx(strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n", 55), "a@rcpt.example", "b@rcpt.example")
	replies := []byte("250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n250 2.0.0 queued as 1234\r\n")
	b.SetBytes(int64(len(tx.Body)))
	b.ReportAllocs()
	for b.Loop() {
		c.Out = c.Out[:0]
		if err := c.Send(tx); err != nil {
			b.Fatal(err)
		}
		in := replies
		for {
			n, ev := c.Feed(in)
			in = in[n:]
			if ev == CEvDone {
				break
			}
			if ev == CEvNone {
				b.Fatal("stalled")
			}
		}
	}
}
