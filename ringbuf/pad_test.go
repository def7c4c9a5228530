package ringbuf

import "testing"

func TestRoundPow2(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 2}, {1, 2}, {2, 2}, {3, 4}, {8, 8}, {9, 16}, {1000, 1024}} {
		if got := roundPow2(tc.in); got != tc.want {
			t.Errorf("roundPow2(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
