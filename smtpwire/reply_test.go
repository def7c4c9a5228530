package smtpwire

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// replyParseCase is one ParseReply table case. n < 0 means the whole input.
type replyParseCase struct {
	name  string
	in    string
	n     int
	code  Code
	enh   Enhanced
	lines []string // Line(i) for each line
	text  string   // AppendText
}

// replyParseCases are complete replies; the fuzz target is seeded from them.
var replyParseCases = []replyParseCase{
	{"greeting", "220 mx.example.com ESMTP Postfix\r\n", -1, 220, Enhanced{},
		[]string{"mx.example.com ESMTP Postfix"}, "mx.example.com ESMTP Postfix"},
	{"rfc5321 4.2.1 multi-line", "250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n250 The last line\r\n", -1, 250, Enhanced{},
		[]string{"First line", "Second line", "234 Text beginning with numbers", "The last line"},
		"First line Second line 234 Text beginning with numbers The last line"},
	{"rfc5321 D.1 ehlo", "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n", -1, 250, Enhanced{},
		[]string{"foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"}, "foo.com greets bar.com 8BITMIME SIZE DSN HELP"},
	{"421 with enhanced", "421 4.7.0 Try again later, closing connection.\r\n", -1, 421, Enhanced{4, 7, 0},
		[]string{"Try again later, closing connection."}, "Try again later, closing connection."},
	{"421 without enhanced", "421 mx.example.com Service not available, closing transmission channel\r\n", -1, 421, Enhanced{},
		[]string{"mx.example.com Service not available, closing transmission channel"}, "mx.example.com Service not available, closing transmission channel"},
	{"250 enhanced", "250 2.1.0 Ok\r\n", -1, 250, Enhanced{2, 1, 0}, []string{"Ok"}, "Ok"},
	{"550 user unknown", "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown\r\n", -1, 550, Enhanced{5, 1, 1},
		[]string{"<bob@example.com>: Recipient address rejected: User unknown"}, "<bob@example.com>: Recipient address rejected: User unknown"},
	{"gmail multi-line enhanced",
		"550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n" +
			"550-5.1.1 double-checking the recipient's email address for typos or\r\n" +
			"550-5.1.1 unnecessary spaces. Learn more at\r\n" +
			"550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d2si1 - gsmtp\r\n", -1, 550, Enhanced{5, 1, 1},
		[]string{"The email account that you tried to reach does not exist. Please try",
			"double-checking the recipient's email address for typos or", "unnecessary spaces. Learn more at",
			" https://support.google.com/mail/?p=NoSuchUser d2si1 - gsmtp"},
		"The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at  https://support.google.com/mail/?p=NoSuchUser d2si1 - gsmtp"},
	{"bare code", "250\r\n", -1, 250, Enhanced{}, []string{""}, ""},
	{"code and space", "250 \r\n", -1, 250, Enhanced{}, []string{""}, ""},
	{"enhanced without text", "250 2.0.0\r\n", -1, 250, Enhanced{2, 0, 0}, []string{""}, ""},
	{"enhanced and space", "250 2.0.0 \r\n", -1, 250, Enhanced{2, 0, 0}, []string{""}, ""},
	{"bare LF", "250-a\n250 b\n", -1, 250, Enhanced{}, []string{"a", "b"}, "a b"},
	{"mixed line endings", "250-a\r\n250-b\n250 c\r\n", -1, 250, Enhanced{}, []string{"a", "b", "c"}, "a b c"},
	{"enhanced class differs from code", "250 5.1.1 odd\r\n", -1, 250, Enhanced{}, []string{"5.1.1 odd"}, "5.1.1 odd"},
	{"354 has no enhanced", "354 2.0.0 go ahead\r\n", -1, 354, Enhanced{}, []string{"2.0.0 go ahead"}, "2.0.0 go ahead"},
	{"354 end data", "354 End data with <CR><LF>.<CR><LF>\r\n", -1, 354, Enhanced{}, []string{"End data with <CR><LF>.<CR><LF>"}, "End data with <CR><LF>.<CR><LF>"},
	{"three digit detail", "451 4.7.650 The mail server [192.0.2.2] has been temporarily rate limited due to IP reputation.\r\n", -1, 451, Enhanced{4, 7, 650},
		[]string{"The mail server [192.0.2.2] has been temporarily rate limited due to IP reputation."}, "The mail server [192.0.2.2] has been temporarily rate limited due to IP reputation."},
	{"leading zeros", "250 2.01.000 ok\r\n", -1, 250, Enhanced{2, 1, 0}, []string{"ok"}, "ok"},
	{"four digit subject is text", "550 5.1234.1 x\r\n", -1, 550, Enhanced{}, []string{"5.1234.1 x"}, "5.1234.1 x"},
	{"four digit detail is text", "550 5.1.1234 x\r\n", -1, 550, Enhanced{}, []string{"5.1.1234 x"}, "5.1.1234 x"},
	{"enhanced glued to text", "250 2.0.0Ok\r\n", -1, 250, Enhanced{}, []string{"2.0.0Ok"}, "2.0.0Ok"},
	{"enhanced missing detail", "250 2.0. x\r\n", -1, 250, Enhanced{}, []string{"2.0. x"}, "2.0. x"},
	{"pipelined replies", "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n", 14, 250, Enhanced{2, 1, 0}, []string{"Ok"}, "Ok"},
	{"empty continuation", "250-\r\n250 ok\r\n", -1, 250, Enhanced{}, []string{"", "ok"}, "ok"},
	{"different enhanced on later line", "250-2.1.0 a\r\n250 2.1.5 b\r\n", -1, 250, Enhanced{2, 1, 0}, []string{"a", "2.1.5 b"}, "a 2.1.5 b"},
	{"later line without enhanced", "550-5.7.1 a\r\n550 b\r\n", -1, 550, Enhanced{5, 7, 1}, []string{"a", "b"}, "a b"},
	{"auth ok", "235 2.7.0 Authentication successful\r\n", -1, 235, Enhanced{2, 7, 0}, []string{"Authentication successful"}, "Authentication successful"},
	{"auth challenge", "334 VXNlcm5hbWU6\r\n", -1, 334, Enhanced{}, []string{"VXNlcm5hbWU6"}, "VXNlcm5hbWU6"},
	{"closing", "221 2.0.0 Bye\r\n", -1, 221, Enhanced{2, 0, 0}, []string{"Bye"}, "Bye"},
	{"second digit over 5", "571 5.7.1 Message refused, DMARC verification Failed.\r\n", -1, 571, Enhanced{5, 7, 1},
		[]string{"Message refused, DMARC verification Failed."}, "Message refused, DMARC verification Failed."},
	{"CR inside text", "250 a\rb\r\n", -1, 250, Enhanced{}, []string{"a\rb"}, "a\rb"},
	{"utf8 text", "550 5.1.1 Адрес не найден\r\n", -1, 550, Enhanced{5, 1, 1}, []string{"Адрес не найден"}, "Адрес не найден"},
}

