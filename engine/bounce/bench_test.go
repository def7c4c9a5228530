package bounce

import (
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

// BenchmarkBuild builds DSNs into a reused buffer.
func BenchmarkBuild(b *testing.B) {
	big := testOriginal + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 800) // ~47 KB
	for _, bc := range []struct {
		name   string
		change func(*Params)
	}{
		{"headers", func(*Params) {}},
		{"full-47KB", func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte(big) }},
		{"10-recipients", func(p *Params) {
			o := p.Outcomes[0]
			for range 9 {
				p.Outcomes = append(p.Outcomes, o)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := testParams()
			bc.change(p)
			buf, _, err := Build(nil, p)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf, _, _ = Build(buf[:0], p)
			}
		})
	}
}

// BenchmarkClassify classifies a typical Postfix DSN (text part,
// delivery-status, returned headers), a free-form qmail bounce and a lone
// reply.
func BenchmarkClassify(b *testing.B) {
	dsn := dsnMessage("<user@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"+
		"    <user@example.com>: Recipient address rejected: User unknown in local recipient\n"+
		"    table (in reply to RCPT TO command)\n",
		"Final-Recipient: rfc822; user@example.com\nOriginal-Recipient: rfc822;user@example.com\n"+
			"Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.com\n"+
			"Diagnostic-Code: smtp; 550 5.1.1 <user@example.com>: Recipient address rejected:\n"+
			"    User unknown in local recipient table\n")
	free := []byte("Return-Path: <>\nFrom: MAILER-DAEMON@mail.example.org\nSubject: failure notice\n\n" +
		"Hi. This is the qmail-send program at mail.example.org.\n" +
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n" +
		"<full@example.com>:\n192.0.2.7 does not like recipient.\n" +
		"Remote host said: 552 5.2.2 <full@example.com>: mailbox is full\n\n" +
		"--- Below this line is a copy of the message.\n\nSubject: hi\n\nhello\n")
	for _, bc := range []struct {
		name string
		msg  []byte
	}{{"dsn", dsn}, {"free-form", free}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.msg)))
			b.ReportAllocs()
			for b.Loop() {
				if len(Classify(bc.msg, nil)) != 1 {
					b.Fatal("not classified")
				}
			}
		})
	}
	b.Run("reply", func(b *testing.B) {
		reply := "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org"
		b.ReportAllocs()
		for b.Loop() {
			ClassifyReply(reply, nil)
		}
	})
}
