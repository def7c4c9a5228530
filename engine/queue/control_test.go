package queue

import (
	"testing"
	"time"

	"github.com/volleymta/volley/spool"
)

// TestScheduleAndRemove covers the operator's controls: schedule makes
// waiting recipients due in due order, Remove takes out exactly the
// matches from both lists and keeps the rest in order.
func TestScheduleAndRemove(t *testing.T) {
	tb := NewTable()
	now := time.Now()
	k := Key{Domain: "example.com", VMTA: "v"}
	for i := range 6 {
		r := Ready{ID: spool.ID{byte(i)}, Key: k, Addr: "a@example.com", Body: []byte("x")}
		if i >= 3 { // waiting, due later in reverse order
			r.Next = now.Add(time.Duration(10-i) * time.Hour)
		}
		tb.Add(r)
	}
	q := tb.Queue(k)
	if q.Ready() != 3 || q.Len() != 6 {
		t.Fatalf("ready %d len %d, want 3 and 6", q.Ready(), q.Len())
	}
	if n := q.Schedule(); n != 3 || q.Ready() != 6 || !q.NextDue().IsZero() {
		t.Fatalf("Schedule moved %d; ready %d, next due %v", n, q.Ready(), q.NextDue())
	}
	var order []byte
	for _, e := range q.ready.items() {
		order = append(order, e.ID[0])
	}
	if string(order) != "\x00\x01\x02\x05\x04\x03" {
		t.Fatalf("ready order %v, want 0 1 2 then by due time 5 4 3", order)
	}
	// Two waiting again, then remove the even IDs from both lists.
	for _, e := range q.TakeFirst(nil, 2) {
		e.Next = now.Add(time.Hour)
		q.Defer(e)
	}
	got := q.Remove(nil, func(e *Entry) bool { return e.ID[0]%2 == 0 })
	if len(got) != 3 {
		t.Fatalf("removed %d, want 3 (IDs 0, 2, 4)", len(got))
	}
	if q.Len() != 3 || q.Ready() != 2 || len(q.later) != 1 || q.later[0].ID[0] != 1 {
		t.Fatalf("after Remove: len %d ready %d later %v", q.Len(), q.Ready(), q.later)
	}
	if r := q.ready.items(); r[0].ID[0] != 5 || r[1].ID[0] != 3 {
		t.Fatalf("ready order after Remove: %d %d, want 5 3", r[0].ID[0], r[1].ID[0])
	}
	if tb.HotBytes() != 2 {
		t.Fatalf("hot bytes %d, want the 2 ready bodies", tb.HotBytes())
	}
	n := 0
	tb.Each(func(*Queue) { n++ })
	if n != 1 {
		t.Fatalf("Each saw %d queues", n)
	}
}