// replyErrorCases are inputs ParseReply rejects, complete or not.
var replyErrorCases = []struct {
	name string
	in   string
	err  error
}{
	{"letter in code", "25O ok\r\n", ErrReplySyntax},
	{"letter in code, no line end", "25O", ErrReplySyntax},
	{"first digit 1", "150 ok\r\n", ErrReplySyntax},
	{"first digit 6", "650 ok\r\n", ErrReplySyntax},
	{"no separator", "250ok\r\n", ErrReplySyntax},
	{"tab separator", "250\tok\r\n", ErrReplySyntax},
	{"CR then text", "250\rX\r\n", ErrReplySyntax},
	{"two digits", "25\r\n", ErrReplySyntax},
	{"empty line", "\r\n", ErrReplySyntax},
	{"http", "HTTP/1.1 400 Bad Request\r\n", ErrReplySyntax},
	{"http, no line end", "HTTP/1.1", ErrReplySyntax},
	{"bad continuation", "250-a\r\nxyz\r\n", ErrReplySyntax},
	{"last digit changes", "250-a\r\n251 b\r\n", ErrReplyCodeMismatch},
	{"class changes", "250-a\r\n550 b\r\n", ErrReplyCodeMismatch},
	{"class changes, no line end", "250-a\r\n5", ErrReplyCodeMismatch},
	{"empty", "", ErrNeedMore},
	{"code only", "250", ErrNeedMore},
	{"no line end", "250 ok", ErrNeedMore},
	{"CR without LF", "250 ok\r", ErrNeedMore},
	{"continuation only", "250-a\r\n", ErrNeedMore},
	{"partial last line", "250-a\r\n250", ErrNeedMore},
}

