package queue

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/spool"
)

func TestKeyFor(t *testing.T) {
	for _, c := range []struct{ addr, vmta, want string }{
		{"a@Example.COM", "", "example.com/"},
		{"a@b@x.org", "v1", "x.org/v1"},
		{"postmaster", "v1", "/v1"},
	} {
		if got := KeyFor(c.addr, c.vmta).String(); got != c.want {
			t.Errorf("KeyFor(%q, %q) = %q, want %q", c.addr, c.vmta, got, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = KeyFor("user@example.com", "v") }); n != 0 {
		t.Errorf("KeyFor of a lower-case domain: %v allocs, want 0", n)
	}
}

// TestOwnerSpreads checks that owners are stable, in range, and that a
// realistic set of domains lands on every shard.
func TestOwnerSpreads(t *testing.T) {
	const shards = 4
	seen := make([]int, shards)
	for i := 0; i < 1000; i++ {
		k := Key{Domain: fmt.Sprintf("d%d.example", i), VMTA: "v"}
		o := Owner(k, shards)
		if o < 0 || o >= shards {
			t.Fatalf("Owner out of range: %d", o)
		}
		if Owner(k, shards) != o {
			t.Fatal("Owner is not stable")
		}
		seen[o]++
	}
	for i, n := range seen {
		if n < 150 {
			t.Errorf("shard %d owns %d of 1000 queues: the hash does not spread", i, n)
		}
	}
	if Owner(Key{Domain: "x"}, 1) != 0 || Owner(Key{Domain: "x"}, 0) != 0 {
		t.Error("one shard must own everything")
	}
}

// loops stands in for the shards' loops: each inbox's posted drains queue up
// here and run on the goroutine that calls run, as they would on the owner.
type loops struct{ posted chan func() }

func (l *loops) post(fn func()) error { l.posted <- fn; return nil }

func (l *loops) runPending() {
	for {
		select {
		case fn := <-l.posted:
			fn()
		default:
			return
		}
	}
}

func message(domains ...string) *spool.Message {
	m := &spool.Message{VMTA: "v"}
	for i, d := range domains {
		m.Recipients = append(m.Recipients, spool.Recipient{Index: uint16(i), Addr: fmt.Sprintf("r%d@%s", i, d)})
	}
	return m
}

// domainsOwnedBy returns n domains whose queue (vMTA "v") shard owner owns.
func domainsOwnedBy(owner, shards, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		d := fmt.Sprintf("d%d.example", i)
		if Owner(Key{Domain: d, VMTA: "v"}, shards) == owner {
			out = append(out, d)
		}
	}
	return out
}

// TestRouterHandsOffAndBacklogs routes from shard 0: its own recipients go
// straight into its table, shard 1's through a ring too small for them, so
// the rest wait in the backlog until Flush finds room. Every recipient ends
// up queued exactly once, on its owner.
func TestRouterHandsOffAndBacklogs(t *testing.T) {
	l := &loops{posted: make(chan func(), 16)}
	tables := []*Table{NewTable(), NewTable()}
	inboxes := []*Inbox{NewInbox(2, l.post, tables[0]), NewInbox(2, l.post, tables[1])}
	rt := NewRouter(inboxes, 0)

	mine, theirs := domainsOwnedBy(0, 2, 3), domainsOwnedBy(1, 2, 7)
	var id spool.ID
	id[0] = 1
	rt.Route(id, message(append(mine, theirs...)...), nil)
	if tables[0].Len() != 3 {
		t.Fatalf("own table holds %d, want 3 (added directly)", tables[0].Len())
	}
	if rt.Pending() != 5 {
		t.Fatalf("pending %d, want 5 (ring of 2 took 2 of 7)", rt.Pending())
	}
	for i := 0; i < 10 && (rt.Pending() > 0 || len(l.posted) > 0); i++ {
		l.runPending()
		rt.Flush()
	}
	l.runPending()
	if rt.Pending() != 0 || tables[1].Len() != 7 {
		t.Fatalf("after flushing: pending %d, shard 1 holds %d; want 0 and 7", rt.Pending(), tables[1].Len())
	}
	for _, d := range theirs {
		q := tables[1].Queue(Key{Domain: d, VMTA: "v"})
		if q == nil || q.Len() != 1 || q.Head().ID != id {
			t.Errorf("queue %s/v on shard 1: %+v", d, q)
		}
	}
	// Indexes survive the trip and stay in order within a queue.
	idx := map[uint16]bool{}
	for _, s := range append(tables[0].Summaries(), tables[1].Summaries()...) {
		q := tables[Owner(s.Key, 2)].Queue(s.Key)
		for _, e := range q.Take(nil, 0) {
			if idx[e.Index] {
				t.Errorf("recipient %d queued twice", e.Index)
			}
			idx[e.Index] = true
		}
	}
	if len(idx) != 10 {
		t.Errorf("%d distinct recipients queued, want 10", len(idx))
	}
}

