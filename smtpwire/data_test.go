package smtpwire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// dataAll in a dataWant means "n is len(in)".
const dataAll = -1

// dataWant is the pinned result of decoding one input, whole or in chunks.
type dataWant struct {
	out  string
	n    int
	done bool
	err  error
}

// dataResult is what dataDecodeChunks observed.
type dataResult struct {
	out  string
	n    int
	done bool
	err  error
	size int64
}

func (w dataWant) result(in string) dataResult {
	n := w.n
	if n == dataAll {
		n = len(in)
	}
	return dataResult{out: w.out, n: n, done: w.done, err: w.err, size: int64(len(w.out))}
}

func (r dataResult) String() string {
	return "out=" + strconv.Quote(r.out) + " n=" + strconv.Itoa(r.n) + " done=" +
		strconv.FormatBool(r.done) + " err=" + dataErrName(r.err) + " size=" + strconv.FormatInt(r.size, 10)
}

func dataErrName(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

var dataPolicies = [...]LineEndingPolicy{BareReject, BareNormalize, BareAllow}

// dataDecodeChunks feeds chunks to a fresh Unstuffer in order until done, checking the calling
// contract on the way: before done every call consumes its whole chunk, and the Size and Err
// seen at the end agree with what was appended.
func dataDecodeChunks(t testing.TB, o UnstuffOptions, chunks [][]byte) dataResult {
	t.Helper()
	var u Unstuffer
	u.Reset(o)
	var out []byte
	r := dataResult{}
	for _, c := range chunks {
		if r.done {
			break
		}
		var n int
		out, n, r.done = u.Decode(out, c)
		r.n += n
		if !r.done && n != len(c) {
			t.Fatalf("Decode consumed %d of %d octets without done", n, len(c))
		}
		if n < 0 || n > len(c) {
			t.Fatalf("Decode consumed %d of %d octets", n, len(c))
		}
	}
	if r.done {
		if out2, n, done := u.Decode(out, []byte("\r\n.\r\n")); n != 0 || !done || len(out2) != len(out) {
			t.Fatalf("Decode after done = %d octets, n=%d, done=%v", len(out2)-len(out), n, done)
		}
	}
	r.out, r.err, r.size = string(out), u.Err(), u.Size()
	return r
}

// dataSplit cuts s at the given ascending offsets.
func dataSplit(s []byte, cuts ...int) [][]byte {
	chunks := make([][]byte, 0, len(cuts)+1)
	prev := 0
	for _, c := range cuts {
		chunks = append(chunks, s[prev:c])
		prev = c
	}
	return append(chunks, s[prev:])
}

// dataRef is the reference model of Unstuffer.Decode, written from the specification rather
// than for speed: find the end of data by substring search, apply the policy to the whole
// body, drop each line's first dot, then cut the output at the first octet over a limit.
func dataRef(src []byte, o UnstuffOptions) dataResult {
	body, r := src, dataResult{n: len(src)}
	if t := bytes.Index(append([]byte("\r\n"), src...), []byte(dataEndLine)); t >= 0 {
		body, r.n, r.done = src[:t], t+3, true
	} else if len(body) > 0 && body[len(body)-1] == '\r' {
		body = body[:len(body)-1] // undecided: CRLF or bare CR
	}
	bare := -1
	var norm []byte
	for k, c := range body {
		isBare := c == '\r' && (k+1 == len(body) || body[k+1] != '\n') ||
			c == '\n' && (k == 0 || body[k-1] != '\r')
		if isBare && bare < 0 {
			bare = k
		}
		if isBare && o.Bare == BareNormalize {
			norm = append(norm, '\r', '\n')
		} else {
			norm = append(norm, c)
		}
	}
	text := body
	switch {
	case o.Bare == BareNormalize:
		text = norm
	case o.Bare != BareAllow && bare >= 0:
		text, r.err = body[:bare], ErrBareLineEnding
	}
	var out []byte
	for k, c := range text {
		if c == '.' && (k == 0 || text[k-1] == '\n') {
			continue
		}
		out = append(out, c)
	}
	lineLen := 0
	for k, c := range out {
		lineLen++
		if o.MaxLine > 0 && lineLen > o.MaxLine {
			out, r.err = out[:k], ErrDataLineTooLong
			break
		}
		if o.MaxSize > 0 && int64(k+1) > o.MaxSize {
			out, r.err = out[:k], ErrMessageTooBig
			break
		}
		if c == '\n' {
			lineLen = 0
		}
	}
	r.out, r.size = string(out), int64(len(out))
	return r
}

// dataCase pins one input under each policy.
type dataCase struct {
	name                     string
	in                       string
	reject, normalize, allow dataWant
}

func dataSame(w dataWant) (dataWant, dataWant, dataWant) { return w, w, w }

var dataCases = func() []dataCase {
	c := func(name, in string, reject, normalize, allow dataWant) dataCase {
		return dataCase{name, in, reject, normalize, allow}
	}
	s := func(name, in string, w dataWant) dataCase {
		r, n, a := dataSame(w)
		return dataCase{name, in, r, n, a}
	}
	bad := func(out string, n int, done bool) dataWant { return dataWant{out, n, done, ErrBareLineEnding} }
	ok := func(out string) dataWant { return dataWant{out, dataAll, true, nil} }
	return []dataCase{
		s("empty message", ".\r\n", ok("")),
		s("one line", "a\r\n.\r\n", ok("a\r\n")),
		s("empty first line", "\r\n.\r\n", ok("\r\n")),
		s("pipelined command not consumed", "a\r\n.\r\nQUIT\r\n", dataWant{"a\r\n", 6, true, nil}),
		s("stuffed dot", "..a\r\n.\r\n", ok(".a\r\n")),
		s("stuffed lone dot", "x\r\n..\r\n.\r\n", ok("x\r\n.\r\n")),
		s("unstuffed leading dot dropped", "\r\n.a\r\n.\r\n", ok("\r\na\r\n")),
		s("dot inside line kept", "a.b\r\n.\r\n", ok("a.b\r\n")),
		s("no end yet", "abc\r\ndef", dataWant{"abc\r\ndef", dataAll, false, nil}),
		s("CR held back", "abc\r", dataWant{"abc", dataAll, false, nil}),
		s("dot held back", "abc\r\n.", dataWant{"abc\r\n", dataAll, false, nil}),
		s("dot CR held back", "abc\r\n.\r", dataWant{"abc\r\n", dataAll, false, nil}),
		s("end twice", "a\r\n.\r\n.\r\n", dataWant{"a\r\n", 6, true, nil}),
		c("LF dot LF is not the end", "a\n.\nb\r\n.\r\n",
			bad("a", dataAll, true), ok("a\r\n\r\nb\r\n"), ok("a\n\nb\r\n")),
		c("CRLF dot LF is not the end", "a\r\n.\nb\r\n.\r\n",
			bad("a\r\n", dataAll, true), ok("a\r\n\r\nb\r\n"), ok("a\r\n\nb\r\n")),
		c("LF dot CRLF is not the end", "a\n.\r\nb\r\n.\r\n",
			bad("a", dataAll, true), ok("a\r\n\r\nb\r\n"), ok("a\n\r\nb\r\n")),
		c("CR dot CRLF is not the end", "a\r.\r\nb\r\n.\r\n",
			bad("a", dataAll, true), ok("a\r\n\r\nb\r\n"), ok("a\r.\r\nb\r\n")),
		c("bare LF", "a\nb\r\n.\r\n", bad("a", dataAll, true), ok("a\r\nb\r\n"), ok("a\nb\r\n")),
		c("bare CR", "a\rb\r\n.\r\n", bad("a", dataAll, true), ok("a\r\nb\r\n"), ok("a\rb\r\n")),
		c("CR CR LF", "a\r\r\n.\r\n", bad("a", dataAll, true), ok("a\r\n\r\n"), ok("a\r\r\n")),
		c("bare CR starts a line only when normalized", "a\r..b\r\n.\r\n",
			bad("a", dataAll, true), ok("a\r\n.b\r\n"), ok("a\r..b\r\n")),
		c("dot CR X at line start", "a\r\n.\rx\r\n.\r\n",
			bad("a\r\n", dataAll, true), ok("a\r\n\r\nx\r\n"), ok("a\r\n\rx\r\n")),
		c("dot CR CR LF at line start", "a\r\n.\r\r\n.\r\n",
			bad("a\r\n", dataAll, true), ok("a\r\n\r\n\r\n"), ok("a\r\n\r\r\n")),
		c("dot LF at data start", ".\nx\r\n.\r\n", bad("", dataAll, true), ok("\r\nx\r\n"), ok("\nx\r\n")),
		c("bare LF first", "\n.\r\n", bad("", dataAll, false),
			dataWant{"\r\n\r\n", dataAll, false, nil}, dataWant{"\n\r\n", dataAll, false, nil}),
		c("bare LF then end", "\n.\r\n.\r\n", bad("", dataAll, true), ok("\r\n\r\n"), ok("\n\r\n")),
		c("discard skips smuggled ends", "a\nb\n.\nc\r\n.\r\nNEXT",
			bad("a", 12, true), dataWant{"a\r\nb\r\n\r\nc\r\n", 12, true, nil},
			dataWant{"a\nb\n\nc\r\n", 12, true, nil}),
		c("discard keeps stuffed dots", "a\rb\r\n..\r\n.\r\n",
			bad("a", dataAll, true), ok("a\r\nb\r\n.\r\n"), ok("a\rb\r\n.\r\n")),
	}
}()

func TestUnstuff(t *testing.T) {
	for _, tc := range dataCases {
		for i, w := range [...]dataWant{tc.reject, tc.normalize, tc.allow} {
			p := dataPolicies[i]
			t.Run(tc.name+"/"+p.String(), func(t *testing.T) {
				o := UnstuffOptions{Bare: p}
				want := w.result(tc.in)
				if got := dataDecodeChunks(t, o, [][]byte{[]byte(tc.in)}); got != want {
					t.Errorf("Decode(%q)\n got %v\nwant %v", tc.in, got, want)
				}
				if got := dataRef([]byte(tc.in), o); got != want {
					t.Errorf("dataRef(%q)\n got %v\nwant %v", tc.in, got, want)
				}
			})
		}
	}
}

// dataLimitCases pin MaxLine and MaxSize: output stops at the first octet over a limit.
var dataLimitCases = []struct {
	name string
	o    UnstuffOptions
	in   string
	want dataWant
}{
	{"line at limit", UnstuffOptions{MaxLine: 5}, "abc\r\n.\r\n", dataWant{"abc\r\n", dataAll, true, nil}},
	{"line over limit at CRLF", UnstuffOptions{MaxLine: 5}, "abcd\r\n.\r\n",
		dataWant{"abcd\r", dataAll, true, ErrDataLineTooLong}},
	{"line over limit mid line", UnstuffOptions{MaxLine: 5}, "abcdefgh\r\nx\r\n.\r\nNEXT",
		dataWant{"abcde", 16, true, ErrDataLineTooLong}},
	{"stuffing dot not counted", UnstuffOptions{MaxLine: 5}, "..bc\r\n.\r\n", dataWant{".bc\r\n", dataAll, true, nil}},
	{"bare LF counts as CRLF when normalized", UnstuffOptions{MaxLine: 4, Bare: BareNormalize},
		"abc\nx\r\n.\r\n", dataWant{"abc\r", dataAll, true, ErrDataLineTooLong}},
	{"bare LF counts one when allowed", UnstuffOptions{MaxLine: 4, Bare: BareAllow},
		"abc\nx\r\n.\r\n", dataWant{"abc\nx\r\n", dataAll, true, nil}},
	{"bare CR ends no line when allowed", UnstuffOptions{MaxLine: 3, Bare: BareAllow},
		"a\rb\r\n.\r\n", dataWant{"a\rb", dataAll, true, ErrDataLineTooLong}},
	{"bare CR ends a line when normalized", UnstuffOptions{MaxLine: 3, Bare: BareNormalize},
		"a\rb\r\n.\r\n", dataWant{"a\r\nb\r\n", dataAll, true, nil}},
	{"size at limit", UnstuffOptions{MaxSize: 5}, "abc\r\n.\r\n", dataWant{"abc\r\n", dataAll, true, nil}},
	{"size over limit at line end", UnstuffOptions{MaxSize: 5}, "abc\r\nd\r\n.\r\n",
		dataWant{"abc\r\n", dataAll, true, ErrMessageTooBig}},
	{"size over limit in CRLF", UnstuffOptions{MaxSize: 4}, "abc\r\n.\r\n",
		dataWant{"abc\r", dataAll, true, ErrMessageTooBig}},
	{"line wins a tie", UnstuffOptions{MaxLine: 4, MaxSize: 4}, "abcd\r\n.\r\n",
		dataWant{"abcd", dataAll, true, ErrDataLineTooLong}},
	{"size first", UnstuffOptions{MaxLine: 10, MaxSize: 3}, "abcdefgh\r\n.\r\n",
		dataWant{"abc", dataAll, true, ErrMessageTooBig}},
	{"bare first", UnstuffOptions{MaxLine: 3}, "a\nbcdef\r\n.\r\n",
		dataWant{"a", dataAll, true, ErrBareLineEnding}},
	{"line first", UnstuffOptions{MaxLine: 3}, "abcd\n.\r\n",
		dataWant{"abc", dataAll, false, ErrDataLineTooLong}},
	{"negative limits mean none", UnstuffOptions{MaxLine: -1, MaxSize: -1}, "abc\r\n.\r\n",
		dataWant{"abc\r\n", dataAll, true, nil}},
	{"out of range policy rejects", UnstuffOptions{Bare: lineEndingPolicyCount}, "a\nb\r\n.\r\n",
		dataWant{"a", dataAll, true, ErrBareLineEnding}},
	{"empty message under a size limit", UnstuffOptions{MaxSize: 1}, ".\r\n", dataWant{"", dataAll, true, nil}},
}

func TestUnstuffLimits(t *testing.T) {
	for _, tc := range dataLimitCases {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want.result(tc.in)
			if got := dataDecodeChunks(t, tc.o, [][]byte{[]byte(tc.in)}); got != want {
				t.Errorf("Decode(%q)\n got %v\nwant %v", tc.in, got, want)
			}
			if got := dataRef([]byte(tc.in), tc.o); got != want {
				t.Errorf("dataRef(%q)\n got %v\nwant %v", tc.in, got, want)
			}
		})
	}
}

