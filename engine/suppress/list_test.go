package suppress

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// newTestList returns a list holding the line-form entries.
func newTestList(t testing.TB, lines ...string) *List {
	t.Helper()
	l := NewList("test")
	for _, line := range lines {
		if _, err := l.Add(mustEntry(t, line)); err != nil {
			t.Fatalf("Add %s: %v", line, err)
		}
	}
	return l
}

func TestCheck(t *testing.T) {
	l := newTestList(t,
		"bob@example.com",
		"postmaster@*",
		"@blocked.example",
		"@*.wild.example",
		"ünïcode@bücher.de",
		sha256Hex("hashed@example.org"),
		md5Hex("md5@example.org"),
	)
	tests := []struct {
		addr string
		want Kind
		hit  bool
	}{
		{"bob@example.com", KindAddress, true},
		{"Bob@EXAMPLE.com", KindAddress, true},
		{"  <bob@example.com>  ", KindAddress, true},
		{"<Bob@Example.Com>", KindAddress, true},
		{"bob@example.co", 0, false},
		{"bobb@example.com", 0, false},
		{"bob@sub.example.com", 0, false},
		{"bob", 0, false},
		{"", 0, false},
		{"<>", 0, false},
		{"@", 0, false},
		{"Postmaster@anywhere.net", KindLocalPart, true},
		{"postmaster", 0, false}, // no '@': not a local part at a domain
		{"x@blocked.example", KindDomain, true},
		{"x@BLOCKED.example", KindDomain, true},
		{"x@sub.blocked.example", 0, false}, // a domain entry is not a wildcard
		{"x@notblocked.example", 0, false},
		{"x@wild.example", 0, false}, // *.wild.example: subdomains only
		{"x@a.wild.example", KindSubdomain, true},
		{"x@a.b.Wild.Example", KindSubdomain, true},
		{"x@notwild.example", 0, false},
		{"x@wild.example.com", 0, false},
		{"ÜNÏCODE@BÜCHER.DE", KindAddress, true},
		{"hashed@example.org", KindSHA256, true},
		{"Hashed@Example.ORG", KindSHA256, true},
		{"<hashed@example.org>", KindSHA256, true},
		{"hashed2@example.org", 0, false},
		{"md5@example.org", KindMD5, true},
		{"MD5@example.org", KindMD5, true},
		{strings.Repeat("a", 300) + "@example.com", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			m, ok := l.Check(tc.addr)
			tcompare(t, "suppressed", ok, tc.hit)
			if ok {
				tcompare(t, "match", m, Match{List: "test", Kind: tc.want})
			}
		})
	}
}

func TestCheckLongAddress(t *testing.T) {
	long := strings.Repeat("x", 300) + "@example.com"
	l := newTestList(t, long)
	if _, ok := l.Check(strings.ToUpper(long)); !ok {
		t.Error("an address longer than the stack buffer did not match")
	}
}

// TestCheckOrder: with several matching entries the cheapest kind is
// reported.
func TestCheckOrder(t *testing.T) {
	l := newTestList(t, "a@b.example", "@b.example", sha256Hex("a@b.example"))
	m, _ := l.Check("a@b.example")
	tcompare(t, "kind", m.Kind, KindAddress)
	_, err := l.Remove(mustEntry(t, "a@b.example"))
	tcheck(t, err, "Remove")
	m, _ = l.Check("a@b.example")
	tcompare(t, "kind after removing the address", m.Kind, KindDomain)
	tcompare(t, "match string", m.String(), "test (domain)")
}

func TestCheckDoesNotAllocate(t *testing.T) {
	l := newTestList(t, "bob@example.com", "postmaster@*", "@blocked.example", "@*.wild.example",
		sha256Hex("hashed@example.org"), md5Hex("md5@example.org"))
	set, err := NewSet([]*List{l}, nil)
	tcheck(t, err, "NewSet")
	long := strings.Repeat("l", 200) + "@Example.com" // beyond the 32-byte stack copy a conversion gets
	for _, addr := range []string{"bob@example.com", "Bob@Example.com", "x@a.b.c.wild.example", "nobody@nowhere.example", long, "md5@example.org"} {
		if n := testing.AllocsPerRun(100, func() { l.Check(addr) }); n != 0 {
			t.Errorf("List.Check(%q): %v allocations", addr, n)
		}
		if n := testing.AllocsPerRun(100, func() { set.Check(addr, nil) }); n != 0 {
			t.Errorf("Set.Check(%q): %v allocations", addr, n)
		}
	}
}

