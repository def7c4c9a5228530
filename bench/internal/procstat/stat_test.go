package procstat

import (
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       int64 // ticks
		ok         bool
	}{
		{"spaced name", "17045 (volley d) S 1 17045 1 0 -1 4194560 3521 0 0 0 16 1972 0 0 20 0 9 0 1 2007228416 31110\n", 1988, true},
		{"paren in name", "7 (a) b) R 1 7 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0\n", 7, true},
		{"no name", "7 a R 1\n", 0, false},
		{"short", "7 (a) R 1 7 1 0\n", 0, false},
		{"bad time", "7 (a) R 1 7 1 0 -1 0 0 0 0 0 x 4 0 0\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseStatCPU([]byte(tc.stat))
			if (err == nil) != tc.ok || (tc.ok && d != ClockTick*time.Duration(tc.want)) {
				t.Errorf("ParseStatCPU = %v, %v; want %v ticks, ok %v", d, err, tc.want, tc.ok)
			}
		})
	}
}
