package suppress

import (
	"slices"
	"testing"
)

func TestSet(t *testing.T) {
	runtime := newTestList(t, "bounced@example.com")
	runtime.name = "runtime"
	a := newTestList(t, "@a.example", "shared@example.com")
	a.name = "a"
	b := newTestList(t, "@b.example", "shared@example.com")
	b.name = "b"
	set, err := NewSet([]*List{runtime}, []*List{a, b})
	tcheck(t, err, "NewSet")

	tests := []struct {
		addr     string
		names    []string
		wantList string // "" for not suppressed
	}{
		{"bounced@example.com", nil, "runtime"}, // global lists apply to every source
		{"bounced@example.com", []string{"a"}, "runtime"},
		{"x@a.example", nil, ""}, // named lists only where named
		{"x@a.example", []string{"a"}, "a"},
		{"x@a.example", []string{"b"}, ""},
		{"x@b.example", []string{"a", "b"}, "b"},
		{"shared@example.com", []string{"b", "a"}, "a"}, // NewSet's order, not the names'
		{"x@a.example", []string{"nope"}, ""},
	}
	for _, tc := range tests {
		m, ok := set.Check(tc.addr, tc.names)
		tcompare(t, tc.addr+" suppressed", ok, tc.wantList != "")
		tcompare(t, tc.addr+" list", m.List, tc.wantList)
	}
	if m, ok := set.CheckAll("X@B.example"); !ok || m.List != "b" {
		t.Errorf("CheckAll = %v, %v; want list b", m, ok)
	}
	if _, ok := set.CheckAll("nobody@example.com"); ok {
		t.Error("CheckAll matched an address on no list")
	}
	tcompare(t, "List(b)", set.List("b"), b)
	tcompare(t, "List(nope)", set.List("nope"), (*List)(nil))
	tcompare(t, "Lists", len(set.Lists()), 3)
	if got := set.Unknown([]string{"a", "nope", "runtime"}); !slices.Equal(got, []string{"nope"}) {
		t.Errorf("Unknown = %v", got)
	}

	// Lists change under a Set.
	_, err = a.Add(mustEntry(t, "late@example.com"))
	tcheck(t, err, "Add")
	if _, ok := set.Check("late@example.com", []string{"a"}); !ok {
		t.Error("an entry added after NewSet did not match")
	}

	if _, err := NewSet([]*List{a}, []*List{NewList("a")}); err == nil {
		t.Error("NewSet accepted two lists of one name")
	}
}
