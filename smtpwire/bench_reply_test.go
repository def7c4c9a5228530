package smtpwire

import "testing"

// Wire inputs for the benchmarks: the commonest reply, a long multi-line
// rejection, and a full Postfix EHLO reply.
var (
	benchReplySingle = []byte("250 2.1.5 Ok\r\n")
	benchReplyMulti  = []byte(replyParseCases[7].in) // gmail 550 5.1.1, 4 lines
	benchReplyEHLO   = []byte(ehloParseCases[1].in)  // postfix, 13 lines
)

func BenchmarkParseReply(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"single", benchReplySingle},
		{"multi", benchReplyMulti},
		{"ehlo", benchReplyEHLO},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.in)))
			var r ParsedReply
			for b.Loop() {
				if _, err := ParseReply(bc.in, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendReply(b *testing.B) {
	for _, bc := range []struct {
		name string
		r    Reply
	}{
		{"single", Reply{C250OK, E215DestinationValid, "Ok"}},
		{"multi", Reply{C550MailboxUnavail, Enhanced{5, 1, 1},
			"The email account that you tried to reach does not exist. Please try\n" +
				"double-checking the recipient's email address for typos or\nunnecessary spaces."}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := AppendReply(nil, bc.r)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				buf = AppendReply(buf[:0], bc.r)
			}
		})
	}
}

func BenchmarkAppendEnhanced(b *testing.B) {
	b.ReportAllocs()
	buf := AppendEnhanced(nil, Enhanced{4, 7, 650})
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendEnhanced(buf[:0], Enhanced{4, 7, 650})
	}
}

func BenchmarkParsedReplyAppendText(b *testing.B) {
	var r ParsedReply
	if _, err := ParseReply(benchReplyMulti, &r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchReplyMulti)))
	buf := r.AppendText(nil)
	for b.Loop() {
		buf = r.AppendText(buf[:0])
	}
}

func BenchmarkParseEHLO(b *testing.B) {
	var r ParsedReply
	if _, err := ParseReply(benchReplyEHLO, &r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchReplyEHLO)))
	var caps Capabilities
	for b.Loop() {
		ParseEHLO(&r, &caps)
	}
}

func BenchmarkAppendEHLOReply(b *testing.B) {
	caps := Capabilities{Ext: extensionAll, MaxSize: 52428800, Auth: AuthPlain | AuthLogin}
	buf := AppendEHLOReply(nil, "mx.example.com", "ESMTP Volley", &caps)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = AppendEHLOReply(buf[:0], "mx.example.com", "ESMTP Volley", &caps)
	}
}
