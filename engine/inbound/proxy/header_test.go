package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

// parseCase is one table row shared by the v1 and v2 tests. Exactly one of
// want and err is meaningful: err "" means success.
type parseCase struct {
	name string
	in   string
	want Header
	n    int    // bytes consumed on success; 0 means len(in) minus the SMTP tail "EHLO"
	err  string // exact error text, or "" for success
}

// smtpTail follows every valid header in the tables, so each case also checks
// that n stops at the header's end.
const smtpTail = "EHLO x\r\n"

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if tc.err == "" {
				in += smtpTail
			}
			h, n, err := Parse([]byte(in))
			if tc.err != "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, %d, nil; want error %q", in, h, n, tc.err)
				}
				if err.Error() != tc.err {
					t.Fatalf("Parse(%q) error %q, want %q", in, err, tc.err)
				}
				return
			}
			tcheck(t, err, "Parse")
			if n != len(tc.in) {
				t.Fatalf("n = %d, want %d", n, len(tc.in))
			}
			tcompare(t, h, tc.want)
			if got := in[n:]; got != smtpTail {
				t.Fatalf("stream after header = %q, want %q", got, smtpTail)
			}
		})
	}
}

// TestSplitPoints feeds every valid header of the tables one prefix at a
// time, as an event loop would: every proper prefix is ErrNeedMore, and the
// whole header parses.
func TestSplitPoints(t *testing.T) {
	var all []parseCase
	all = append(all, v1Cases...)
	all = append(all, v2Cases...)
	for _, tc := range all {
		if tc.err != "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for i := 0; i < len(in); i++ {
				if _, _, err := Parse(in[:i]); !errors.Is(err, ErrNeedMore) {
					t.Fatalf("prefix %d/%d %q: err %v, want ErrNeedMore", i, len(in), in[:i], err)
				}
			}
			h, n, err := Parse(in)
			tcheck(t, err, "Parse whole")
			if n != len(in) {
				t.Fatalf("n = %d, want %d", n, len(in))
			}
			tcompare(t, h, tc.want)
		})
	}
}

// TestChunked grows a buffer by chunks of every size, the way bytes arrive
// from the reactor, and checks the header and the stream after it.
func TestChunked(t *testing.T) {
	in := []byte(v2TLVHeader + smtpTail)
	for chunk := 1; chunk <= len(in); chunk++ {
		var buf []byte
		var h Header
		n := -1
		for off := 0; off < len(in) && n < 0; off += chunk {
			buf = append(buf, in[off:min(off+chunk, len(in))]...)
			var err error
			h, n, err = Parse(buf)
			if errors.Is(err, ErrNeedMore) {
				n = -1
				continue
			}
			tcheck(t, err, fmt.Sprintf("chunk %d", chunk))
		}
		if n != len(v2TLVHeader) || h.Source != netip.MustParseAddrPort("192.0.2.1:25000") || len(h.TLVs) != 2 {
			t.Fatalf("chunk %d: n %d header %+v", chunk, n, h)
		}
	}
}

func TestNotProxy(t *testing.T) {
	for _, in := range []string{"EHLO x\r\n", "P\r\n", "PROXX", "proxy TCP4", "\r\n\r\n\x00\r\nQUIX", "\n", "\x00", "\rX"} {
		if _, _, err := Parse([]byte(in)); !errors.Is(err, ErrNotProxy) {
			t.Errorf("Parse(%q) err %v, want ErrNotProxy", in, err)
		}
	}
	if _, _, err := Parse(nil); !errors.Is(err, ErrNeedMore) {
		t.Errorf("Parse(nil) err %v, want ErrNeedMore", err)
	}
}

// TestNoAlias checks that TLV values are copies: scribbling over the input
// after Parse leaves the header alone.
func TestNoAlias(t *testing.T) {
	in := []byte(v2TLVHeader)
	h, _, err := Parse(in)
	tcheck(t, err, "Parse")
	for i := range in {
		in[i] = 0xee
	}
	if string(h.TLVs[0].Value) != "smtp" || string(h.TLVs[1].Value) != "mx.example" {
		t.Fatalf("TLVs changed with the input: %+v", h.TLVs)
	}
}

// TestAllocs checks the shard-path promise: no allocation for headers
// without TLVs, nor for ErrNeedMore or ErrNotProxy; TLVs cost two.
func TestAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  float64
	}{
		{"v1 TCP4", "PROXY TCP4 192.168.100.200 10.0.0.1 56324 25\r\n", 0},
		{"v1 TCP6", "PROXY TCP6 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 2001:db8::1 65535 25\r\n", 0},
		{"v1 TCP6 v4-in-v6", "PROXY TCP6 ::ffff:192.168.100.200 ::1 1 2\r\n", 0},
		{"v1 UNKNOWN", "PROXY UNKNOWN\r\n", 0},
		{"v2 INET", v2Inet, 0},
		{"v2 INET6", v2Inet6, 0},
		{"v2 LOCAL", v2Local, 0},
		{"need more", "PROXY TCP4 1.2.3.4", 0},
		{"need more v2", v2Inet[:20], 0},
		{"not proxy", "EHLO x\r\n", 0},
		{"v2 TLVs", v2TLVHeader, 2},
	} {
		in := []byte(tc.in)
		got := testing.AllocsPerRun(200, func() { _, _, _ = Parse(in) })
		if got > tc.max {
			t.Errorf("%s: %v allocs per Parse, want <= %v", tc.name, got, tc.max)
		}
	}
}

func TestCommandString(t *testing.T) {
	for c, want := range map[Command]string{Local: "LOCAL", Proxy: "PROXY", commandCount: "Command(?)"} {
		if c.String() != want {
			t.Errorf("Command(%d).String() = %q, want %q", c, c.String(), want)
		}
	}
	if len(commandNames) != int(commandCount) {
		t.Errorf("commandNames has %d rows, want %d", len(commandNames), commandCount)
	}
}

func tcheck(t *testing.T, err error, msg string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

func tcompare(t *testing.T, got, want Header) {
	t.Helper()
	if !equalHeader(got, want) {
		t.Fatalf("got header %s\nwant        %s", fmtHeader(got), fmtHeader(want))
	}
}

func equalHeader(a, b Header) bool {
	if a.Version != b.Version || a.Command != b.Command || a.Source != b.Source || a.Dest != b.Dest || len(a.TLVs) != len(b.TLVs) {
		return false
	}
	for i := range a.TLVs {
		if a.TLVs[i].Type != b.TLVs[i].Type || !bytes.Equal(a.TLVs[i].Value, b.TLVs[i].Value) {
			return false
		}
	}
	return true
}

func fmtHeader(h Header) string {
	s := fmt.Sprintf("{v%d %s %s -> %s", h.Version, h.Command, h.Source, h.Dest)
	for _, t := range h.TLVs {
		s += fmt.Sprintf(" tlv(0x%02x %q)", t.Type, t.Value)
	}
	return s + "}"
}
