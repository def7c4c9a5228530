package suppress

import (
	"strconv"
	"testing"
)

func TestFrozen(t *testing.T) {
	var empty *frozen
	tcompare(t, "nil has", empty.has([]byte("x")), false)
	f := newFrozen(0, 0).merge(map[string]bool{"a": true, "b": true, "gone": false}, 0, 0)
	// Each step adds k<i> and, on odd steps, removes k<i-1> again.
	for i := range 102 {
		f = f.merge(map[string]bool{"k" + strconv.Itoa(i): true, "k" + strconv.Itoa(i-1): i%2 == 0}, 0, 0)
	}
	for _, k := range []string{"a", "b", "k1", "k99", "k101"} {
		if !f.has([]byte(k)) {
			t.Errorf("has(%s) = false", k)
		}
	}
	for _, k := range []string{"gone", "k0", "k100", "", "k1000"} {
		if f.has([]byte(k)) {
			t.Errorf("has(%q) = true", k)
		}
	}
	seen := 0
	f.each(func(k []byte) {
		if !f.has(k) {
			t.Errorf("each yields %q, which has denies", k)
		}
		seen++
	})
	tcompare(t, "keys", seen, f.n)
	if f.n*maxLoadDen > len(f.slots)*maxLoadNum {
		t.Errorf("load %d/%d above the bound", f.n, len(f.slots))
	}
}
