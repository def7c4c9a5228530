// Package siphash is SipHash-2-4, the keyed hash accounting privacy
// policies and `volley digest` use. The standard library has none, and a
// leaf takes no third-party code for forty lines.
package siphash

import "math/bits"

// Sum24 is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012)
// of m under the key (k0, k1).
func Sum24(k0, k1 uint64, m string) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13) ^ v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16) ^ v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21) ^ v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17) ^ v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(m)
	for ; len(m) >= 8; m = m[8:] {
		var w uint64
		for i := 7; i >= 0; i-- {
			w = w<<8 | uint64(m[i])
		}
		v3 ^= w
		round()
		round()
		v0 ^= w
	}
	last := uint64(n&0xff) << 56
	for i := len(m) - 1; i >= 0; i-- {
		last |= uint64(m[i]) << (8 * uint(i))
	}
	v3 ^= last
	round()
	round()
	v0 ^= last
	v2 ^= 0xff
	for range 4 {
		round()
	}
	return v0 ^ v1 ^ v2 ^ v3
}