// TestUnstuffSplits decodes every table input cut at every one and every two offsets: the
// result must not depend on where the reads split the stream.
func TestUnstuffSplits(t *testing.T) {
	type input struct {
		name string
		o    UnstuffOptions
		in   string
		want dataResult
	}
	var inputs []input
	for _, tc := range dataCases {
		for i, w := range [...]dataWant{tc.reject, tc.normalize, tc.allow} {
			p := dataPolicies[i]
			inputs = append(inputs, input{tc.name + "/" + p.String(), UnstuffOptions{Bare: p}, tc.in, w.result(tc.in)})
		}
	}
	for _, tc := range dataLimitCases {
		inputs = append(inputs, input{tc.name, tc.o, tc.in, tc.want.result(tc.in)})
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			src := []byte(in.in)
			for a := 0; a <= len(src); a++ {
				for b := a; b <= len(src); b++ {
					if got := dataDecodeChunks(t, in.o, dataSplit(src, a, b)); got != in.want {
						t.Fatalf("Decode(%q) cut at %d,%d\n got %v\nwant %v", in.in, a, b, got, in.want)
					}
				}
			}
		})
	}
}

// dataTricky are messages whose stuffing or line endings have bitten SMTP implementations.
var dataTricky = []string{
	"", ".", "..", "...", "\r", "\n", "\r\n", ".\r\n", "..\r\n", "\r\n.", "\r\n.\r\n", "\r\n..\r\n",
	"a", "a\r\n", "a\r\n.", "a\r\n.\r\n", "a\r\n.\r\nb", ".a\r\n.b\r\n", "\n.\n", "\r.\r",
	".\r", ".\n", "\n.\r\n", "\r\n.\n", "\r.\r\n", "x\r\n.\r\n.\r\n..\r\n", "\r\r\n.\r\n",
	"a\r\n\r\n.\r\n\r\n", ".\r\n.\r\n.", "\r\n\r\n", "\n\r\n.\r\n",
}