func TestAddRemoveCounts(t *testing.T) {
	l := NewList("n")
	n, err := l.Add(mustEntry(t, "a@x.example"), mustEntry(t, "A@X.example"), mustEntry(t, "@x.example"))
	tcheck(t, err, "Add")
	tcompare(t, "added", n, 2)
	tcompare(t, "Len", l.Len(), 2)
	tcompare(t, "LenKind(address)", l.LenKind(KindAddress), 1)
	tcompare(t, "LenKind(domain)", l.LenKind(KindDomain), 1)
	tcompare(t, "LenKind(out of range)", l.LenKind(kindCount), 0)
	tcompare(t, "Has", l.Has(Entry{KindAddress, "A@x.example"}), true)
	tcompare(t, "Has invalid", l.Has(Entry{KindAddress, "nope"}), false)

	n, err = l.Remove(mustEntry(t, "a@x.example"), mustEntry(t, "b@x.example"))
	tcheck(t, err, "Remove")
	tcompare(t, "removed", n, 1)
	tcompare(t, "Len after Remove", l.Len(), 1)

	_, err = l.Add(mustEntry(t, "c@x.example"), Entry{KindAddress, "bad"})
	var ee *EntryError
	if !errors.As(err, &ee) {
		t.Fatalf("Add with a bad entry: err = %v, want an *EntryError", err)
	}
	tcompare(t, "Len after a failed Add", l.Len(), 1)
}

// TestTiersModel drives a list through random adds and removes of every
// kind, in single changes and in batches large enough to fold every level
// and to rebuild the base, and compares it with a plain map.
func TestTiersModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := NewList("model")
	model := map[Entry]bool{}
	entryOf := func(i int) Entry {
		v := strconv.Itoa(i)
		switch i % 4 {
		case 0:
			return Entry{KindAddress, "u" + v + "@example.com"}
		case 1:
			return Entry{KindDomain, "d" + v + ".example"}
		case 2:
			e, _ := HashedEntry(KindSHA256, "h"+v+"@example.com")
			return e
		default:
			e, _ := HashedEntry(KindMD5, "m"+v+"@example.com")
			return e
		}
	}
	step := func(size, keys int, add bool) {
		var batch []Entry
		pending := map[Entry]bool{}
		for range size {
			e := entryOf(rng.IntN(keys))
			batch = append(batch, e)
			if model[e] != add {
				pending[e] = true
			}
		}
		var n int
		var err error
		if add {
			n, err = l.Add(batch...)
		} else {
			n, err = l.Remove(batch...)
		}
		tcheck(t, err, "change")
		if n != len(pending) {
			t.Fatalf("changed %d, want %d", n, len(pending))
		}
		for e := range pending {
			model[e] = add
		}
	}
	// Single changes over few keys: level 0 folds into level 1 with
	// removals that hide older levels.
	for i := range 3000 {
		step(1, 400, rng.IntN(3) > 0)
		if i%500 == 0 {
			compareModel(t, l, model)
		}
	}
	compareModel(t, l, model)
	// Batches of a few thousand: levels 1 and 2 fold down to the base.
	for range 60 {
		step(4000+rng.IntN(8000), 1_000_000, rng.IntN(5) > 0)
	}
	if s := l.cur.Load(); s.kinds[KindAddress].base == nil || s.kinds[KindSHA256].base == nil {
		t.Fatal("no level folded into the base")
	}
	compareModel(t, l, model)
	for range 500 {
		step(1, 1_000_000, rng.IntN(2) > 0)
	}
	// Batches beyond the last level rebuild the base.
	step(levelMax(levels-1)*4+10, 1_000_000, true)
	step(levelMax(levels-1)*4+10, 1_000_000, false)
	compareModel(t, l, model)
}

func compareModel(t *testing.T, l *List, model map[Entry]bool) {
	t.Helper()
	live := 0
	for e, present := range model {
		if present {
			live++
		}
		if got := l.Has(e); got != present {
			t.Fatalf("Has(%v) = %v, want %v", e, got, present)
		}
	}
	tcompare(t, "Len", l.Len(), live)
	all := 0
	for e := range l.All() {
		all++
		if !model[e] {
			t.Fatalf("All yields %v, which is not on the list", e)
		}
	}
	tcompare(t, "entries from All", all, live)
}

// TestConcurrentCheck runs checks while writers add and remove; run it
// with -race. A permanent entry must match in every snapshot.
func TestConcurrentCheck(t *testing.T) {
	l := newTestList(t, "always@example.com", "@*.always.example")
	var stop atomic.Bool
	var writers, readers sync.WaitGroup
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				e := Entry{KindAddress, "w" + strconv.Itoa(w) + "-" + strconv.Itoa(i%5000) + "@example.com"}
				if i%3 == 2 {
					l.Remove(e)
				} else {
					l.Add(e)
				}
			}
		})
	}
	for range 4 {
		readers.Go(func() {
			for i := range 20000 {
				if _, ok := l.Check("Always@Example.com"); !ok {
					t.Error("a permanent address did not match")
					return
				}
				if _, ok := l.Check("x@y.always.example"); !ok {
					t.Error("a permanent subdomain did not match")
					return
				}
				l.Check("w0-" + strconv.Itoa(i%5000) + "@example.com")
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
	if l.Len() < 2 {
		t.Errorf("Len = %d after the writers", l.Len())
	}
}