// replyEqual reports whether two parsed replies hold the same values.
func replyEqual(a, b *ParsedReply) bool {
	return a.Code == b.Code && a.Enh == b.Enh && a.Lines == b.Lines &&
		bytes.Equal(a.Raw, b.Raw) && bytes.Equal(a.Text, b.Text)
}

func TestParseReply(t *testing.T) {
	for _, tc := range replyParseCases {
		t.Run(tc.name, func(t *testing.T) {
			var r ParsedReply
			n, err := ParseReply([]byte(tc.in), &r)
			if err != nil {
				t.Fatalf("ParseReply(%q): %v", tc.in, err)
			}
			want := tc.n
			if want < 0 {
				want = len(tc.in)
			}
			if n != want || string(r.Raw) != tc.in[:want] {
				t.Errorf("n = %d, Raw = %q; want %d, %q", n, r.Raw, want, tc.in[:want])
			}
			if r.Code != tc.code || r.Enh != tc.enh || r.Lines != len(tc.lines) {
				t.Errorf("got %d %v lines %d; want %d %v lines %d", r.Code, r.Enh, r.Lines, tc.code, tc.enh, len(tc.lines))
			}
			if string(r.Text) != tc.lines[0] {
				t.Errorf("Text = %q, want %q", r.Text, tc.lines[0])
			}
			for i, line := range tc.lines {
				if got := r.Line(i); string(got) != line {
					t.Errorf("Line(%d) = %q, want %q", i, got, line)
				}
			}
			if r.Line(-1) != nil || r.Line(r.Lines) != nil {
				t.Errorf("Line out of range is not nil")
			}
			if got := r.AppendText([]byte("x:")); string(got) != "x:"+tc.text {
				t.Errorf("AppendText = %q, want %q", got, "x:"+tc.text)
			}
			if r.Transient() != tc.code.Transient() || r.Permanent() != tc.code.Permanent() {
				t.Errorf("Transient/Permanent disagree with Code")
			}
		})
	}
}

func TestParseReplyErrors(t *testing.T) {
	for _, tc := range replyErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			r := ParsedReply{Code: 999}
			n, err := ParseReply([]byte(tc.in), &r)
			if !errors.Is(err, tc.err) || n != 0 {
				t.Fatalf("ParseReply(%q) = %d, %v; want 0, %v", tc.in, n, err, tc.err)
			}
			if r.Code != 999 {
				t.Errorf("ParseReply wrote r on error")
			}
		})
	}
}

// TestParseReplyErrorValues checks that the sentinels are *Error values that
// account as a transient failure.
func TestParseReplyErrorValues(t *testing.T) {
	for _, err := range []error{ErrReplySyntax, ErrReplyCodeMismatch, ErrReplyTooLong} {
		var e *Error
		if !errors.As(err, &e) || e.Reply.Code != C421ServiceUnavail || e.Reply.Enh != (Enhanced{4, 5, 0}) {
			t.Errorf("%v: not a 421 4.5.0 *Error", err)
		}
		if !strings.HasPrefix(err.Error(), "smtpwire: ") {
			t.Errorf("%q lacks the package prefix", err.Error())
		}
	}
}