// dataStuffedRoundTrip checks that decoding stuffed (the stuffing of msg) cut into chunks
// gives msg back, terminated by CRLF if it was not, with the whole stream consumed.
func dataStuffedRoundTrip(t testing.TB, msg []byte, chunks [][]byte) {
	t.Helper()
	want := string(msg)
	if len(msg) > 0 && !bytes.HasSuffix(msg, dataCRLF) {
		want += "\r\n"
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	onlyCRLF := bytes.Count(msg, dataCR) == bytes.Count(msg, dataCRLF) &&
		bytes.Count(msg, dataLF) == bytes.Count(msg, dataCRLF) && !bytes.HasSuffix(msg, dataCR)
	for _, p := range dataPolicies {
		if p != BareAllow && !onlyCRLF {
			continue
		}
		got := dataDecodeChunks(t, UnstuffOptions{Bare: p}, chunks)
		if got.out != want || got.n != total || !got.done || got.err != nil {
			t.Fatalf("%v: unstuff(stuff(%q)) = %v, want out=%q n=%d done", p, msg, got, want, total)
		}
	}
}

func TestStuffRoundTripSplits(t *testing.T) {
	for _, msg := range dataTricky {
		t.Run(strconv.Quote(msg), func(t *testing.T) {
			stuffed := AppendStuffed(nil, []byte(msg))
			for a := 0; a <= len(stuffed); a++ {
				for b := a; b <= len(stuffed); b++ {
					dataStuffedRoundTrip(t, []byte(msg), dataSplit(stuffed, a, b))
				}
			}
		})
	}
}

// dataRandMessage builds a message from the octets that matter to stuffing.
func dataRandMessage(r *rand.Rand, n int) []byte {
	const alphabet = "..\r\r\n\nab"
	msg := make([]byte, r.IntN(n))
	for i := range msg {
		msg[i] = alphabet[r.IntN(len(alphabet))]
	}
	return msg
}

// dataRandCuts returns ascending random offsets into a stream of n octets.
func dataRandCuts(r *rand.Rand, n int) []int {
	var cuts []int
	for at := r.IntN(8); at <= n; at += r.IntN(8) {
		cuts = append(cuts, at)
	}
	return cuts
}

func TestStuffRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		msg := dataRandMessage(r, 64)
		if r.IntN(4) == 0 { // a CRLF-only message, so that every policy is checked
			msg = bytes.ReplaceAll(bytes.ReplaceAll(bytes.ReplaceAll(msg, dataCR, nil), dataLF, nil), []byte("b"), dataCRLF)
		}
		stuffed := AppendStuffed(nil, msg)
		dataStuffedRoundTrip(t, msg, dataSplit(stuffed, dataRandCuts(r, len(stuffed))...))
		var s Stuffer
		var chunked []byte
		for _, c := range dataSplit(msg, dataRandCuts(r, len(msg))...) {
			chunked = s.Append(chunked, c)
		}
		if chunked = s.AppendEnd(chunked); !bytes.Equal(chunked, stuffed) {
			t.Fatalf("Stuffer in chunks(%q) = %q, AppendStuffed = %q", msg, chunked, stuffed)
		}
	}
}

func TestUnstuffRandomAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		src := dataRandMessage(r, 48)
		o := UnstuffOptions{Bare: dataPolicies[r.IntN(3)], MaxLine: r.IntN(8), MaxSize: int64(r.IntN(24))}
		want := dataRef(src, o)
		if got := dataDecodeChunks(t, o, dataSplit(src, dataRandCuts(r, len(src))...)); got != want {
			t.Fatalf("Decode(%q, %+v)\n got %v\nwant %v", src, o, got, want)
		}
	}
}

func TestStuff(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ".\r\n"},
		{"no line ending", "a", "a\r\n.\r\n"},
		{"CRLF ending", "a\r\n", "a\r\n.\r\n"},
		{"leading dot", ".a\r\n", "..a\r\n.\r\n"},
		{"lone dot", ".", "..\r\n.\r\n"},
		{"end line inside", "a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
		{"dot after bare LF", "a\n.b", "a\n..b\r\n.\r\n"},
		{"dot after bare CR", "a\r.b", "a\r.b\r\n.\r\n"},
		{"bare CR ending", "a\r", "a\r\r\n.\r\n"},
		{"bare LF ending", "a\n", "a\n\r\n.\r\n"},
		{"empty line", "\r\n", "\r\n.\r\n"},
		{"dots inside lines", "a.b\r\n", "a.b\r\n.\r\n"},
		{"dot lines", ".\r\n.\r\n", "..\r\n..\r\n.\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(AppendStuffed([]byte("DATA"), []byte(tc.in))); got != "DATA"+tc.want {
				t.Errorf("AppendStuffed(%q) = %q, want %q", tc.in, got, "DATA"+tc.want)
			}
			for cut := 0; cut <= len(tc.in); cut++ { // the Stuffer carries state across chunks
				var s Stuffer
				s.Reset()
				got := s.Append(nil, []byte(tc.in[:cut]))
				got = s.AppendEnd(s.Append(got, []byte(tc.in[cut:])))
				if string(got) != tc.want {
					t.Errorf("Stuffer cut at %d (%q) = %q, want %q", cut, tc.in, got, tc.want)
				}
			}
		})
	}
}

