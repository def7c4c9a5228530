package smtpwire

import (
	"bytes"
	"testing"
)

// dataFuzzChunks cuts src into chunks whose lengths are the octets of cuts modulo 32 (zero
// length allowed), with whatever is left as the last chunk.
func dataFuzzChunks(src, cuts []byte) [][]byte {
	var chunks [][]byte
	for _, c := range cuts {
		n := min(int(c%32), len(src))
		chunks = append(chunks, src[:n])
		src = src[n:]
	}
	return append(chunks, src)
}

// dataCheckInvariants checks properties every Decode result has, whatever the model says.
func dataCheckInvariants(t *testing.T, src []byte, o UnstuffOptions, r dataResult) {
	t.Helper()
	if !r.done && r.n != len(src) {
		t.Fatalf("not done but consumed %d of %d", r.n, len(src))
	}
	if r.done {
		head := append([]byte("\r\n"), src[:r.n]...)
		if bytes.Index(head, []byte(dataEndLine)) != len(head)-len(dataEndLine) {
			t.Fatalf("done at %d, which is not the first end-of-data line in %q", r.n, src)
		}
	}
	grow := 1 // only BareNormalize adds octets: at most a CR for each octet
	if o.Bare == BareNormalize {
		grow = 2
	}
	if int64(len(r.out)) != r.size || len(r.out) > grow*r.n || o.MaxSize > 0 && r.size > o.MaxSize {
		t.Fatalf("size %d, out %d octets, n %d, MaxSize %d", r.size, len(r.out), r.n, o.MaxSize)
	}
	if r.done && r.err == nil && r.out != "" && r.out[len(r.out)-2:] != "\r\n" {
		t.Fatalf("message %q does not end with CRLF", r.out)
	}
	out := []byte(r.out)
	if o.Bare != BareAllow {
		if r.err == ErrDataLineTooLong || r.err == ErrMessageTooBig {
			out = bytes.TrimSuffix(out, dataCR) // output may stop inside a CRLF
		}
		if c := bytes.Count(out, dataCRLF); c != bytes.Count(out, dataCR) || c != bytes.Count(out, dataLF) {
			t.Fatalf("%v: bare CR or LF in output %q", o.Bare, out)
		}
	}
	if o.MaxLine > 0 {
		for line := range bytes.Lines(out) {
			if len(line) > o.MaxLine {
				t.Fatalf("line %q over MaxLine %d", line, o.MaxLine)
			}
		}
	}
}

// FuzzUnstuff checks that decoding arbitrary input in arbitrary chunks gives the same result
// (output, consumed octets, done, error, size) as decoding it whole and as the reference model
// dataRef, under every policy, and that the result has the invariants above.
func FuzzUnstuff(f *testing.F) {
	for _, tc := range dataCases {
		f.Add([]byte(tc.in), []byte{3, 1}, uint8(0), uint8(0))
	}
	for _, tc := range dataLimitCases {
		f.Add([]byte(tc.in), []byte{2, 0, 5}, uint8(tc.o.MaxLine), uint8(tc.o.MaxSize))
	}
	for _, msg := range dataTricky {
		f.Add(AppendStuffed(nil, []byte(msg)), []byte{1, 1, 1, 1}, uint8(4), uint8(9))
	}
	f.Fuzz(func(t *testing.T, src, cuts []byte, maxLine, maxSize uint8) {
		for _, p := range dataPolicies {
			o := UnstuffOptions{MaxLine: int(maxLine), MaxSize: int64(maxSize), Bare: p}
			whole := dataDecodeChunks(t, o, [][]byte{src})
			if chunked := dataDecodeChunks(t, o, dataFuzzChunks(src, cuts)); chunked != whole {
				t.Fatalf("%v: chunked %v\nwhole %v", p, chunked, whole)
			}
			if ref := dataRef(src, o); ref != whole {
				t.Fatalf("%v: Decode %v\nreference %v", p, whole, ref)
			}
			dataCheckInvariants(t, src, o, whole)
			if p == BareAllow && whole.done && whole.err == nil { // the message is a fixed point
				dataStuffedRoundTrip(t, []byte(whole.out), [][]byte{AppendStuffed(nil, []byte(whole.out))})
			}
		}
	})
}

// FuzzStuffRoundTrip checks that for any message x, stuffing it (whole, or in chunks through a
// Stuffer, which must agree) and decoding the stream in chunks consumes the whole stream and
// gives x back, with CRLF appended when x is not empty and does not end with CRLF: under
// BareAllow always, and under every policy when x has only CRLF line endings.
func FuzzStuffRoundTrip(f *testing.F) {
	for _, msg := range dataTricky {
		f.Add([]byte(msg), []byte{2, 3})
	}
	for _, tc := range dataCases {
		f.Add([]byte(tc.in), []byte{1, 0, 4})
	}
	f.Fuzz(func(t *testing.T, msg, cuts []byte) {
		stuffed := AppendStuffed(nil, msg)
		var s Stuffer
		var chunked []byte
		for _, c := range dataFuzzChunks(msg, cuts) {
			chunked = s.Append(chunked, c)
		}
		if chunked = s.AppendEnd(chunked); !bytes.Equal(chunked, stuffed) {
			t.Fatalf("Stuffer in chunks = %q, AppendStuffed = %q", chunked, stuffed)
		}
		dataStuffedRoundTrip(t, msg, dataFuzzChunks(stuffed, cuts))
	})
}
