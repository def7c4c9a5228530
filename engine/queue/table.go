package queue

import (
	"sort"

	"github.com/volleymta/volley/spool"
)

// Entry is one queued recipient.
type Entry struct {
	ID    spool.ID
	Index uint16
	Addr  string
}

// Queue is one domain/vmta queue on its owning shard.
type Queue struct {
	Key Key
	// Entries are the recipients waiting, in arrival order.
	Entries []Entry
}

// Table is the set of queues one shard owns. It belongs to that shard's
// loop: every method must run there.
type Table struct {
	queues map[Key]*Queue
	n      int
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{queues: make(map[Key]*Queue)} }

// Add queues one recipient.
func (t *Table) Add(r Ready) {
	q := t.queues[r.Key]
	if q == nil {
		q = &Queue{Key: r.Key}
		t.queues[r.Key] = q
	}
	q.Entries = append(q.Entries, Entry{ID: r.ID, Index: r.Index, Addr: r.Addr})
	t.n++
}

// Len returns the number of recipients queued over all queues.
func (t *Table) Len() int { return t.n }

// Queue returns the queue for k, or nil when it holds nothing.
func (t *Table) Queue(k Key) *Queue { return t.queues[k] }

// Summary is a queue's name and size, for display and tests.
type Summary struct {
	Key        Key
	Recipients int
}

// Summaries lists the queues sorted by name.
func (t *Table) Summaries() []Summary {
	out := make([]Summary, 0, len(t.queues))
	for k, q := range t.queues {
		out = append(out, Summary{Key: k, Recipients: len(q.Entries)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key.String() < out[j].Key.String() })
	return out
}