func TestStufferReuse(t *testing.T) {
	var s Stuffer
	first := s.AppendEnd(s.Append(nil, []byte("a")))
	second := s.AppendEnd(s.Append(nil, []byte(".b\r\n")))
	if string(first) != "a\r\n.\r\n" || string(second) != "..b\r\n.\r\n" {
		t.Errorf("reused Stuffer = %q then %q", first, second)
	}
	s.Append(nil, []byte("x\r"))
	s.Reset()
	if got := s.AppendEnd(s.Append(nil, []byte("\n."))); string(got) != "\n..\r\n.\r\n" {
		t.Errorf("Stuffer after Reset = %q", got)
	}
}

func TestUnstufferReset(t *testing.T) {
	var u Unstuffer // the zero value is ready: no limits, BareReject
	out, n, done := u.Decode(nil, []byte("a\nb\r\n.\r\nMAIL"))
	if string(out) != "a" || n != 8 || !done || u.Err() != ErrBareLineEnding {
		t.Fatalf("zero Unstuffer: out=%q n=%d done=%v err=%v", out, n, done, u.Err())
	}
	u.Reset(UnstuffOptions{Bare: BareAllow})
	out, n, done = u.Decode(out[:0], []byte("a\nb\r\n.\r\n"))
	if string(out) != "a\nb\r\n" || n != 8 || !done || u.Err() != nil || u.Size() != 5 {
		t.Fatalf("after Reset: out=%q n=%d done=%v err=%v size=%d", out, n, done, u.Err(), u.Size())
	}
}

