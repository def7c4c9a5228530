package queue

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/volleymta/volley/spool"
)

func idOf(n int) spool.ID {
	var id spool.ID
	binary.BigEndian.PutUint64(id[:], uint64(n)+1)
	return id
}

// TestTakeKeepsOrder: a take picks the head message's recipients out of an
// interleaved ready list and leaves the others in order; Return puts
// them back first, also into the space the takes freed.
func TestTakeKeepsOrder(t *testing.T) {
	tb := NewTable()
	k := Key{Domain: "example.com"}
	// Messages 0 1 0 2 0 1 (by ID), one recipient each time.
	for i, m := range []int{0, 1, 0, 2, 0, 1} {
		tb.Add(Ready{ID: idOf(m), Index: uint16(i), Key: k, Addr: fmt.Sprintf("r%d@example.com", i)})
	}
	q := tb.Queue(k)
	indexes := func(es []Entry) (s []uint16) {
		for _, e := range es {
			s = append(s, e.Index)
		}
		return s
	}
	if got := indexes(q.Take(nil, 0)); fmt.Sprint(got) != "[0 2 4]" {
		t.Fatalf("first take %v, want message 0's recipients [0 2 4]", got)
	}
	if got := indexes(q.ready.items()); fmt.Sprint(got) != "[1 3 5]" {
		t.Fatalf("left %v, want [1 3 5] in order", got)
	}
	tx := q.Take(nil, 1)
	if got := indexes(tx); fmt.Sprint(got) != "[1]" {
		t.Fatalf("take of 1: %v", got)
	}
	q.Return(tx)
	if got := indexes(q.ready.items()); fmt.Sprint(got) != "[1 3 5]" {
		t.Fatalf("after Return %v, want [1 3 5]", got)
	}
	if q.Ready() != 3 || q.InFlight != 3 {
		t.Fatalf("ready %d, in flight %d", q.Ready(), q.InFlight)
	}
}

// TestDeepBacklog drains 100,000 recipients through Take, TakeFirst and
// Return in a pattern that exercises compaction, and checks every one
// comes out once, in order.
func TestDeepBacklog(t *testing.T) {
	tb := NewTable()
	k := Key{Domain: "example.com"}
	const n = 100_000
	for i := range n {
		tb.Add(Ready{ID: idOf(i), Key: k, Addr: "r@example.com"})
	}
	q := tb.Queue(k)
	want := make([]spool.ID, 0, n+n/1000)
	for i := range n {
		want = append(want, idOf(i))
	}
	took := 0
	for q.Ready() > 0 {
		var tx []Entry
		if took%7 == 0 {
			tx = q.TakeFirst(nil, 3)
			q.Return(tx[1:]) // one goes, the rest come back first
			tx = tx[:1]
		} else {
			tx = q.Take(nil, 0)
		}
		for _, e := range tx {
			if e.ID != want[took] {
				t.Fatalf("take %d: got message %x, want %x", took, e.ID, want[took])
			}
			took++
			if took%1000 == 0 && len(want) < n+n/1000 { // arrivals meanwhile, at the tail
				id := idOf(n + took)
				want = append(want, id)
				tb.Add(Ready{ID: id, Key: k, Addr: "r@example.com"})
			}
		}
	}
	if took != len(want) || q.InFlight != took {
		t.Fatalf("took %d (want %d), in flight %d", took, len(want), q.InFlight)
	}
}

// BenchmarkTakeDeep is one take from a queue 100,000 deep: its cost must
// not follow the depth.
func BenchmarkTakeDeep(b *testing.B) {
	tb := NewTable()
	k := Key{Domain: "example.com"}
	for i := range 100_000 {
		tb.Add(Ready{ID: idOf(i), Key: k, Addr: "r@example.com"})
	}
	q := tb.Queue(k)
	dst := make([]Entry, 0, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = q.Take(dst[:0], 0)
		q.Settle()
		tb.Add(Ready{ID: idOf(100_000 + i), Key: k, Addr: "r@example.com"})
	}
}
