package smtpwire

import "testing"

// Typical lines of a bulk sender's transaction, for the benchmarks.
var (
	benchMail = []byte("MAIL FROM:<bounce-123@news.example.com> SIZE=20480 BODY=8BITMIME")
	benchRcpt = []byte("RCPT TO:<user@example.org> NOTIFY=FAILURE ORCPT=rfc822;user@example.org")
)

var benchSink error

func BenchmarkParseCommand(b *testing.B) {
	for _, bc := range []struct {
		name string
		line []byte
	}{
		{"MailTypical", benchMail},
		{"RcptTypical", benchRcpt},
		{"RcptPlain", []byte("RCPT TO:<user@example.org>")},
		{"MailDSN", []byte("MAIL FROM:<> RET=HDRS ENVID=QQ314159 SMTPUTF8 AUTH=<>")},
		{"RcptQuotedIPv6", []byte(`RCPT TO:<"john doe"@[IPv6:2001:db8::1]>`)},
		{"RcptUTF8", []byte("RCPT TO:<用户@例子.广告>")},
		{"EHLO", []byte("EHLO mta1.example.net")},
		{"DATA", []byte("DATA")},
		{"BDAT", []byte("BDAT 65536 LAST")},
		{"AUTH", []byte("AUTH PLAIN AHVzZXIAcGFzc3dvcmQ=")},
		{"Unknown", []byte("XYZZY")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var c Command
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.line)))
			for b.Loop() {
				benchSink = ParseCommand(bc.line, &c)
			}
		})
	}
}

func BenchmarkNextLine(b *testing.B) {
	wire := append(append([]byte{}, benchMail...), "\r\n"...)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		_, _, benchSink = NextLine(wire, MaxCommandLine)
	}
}

// BenchmarkNextLineParse is what a server does per pipelined command.
func BenchmarkNextLineParse(b *testing.B) {
	wire := append(append([]byte{}, benchRcpt...), "\r\n"...)
	var c Command
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		line, _, _ := NextLine(wire, MaxCommandLine)
		benchSink = ParseCommand(line, &c)
	}
}

func BenchmarkAppendMailFrom(b *testing.B) {
	from := []byte("bounce-123@news.example.com")
	p := MailParams{Size: 20480, Body: Body8BitMIME}
	buf := AppendMailFrom(nil, from, &p)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendMailFrom(buf[:0], from, &p)
	}
}

func BenchmarkAppendRcptTo(b *testing.B) {
	to := []byte("user@example.org")
	p := RcptParams{Notify: NotifyFailure, ORCPTType: []byte("rfc822"), ORCPT: []byte("user@example.org")}
	buf := AppendRcptTo(nil, to, &p)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendRcptTo(buf[:0], to, &p)
	}
}

func BenchmarkAppendHello(b *testing.B) {
	buf := AppendHello(nil, VerbEHLO, "mta1.example.net")
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendHello(buf[:0], VerbEHLO, "mta1.example.net")
	}
}

func BenchmarkAppendBDAT(b *testing.B) {
	buf := AppendBDAT(nil, 65536, true)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendBDAT(buf[:0], 65536, true)
	}
}

func BenchmarkAppendAuth(b *testing.B) {
	initial := []byte("AHVzZXIAcGFzc3dvcmQ=")
	buf := AppendAuth(nil, "PLAIN", initial)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendAuth(buf[:0], "PLAIN", initial)
	}
}

func BenchmarkAppendXtext(b *testing.B) {
	src := []byte("user+tag=x@example.org")
	buf := AppendXtext(nil, src)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		buf = AppendXtext(buf[:0], src)
	}
}

func BenchmarkDecodeXtext(b *testing.B) {
	src := []byte("user+2Btag+3Dx@example.org")
	buf, _ := DecodeXtext(nil, src)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		buf, benchSink = DecodeXtext(buf[:0], src)
	}
}

func BenchmarkValidHelloArg(b *testing.B) {
	arg := []byte("mta1.example.net")
	b.ReportAllocs()
	b.SetBytes(int64(len(arg)))
	for b.Loop() {
		if !ValidHelloArg(arg) {
			b.Fatal("invalid")
		}
	}
}