func TestDataErrors(t *testing.T) {
	tests := []struct {
		err  *Error
		code Code
		enh  Enhanced
		text string
	}{
		{ErrDataLineTooLong, C554TransactionFailed, E560MediaOther, "Message line too long"},
		{ErrMessageTooBig, C552StorageExceeded, E534MessageTooBig, "Message too big for system"},
		{ErrBareLineEnding, C554TransactionFailed, E560MediaOther, "Bare CR or LF not allowed in message"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r := tc.err.Reply
			if r.Code != tc.code || r.Enh != tc.enh || r.Text != tc.text {
				t.Errorf("Reply = %+v", r)
			}
			if !strings.HasPrefix(tc.err.Error(), "smtpwire: ") {
				t.Errorf("Error() = %q", tc.err.Error())
			}
			var e *Error
			if !errors.As(error(tc.err), &e) || e != tc.err {
				t.Errorf("errors.As failed")
			}
		})
	}
}

func TestLineEndingPolicyString(t *testing.T) {
	want := [lineEndingPolicyCount]string{"reject", "normalize", "allow"}
	for p := range lineEndingPolicyCount {
		if got := p.String(); got != want[p] {
			t.Errorf("LineEndingPolicy(%d).String() = %q, want %q", p, got, want[p])
		}
	}
	if got := LineEndingPolicy(7).String(); got != "LineEndingPolicy(7)" {
		t.Errorf("LineEndingPolicy(7).String() = %q", got)
	}
}

func TestDataAllocs(t *testing.T) {
	body := dataBenchBody(20_000, false)
	stuffed := AppendStuffed(nil, body)
	dst := make([]byte, 0, len(stuffed)+64)
	var u Unstuffer
	for _, p := range dataPolicies {
		o := UnstuffOptions{MaxLine: 1000, MaxSize: 1 << 20, Bare: p}
		if a := testing.AllocsPerRun(50, func() {
			u.Reset(o)
			out, _, done := u.Decode(dst, stuffed[:len(stuffed)/3])
			out, _, done = u.Decode(out, stuffed[len(stuffed)/3:])
			if !done || u.Err() != nil {
				t.Fatalf("not done: %v", u.Err())
			}
		}); a != 0 {
			t.Errorf("Decode under %v: %v allocs, want 0", p, a)
		}
	}
	if a := testing.AllocsPerRun(50, func() {
		u.Reset(UnstuffOptions{MaxSize: 10}) // after the error: the discard scan
		u.Decode(dst, stuffed)
	}); a != 0 {
		t.Errorf("Decode after error: %v allocs, want 0", a)
	}
	var s Stuffer
	if a := testing.AllocsPerRun(50, func() {
		s.AppendEnd(s.Append(s.Append(dst, body[:100]), body[100:]))
	}); a != 0 {
		t.Errorf("Stuffer.Append: %v allocs, want 0", a)
	}
	if a := testing.AllocsPerRun(50, func() { AppendStuffed(dst, body) }); a != 0 {
		t.Errorf("AppendStuffed: %v allocs, want 0", a)
	}
}
