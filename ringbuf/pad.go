package ringbuf

import "math/bits"

// cacheLine is the padding unit between fields written by different
// goroutines. 64 bytes is the line size on amd64; on arm64 some cores use
// 128-byte lines or prefetch line pairs, so we pad to 128 everywhere: the cost
// is a few hundred bytes per ring and it removes false sharing on both.
const cacheLine = 128

// roundPow2 returns the smallest power of two >= n, and at least 2.
func roundPow2(n int) int {
	if n < 2 {
		return 2
	}
	return 1 << bits.Len(uint(n-1))
}