// TestInboxManyProducers routes from several goroutines at once into two
// owners whose drains run on their own goroutines (the race detector
// watches): every recipient arrives exactly once.
func TestInboxManyProducers(t *testing.T) {
	const producers, msgs, shards = 4, 2000, 2
	owners := make([]*loops, shards)
	tables := make([]*Table, shards)
	inboxes := make([]*Inbox, shards)
	for i := range owners {
		owners[i] = &loops{posted: make(chan func(), 1)}
		tables[i] = NewTable()
		inboxes[i] = NewInbox(64, owners[i].post, tables[i])
	}
	stop := make(chan struct{})
	var consumers sync.WaitGroup
	for i := range owners {
		consumers.Add(1)
		go func(l *loops) {
			defer consumers.Done()
			for {
				select {
				case fn := <-l.posted:
					fn()
				case <-stop:
					l.runPending()
					return
				}
			}
		}(owners[i])
	}
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			rt := NewRouter(inboxes, -1)
			for i := 0; i < msgs; i++ {
				var id spool.ID
				id[0], id[1], id[2] = byte(p), byte(i>>8), byte(i)
				rt.Route(id, message(fmt.Sprintf("a%d.example", i%7), fmt.Sprintf("b%d.example", i%11)), nil)
				for rt.Pending() > 0 {
					rt.Flush()
				}
			}
		}(p)
	}
	wg.Wait()
	// Let the owners drain what is left, then stop them.
	for {
		total := 0
		done := make(chan int, shards)
		for i := range owners {
			i := i
			owners[i].posted <- func() { done <- tables[i].Len() }
		}
		for range owners {
			total += <-done
		}
		if total == producers*msgs*2 {
			break
		}
		for i := range inboxes {
			inboxes[i].waker.Wake()
		}
	}
	close(stop)
	consumers.Wait()
	for i, tb := range tables {
		for _, s := range tb.Summaries() {
			if Owner(s.Key, shards) != i {
				t.Errorf("queue %s on shard %d, owner is %d", s.Key, i, Owner(s.Key, shards))
			}
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	l := &loops{posted: make(chan func(), 1)}
	tables := []*Table{NewTable(), NewTable()}
	inboxes := []*Inbox{NewInbox(1<<16, l.post, tables[0]), NewInbox(1<<16, l.post, tables[1])}
	rt := NewRouter(inboxes, -1)
	m := message("gmail.com", "yahoo.com")
	var id spool.ID
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rt.Route(id, m, nil)
		if i%1024 == 1023 {
			l.runPending()
			inboxes[0].drain()
			inboxes[1].drain()
			// Keep the tables from growing through the whole run.
			tables[0], tables[1] = NewTable(), NewTable()
			inboxes[0].table, inboxes[1].table = tables[0], tables[1]
		}
	}
}

// TestQueueTakeDeferDue: Take gives one message's due recipients (up to
// max) as one transaction; Defer puts a recipient back for later; Due
// promotes it when its time comes and says when the next one is due.
func TestQueueTakeDeferDue(t *testing.T) {
	tb := NewTable()
	added := 0
	tb.OnAdd = func(*Queue) { added++ }
	k := Key{Domain: "example.com", VMTA: "v"}
	var m1, m2 spool.ID
	m1[0], m2[0] = 1, 2
	for i, id := range []spool.ID{m1, m2, m1, m1} {
		tb.Add(Ready{ID: id, Index: uint16(i), Key: k, Addr: fmt.Sprintf("r%d@example.com", i)})
	}
	q := tb.Queue(k)
	if added != 4 || q.Ready() != 4 {
		t.Fatalf("added %d, ready %d", added, q.Ready())
	}
	tx := q.Take(nil, 2)
	if len(tx) != 2 || tx[0].ID != m1 || tx[1].ID != m1 || tx[0].Index != 0 || tx[1].Index != 2 {
		t.Fatalf("first transaction %+v, want m1's recipients 0 and 2", tx)
	}
	if q.InFlight != 2 || q.Len() != 4 {
		t.Fatalf("in flight %d, len %d", q.InFlight, q.Len())
	}
	next := q.Take(nil, 0)
	if len(next) != 1 || next[0].ID != m2 {
		t.Fatalf("second transaction %+v, want m2 (the oldest due)", next)
	}
	now := time.Now()
	tx[0].Next = now.Add(time.Minute)
	q.Defer(tx[0])
	q.Settle()
	var seen []*Queue
	due := tb.Due(now, func(q *Queue) { seen = append(seen, q) })
	// The wheel wakes within one tick before the recipient is due, and
	// reports no queue yet: none is due.
	if at := now.Add(time.Minute); due.After(at) || at.Sub(due) > wheelTick || len(seen) != 0 || q.Ready() != 1 {
		t.Fatalf("Due: next %v (want just before %v), %d queues due, %d recipients ready", due, at, len(seen), q.Ready())
	}
	tb.Due(now.Add(time.Minute), func(q *Queue) { seen = append(seen, q) })
	if q.Ready() != 2 || len(seen) != 1 || !tb.Due(now.Add(time.Hour), func(*Queue) {}).IsZero() {
		t.Fatalf("deferred recipient not promoted when due: ready %d, %d queues reported", q.Ready(), len(seen))
	}
}