// TestParseReplySplit feeds each reply byte by byte, as a slow server would:
// every call before the reply is complete says ErrNeedMore, and from then on
// the result is the same as for the whole input.
func TestParseReplySplit(t *testing.T) {
	for _, tc := range replyParseCases {
		t.Run(tc.name, func(t *testing.T) {
			var want ParsedReply
			wantN, err := ParseReply([]byte(tc.in), &want)
			if err != nil {
				t.Fatal(err)
			}
			var buf []byte
			for k := 0; k < len(tc.in); k++ {
				buf = append(buf, tc.in[k])
				var r ParsedReply
				n, err := ParseReply(buf, &r)
				switch {
				case len(buf) < wantN:
					if err != ErrNeedMore {
						t.Fatalf("after %d bytes: %d, %v; want ErrNeedMore", len(buf), n, err)
					}
				case err != nil || n != wantN || !replyEqual(&r, &want):
					t.Fatalf("after %d bytes: %d, %v, %+v; want %d, %+v", len(buf), n, err, r, wantN, want)
				}
			}
		})
	}
	for _, tc := range replyErrorCases {
		t.Run("error/"+tc.name, func(t *testing.T) {
			for k := 0; k <= len(tc.in); k++ {
				_, err := ParseReply([]byte(tc.in[:k]), new(ParsedReply))
				if err != ErrNeedMore && err != tc.err {
					t.Fatalf("after %d bytes: %v; want ErrNeedMore or %v", k, err, tc.err)
				}
				if tc.err != ErrNeedMore && err == tc.err {
					for j := k; j <= len(tc.in); j++ {
						if _, err := ParseReply([]byte(tc.in[:j]), new(ParsedReply)); err != tc.err {
							t.Fatalf("error at %d bytes but %v at %d", k, err, j)
						}
					}
					break
				}
			}
		})
	}
}

func TestParseReplyLimits(t *testing.T) {
	x := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int, last string) string {
		return strings.Repeat("250-a\r\n", n-1) + last
	}
	cases := []struct {
		name string
		in   string
		err  error
	}{
		{"longest line CRLF", "250 " + x(MaxReplyLine-6) + "\r\n", nil},
		{"longest line LF", "250 " + x(MaxReplyLine-5) + "\n", nil},
		{"line one over", "250 " + x(MaxReplyLine-5) + "\r\n", ErrReplyTooLong},
		{"long line, no end yet", "250 " + x(MaxReplyLine-5), ErrNeedMore},
		{"too long before its end", "250 " + x(MaxReplyLine-4), ErrReplyTooLong},
		{"second line over", "250-a\r\n250 " + x(MaxReplyLine), ErrReplyTooLong},
		{"most lines", many(MaxReplyLines, "250 end\r\n"), nil},
		{"one line too many", many(MaxReplyLines+1, "250 end\r\n"), ErrReplyTooLong},
		{"too many before the end", many(MaxReplyLines, "250-a\r\n"), ErrReplyTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r ParsedReply
			n, err := ParseReply([]byte(tc.in), &r)
			if err != tc.err {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && n != len(tc.in) {
				t.Fatalf("n = %d, want %d", n, len(tc.in))
			}
		})
	}
}

