package siphash

import "testing"

// TestSipHash24 checks the reference vectors of the SipHash paper (Appendix A and the
// reference implementation's vectors.h): key 00..0f, messages 00..(n-1).
func TestSipHash24(t *testing.T) {
	k0, k1 := uint64(0x0706050403020100), uint64(0x0f0e0d0c0b0a0908)
	msg := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return string(b)
	}
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{15, 0xa129ca6149be45e5},
	} {
		if got := Sum24(k0, k1, msg(tc.n)); got != tc.want {
			t.Errorf("SipHash-2-4 of %d bytes = %#x, want %#x", tc.n, got, tc.want)
		}
	}
}