// TestWheel: queues are woken in due order, far ones after their turns
// (beyond one rotation); a queue woken a little early, or with a second
// recipient due a moment later in the same tick, is woken again in the
// next tick; a long sleep sweeps every slot once; a table with nothing
// waiting asks for no wake-up.
func TestWheel(t *testing.T) {
	tb := NewTable()
	now := time.Now()
	var id spool.ID
	due := map[string]time.Duration{"a.test": 3 * time.Second, "b.test": time.Second, "far.test": 2 * wheelSlots * wheelTick}
	for d, after := range due {
		tb.Add(Ready{ID: id, Key: Key{Domain: d}, Addr: "r@" + d, Next: now.Add(after)})
	}
	var order []string
	for step := now; step.Before(now.Add(3 * wheelSlots * wheelTick)); step = step.Add(wheelTick) {
		tb.Due(step, func(q *Queue) {
			if q.Ready() > 0 {
				order = append(order, q.Key.Domain)
				q.Take(nil, 0)
				q.Settle()
			}
		})
	}
	if len(order) != 3 || order[0] != "b.test" || order[1] != "a.test" || order[2] != "far.test" {
		t.Fatalf("woken in order %v", order)
	}
	if !tb.Due(now.Add(time.Hour), func(*Queue) {}).IsZero() {
		t.Fatal("an empty wheel asks for a wake-up")
	}

	// Two recipients 2 ms apart, woken between them: the second is filed
	// again during the sweep and must come in the next tick, not a turn later.
	base := now.Add(2 * time.Hour).Truncate(wheelTick).Add(10 * time.Millisecond) // after the sweeps above
	k := Key{Domain: "pair.test"}
	tb.Add(Ready{ID: id, Key: k, Addr: "one@pair.test", Next: base})
	tb.Add(Ready{ID: id, Key: k, Addr: "two@pair.test", Next: base.Add(2 * time.Millisecond)})
	q := tb.Queue(k)
	next := tb.Due(base.Add(time.Millisecond), func(*Queue) {})
	if q.Ready() != 1 || next.IsZero() || next.Sub(base) > wheelTick {
		t.Fatalf("after the first: ready %d, next wake %v (want within a tick of %v)", q.Ready(), next, base)
	}
	tb.Due(next, func(*Queue) {})
	if q.Ready() != 2 {
		t.Fatalf("the second recipient was not woken in the next tick: ready %d", q.Ready())
	}

	// A long sleep sweeps every slot once.
	tb.Add(Ready{ID: id, Key: Key{Domain: "late.test"}, Addr: "r@late.test", Next: now.Add(4 * time.Hour)})
	woken := 0
	tb.Due(now.Add(10*time.Hour), func(q *Queue) {
		if q.Key.Domain == "late.test" {
			woken += q.Ready()
		}
	})
	if woken != 1 {
		t.Fatalf("after a long sleep %d recipients due, want 1", woken)
	}
}

// TestHotBudget: bodies are kept while they fit the budget, leave with the
// recipients taken for delivery, and are dropped when a recipient is deferred.
func TestHotBudget(t *testing.T) {
	tb := NewTable()
	tb.HotBudget = 10
	k := Key{Domain: "example.com"}
	body := []byte("0123456")
	var a, b spool.ID
	a[0], b[0] = 1, 2
	tb.Add(Ready{ID: a, Key: k, Body: body})
	tb.Add(Ready{ID: b, Key: k, Body: body})
	if tb.HotBytes() != 7 {
		t.Fatalf("hot %d, want 7 (the second body is over budget)", tb.HotBytes())
	}
	q := tb.Queue(k)
	tx := q.Take(nil, 0)
	if tx[0].Body == nil || tb.HotBytes() != 0 {
		t.Fatalf("taken entry lost its body or hot stays %d", tb.HotBytes())
	}
	if next := q.Take(nil, 0); next[0].Body != nil {
		t.Fatal("the over-budget recipient kept its body")
	}
	q.Defer(tx[0])
	if e := q.Take(nil, 0); len(e) != 1 || e[0].Body != nil {
		t.Fatalf("deferred recipient came back with its body: %+v", e)
	}
}

// TestReturnCopies: recipients put back with Return do not share the
// caller's array, which Take reuses as its dst.
func TestReturnCopies(t *testing.T) {
	tb := NewTable()
	k := Key{Domain: "example.com"}
	var id spool.ID
	id[0] = 7
	tb.Add(Ready{ID: id, Key: k, Addr: "a@example.com"})
	q := tb.Queue(k)
	batch := q.Take(nil, 0)
	q.Return(batch)
	batch = q.Take(batch[:0], 0) // the same array again
	q.Return(batch)
	batch[0] = Entry{}
	if h := q.Head(); h == nil || h.ID != id {
		t.Fatalf("queued entry changed through the caller's slice: %+v", h)
	}
}