// replyAppendCases pair a Reply with its wire form.
var replyAppendCases = []struct {
	name string
	r    Reply
	wire string
}{
	{"plain", Reply{C250OK, Enhanced{}, "Ok"}, "250 Ok\r\n"},
	{"enhanced", Reply{C250OK, E210OtherAddress, "Ok"}, "250 2.1.0 Ok\r\n"},
	{"empty", Reply{C250OK, Enhanced{}, ""}, "250\r\n"},
	{"empty enhanced", Reply{C250OK, E200Other, ""}, "250 2.0.0\r\n"},
	{"multi-line", Reply{C250OK, Enhanced{}, "a\nb\nc"}, "250-a\r\n250-b\r\n250 c\r\n"},
	{"multi-line enhanced", Reply{C550MailboxUnavail, Enhanced{5, 1, 1}, "no such user\nsee https://example.com"},
		"550-5.1.1 no such user\r\n550 5.1.1 see https://example.com\r\n"},
	{"empty middle line", Reply{C250OK, Enhanced{}, "a\n\nb"}, "250-a\r\n250-\r\n250 b\r\n"},
	{"empty middle line enhanced", Reply{C250OK, E200Other, "a\n\nb"}, "250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b\r\n"},
	{"trailing newline", Reply{C250OK, Enhanced{}, "a\n"}, "250-a\r\n250\r\n"},
	{"CR dropped", Reply{C451LocalError, E430SystemOther, "x\ry"}, "451 4.3.0 xy\r\n"},
	{"CRLF cannot inject", Reply{C250OK, Enhanced{}, "a\r\n250 injected"}, "250-a\r\n250 250 injected\r\n"},
	{"three digit detail", Reply{C451LocalError, Enhanced{4, 7, 650}, "rate limited"}, "451 4.7.650 rate limited\r\n"},
	{"error reply", ErrReplySyntax.Reply, "421 4.5.0 malformed reply from remote server\r\n"},
	{"354", Reply{C354StartData, Enhanced{}, "End data with <CR><LF>.<CR><LF>"}, "354 End data with <CR><LF>.<CR><LF>\r\n"},
}

func TestAppendReply(t *testing.T) {
	for _, tc := range replyAppendCases {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendReply([]byte("pre"), tc.r)
			if string(got) != "pre"+tc.wire {
				t.Fatalf("AppendReply = %q, want %q", got[3:], tc.wire)
			}
		})
	}
}

// TestAppendReplyRoundTrip parses what AppendReply wrote and compares it with
// the Reply, line by line.
func TestAppendReplyRoundTrip(t *testing.T) {
	for _, tc := range replyAppendCases {
		t.Run(tc.name, func(t *testing.T) {
			wire := AppendReply(nil, tc.r)
			var r ParsedReply
			n, err := ParseReply(wire, &r)
			if err != nil || n != len(wire) {
				t.Fatalf("ParseReply(%q) = %d, %v", wire, n, err)
			}
			lines := strings.Split(strings.ReplaceAll(tc.r.Text, "\r", ""), "\n")
			if r.Code != tc.r.Code || r.Enh != tc.r.Enh || r.Lines != len(lines) {
				t.Fatalf("got %d %v %d lines, want %d %v %d", r.Code, r.Enh, r.Lines, tc.r.Code, tc.r.Enh, len(lines))
			}
			for i, line := range lines {
				if got := r.Line(i); string(got) != line {
					t.Errorf("Line(%d) = %q, want %q", i, got, line)
				}
			}
		})
	}
}

func TestAppendEnhanced(t *testing.T) {
	cases := []struct {
		e    Enhanced
		want string
	}{
		{E200Other, "2.0.0"},
		{E5711EncryptionRequired, "5.7.11"},
		{Enhanced{4, 7, 650}, "4.7.650"},
		{Enhanced{65535, 65535, 65535}, "65535.65535.65535"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if got := AppendEnhanced([]byte("x"), tc.e); string(got) != "x"+tc.want {
				t.Fatalf("AppendEnhanced(%v) = %q, want %q", tc.e, got, "x"+tc.want)
			}
		})
	}
}

