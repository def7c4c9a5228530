package proxy

import (
	"errors"
	"testing"
)

// FuzzParse checks, beyond not panicking: n is within the input; the bytes
// before n alone parse to the same header and every shorter prefix of them
// is ErrNeedMore; encoding the header again (same version) and parsing that
// gives the same header, with the same prefix property. Short inputs also
// cross-check the v1 address parsers against netip.ParseAddr.
func FuzzParse(f *testing.F) {
	for _, tc := range append(append([]parseCase{}, v1Cases...), v2Cases...) {
		f.Add([]byte(tc.in))
		f.Add([]byte(tc.in + smtpTail))
	}
	for _, s := range addrSeeds {
		f.Add([]byte(s))
		f.Add([]byte("PROXY TCP6 " + s + " ::1 1 2\r\n"))
		f.Add([]byte("PROXY TCP4 " + s + " 1.2.3.4 1 2\r\n"))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) <= 64 {
			checkAddrParsers(t, string(b))
		}
		h, n, err := Parse(b)
		if err != nil {
			if n != 0 || !equalHeader(h, Header{}) {
				t.Fatalf("error %v with n %d header %s", err, n, fmtHeader(h))
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n = %d for %d bytes", n, len(b))
		}
		if h.Version != 1 && h.Version != 2 {
			t.Fatalf("version %d", h.Version)
		}
		if h.Source.IsValid() != h.Dest.IsValid() || (h.Source.IsValid() && h.Command != Proxy) {
			t.Fatalf("inconsistent header %s", fmtHeader(h))
		}
		checkHeaderBytes(t, b[:n], h)
		enc := Append(nil, h, h.Version == 2)
		checkHeaderBytes(t, enc, h)
	})
}

// checkHeaderBytes asserts that hdr, exactly one header, parses to want and
// that each proper prefix of it is ErrNeedMore.
func checkHeaderBytes(t *testing.T, hdr []byte, want Header) {
	t.Helper()
	h, n, err := Parse(hdr)
	if err != nil || n != len(hdr) || !equalHeader(h, want) {
		t.Fatalf("Parse(%q) = %s, %d, %v; want %s, %d", hdr, fmtHeader(h), n, err, fmtHeader(want), len(hdr))
	}
	step := 1
	if len(hdr) > 512 {
		step = len(hdr)/256 + 1
	}
	for i := 0; i < len(hdr); i += step {
		if _, _, err := Parse(hdr[:i]); !errors.Is(err, ErrNeedMore) {
			t.Fatalf("prefix %d of %q: err %v, want ErrNeedMore", i, hdr, err)
		}
	}
	if _, _, err := Parse(hdr[:len(hdr)-1]); !errors.Is(err, ErrNeedMore) {
		t.Fatalf("all but the last byte of %q: err %v, want ErrNeedMore", hdr, err)
	}
}
