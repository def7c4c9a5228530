package acct

import "sync"

// queue holds the records Log has accepted and the writer goroutine has not yet taken.
//
// Records are copied into fixed blocks of blockSize, chained in order. The
// alternative, one slice of Records swapped between Log and the writer, has to grow
// by copying: under a backlog, Log would copy megabytes while holding the mutex the
// loops wait on, and then either keep the grown slice for good or pay the growth again
// on the next backlog. With blocks, an accepted record is copied once, the mutex is
// held for that copy (and, while the free list is empty, one block allocation), and
// the memory a backlog took goes back to the allocator beyond maxFree blocks.
type queue struct {
	mu     sync.Mutex
	blocks []*block // guarded by mu: queued blocks in order, the last one possibly partial
	n      int      // guarded by mu: records queued
	free   []*block // guarded by mu: empty blocks for reuse, at most maxFree
	closed bool     // guarded by mu: push refuses everything
}

const (
	blockSize = 128 // records (720 bytes each) per block
	maxFree   = 32  // blocks kept for reuse, about 3 MB
)

type block struct {
	n    int
	recs [blockSize]Record
}

// push copies r in unless the queue is closed or holds max records. first reports the
// empty-to-non-empty transition, the one that needs a wake-up.
func (q *queue) push(r *Record, max int) (ok, first bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.n >= max {
		return false, false
	}
	var b *block
	if k := len(q.blocks); k > 0 && q.blocks[k-1].n < blockSize {
		b = q.blocks[k-1]
	} else {
		if k := len(q.free); k > 0 {
			b, q.free = q.free[k-1], q.free[:k-1]
		} else {
			b = new(block)
		}
		q.blocks = append(q.blocks, b)
	}
	b.recs[b.n] = *r
	b.n++
	q.n++
	return true, q.n == 1
}

// take moves every queued block to dst[:0] and returns it; the caller owns the blocks
// until recycle.
func (q *queue) take(dst []*block) []*block {
	q.mu.Lock()
	dst = append(dst[:0], q.blocks...)
	clear(q.blocks)
	q.blocks, q.n = q.blocks[:0], 0
	q.mu.Unlock()
	return dst
}

// recycle empties blocks taken with take (dropping the strings they reference) and
// keeps up to maxFree of them.
func (q *queue) recycle(bs []*block) {
	for _, b := range bs {
		clear(b.recs[:b.n])
		b.n = 0
	}
	q.mu.Lock()
	for _, b := range bs {
		if len(q.free) < maxFree {
			q.free = append(q.free, b)
		}
	}
	q.mu.Unlock()
	clear(bs)
}

// close makes push refuse records from now on; it reports whether it was open.
func (q *queue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	was := !q.closed
	q.closed = true
	return was
}