func TestReplyAllocs(t *testing.T) {
	in := []byte(replyParseCases[7].in) // gmail multi-line
	bad := []byte("250-a\r\n251 b\r\n")
	var r ParsedReply
	buf := make([]byte, 0, 1024)
	checks := []struct {
		name string
		f    func()
	}{
		{"ParseReply", func() { _, _ = ParseReply(in, &r) }},
		{"ParseReply error", func() { _, _ = ParseReply(bad, &r) }},
		{"Line", func() { _ = r.Line(3) }},
		{"AppendText", func() { buf = r.AppendText(buf[:0]) }},
		{"AppendReply", func() {
			buf = AppendReply(buf[:0], Reply{C550MailboxUnavail, Enhanced{5, 1, 1}, "no such user\r\nsee https://example.com"})
		}},
		{"AppendEnhanced", func() { buf = AppendEnhanced(buf[:0], Enhanced{4, 7, 650}) }},
	}
	if _, err := ParseReply(in, &r); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, c.f); n != 0 {
				t.Fatalf("%s: %v allocs, want 0", c.name, n)
			}
		})
	}
}

// replyCorpusCodeEnh matches a reply with an enhanced code whose class may
// differ from the reply code; the test checks the class rule itself.
var replyCorpusCodeEnh = regexp.MustCompile(`^([2-5])[0-9]{2} ([245])\.([0-9]{1,3})\.([0-9]{1,3})( |$)`)

// replyCorpusCode matches the corpus texts that are whole reply lines.
var replyCorpusCode = regexp.MustCompile(`^[2-5][0-9]{2}( |$)`)

// TestParseReplyCorpus parses real provider replies collected by sisimai
// (../../shared/corpus/smtp-replies/sisimai, see its README): single-line
// reply texts, checked against a regular expression and round-tripped.
func TestParseReplyCorpus(t *testing.T) {
	const dir = "../../shared/corpus/smtp-replies/sisimai/"
	files := []struct {
		name string
		col  int
	}{
		{"rhost-example-replies.tsv", 2},
		{"reason-example-messages.tsv", 1},
	}
	seen := 0
	for _, f := range files {
		fh, err := os.Open(dir + f.name)
		if errors.Is(err, os.ErrNotExist) {
			t.Skip("corpus not present:", dir)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		for lineNo := 1; sc.Scan(); lineNo++ {
			cols := strings.Split(sc.Text(), "\t")
			if lineNo == 1 || len(cols) <= f.col || !replyCorpusCode.MatchString(cols[f.col]) {
				continue
			}
			seen++
			replyCheckCorpusLine(t, f.name+":"+strconv.Itoa(lineNo), cols[f.col])
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if seen < 150 {
		t.Fatalf("only %d replies in the corpus; the files changed?", seen)
	}
}

// replyCheckCorpusLine checks one corpus reply text.
func replyCheckCorpusLine(t *testing.T, where, text string) {
	t.Helper()
	in := []byte(text + "\r\n")
	var r ParsedReply
	if n, err := ParseReply(in, &r); err != nil || n != len(in) {
		t.Errorf("%s: ParseReply(%q) = %d, %v", where, text, n, err)
		return
	}
	code, _ := strconv.Atoi(text[:3])
	wantEnh, wantText := Enhanced{}, strings.TrimPrefix(text[3:], " ")
	if m := replyCorpusCodeEnh.FindStringSubmatch(text); m != nil && m[1] == m[2] {
		s, _ := strconv.Atoi(m[3])
		d, _ := strconv.Atoi(m[4])
		wantEnh = Enhanced{uint16(m[2][0] - '0'), uint16(s), uint16(d)}
		wantText = text[len(m[0]):]
	}
	if r.Code != Code(code) || r.Enh != wantEnh || string(r.Text) != wantText {
		t.Errorf("%s: got %d %v %q; want %d %v %q", where, r.Code, r.Enh, r.Text, code, wantEnh, wantText)
	}
	var r2 ParsedReply
	wire := AppendReply(nil, Reply{r.Code, r.Enh, string(r.Text)})
	if _, err := ParseReply(wire, &r2); err != nil || r2.Code != r.Code || r2.Enh != r.Enh || !bytes.Equal(r2.Text, r.Text) {
		t.Errorf("%s: round trip of %q gave %q: %v", where, text, wire, err)
	}
}
