package dns

import (
	"slices"
	"testing"

	mdns "github.com/miekg/dns"
)

// TestOrderMX covers ordering, null MX and the odd MX sets.
func TestOrderMX(t *testing.T) {
	tests := []struct {
		name   string
		mx     []string
		want   []string // host names in order; equal preferences sorted for comparison
		nullMX bool
	}{
		{name: "by preference", mx: []string{"30 c.test.", "10 a.test.", "20 b.test."}, want: []string{"a.test", "b.test", "c.test"}},
		{name: "null MX", mx: []string{"0 ."}, nullMX: true},
		{name: "lone root of another preference", mx: []string{"10 ."}, nullMX: true},
		{name: "root beside a real host", mx: []string{"0 .", "10 a.test."}, want: []string{"a.test"}},
		{name: "repeated host keeps its best preference", mx: []string{"20 a.test.", "10 A.test.", "15 b.test."}, want: []string{"a.test", "b.test"}},
		{name: "invalid exchange dropped", mx: []string{`10 bad\032name.test.`, "20 b.test."}, want: []string{"b.test"}},
		{name: "nothing usable", mx: []string{`10 bad\032name.test.`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rrs []mdns.RR
			for _, s := range tc.mx {
				rrs = append(rrs, rr(t, "z.test. 60 IN MX "+s))
			}
			hosts, nullMX := orderMX(rrs)
			var got []string
			for _, h := range hosts {
				got = append(got, h.Name)
			}
			if nullMX != tc.nullMX || !slices.Equal(got, tc.want) {
				t.Errorf("orderMX = %v, null %v; want %v, null %v", got, nullMX, tc.want, tc.nullMX)
			}
			if !slices.IsSortedFunc(hosts, func(a, b Host) int { return int(a.Pref) - int(b.Pref) }) {
				t.Errorf("not in preference order: %+v", hosts)
			}
		})
	}
}
