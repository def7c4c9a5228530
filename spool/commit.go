package spool

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// commitReq is one caller's batch waiting for the committer.
type commitReq struct {
	b    *pebble.Batch
	sync bool
	err  error
	done chan struct{}
}

var reqPool = sync.Pool{New: func() any { return &commitReq{done: make(chan struct{}, 1)} }}

// committer gathers every batch waiting when it is free into one Pebble batch
// and commits it with one write and, if any caller needs durability, one
// fsync; then it wakes every caller. While it syncs, new callers queue on the
// unbuffered channel and form the next group, so the number of fsyncs
// follows the disk's speed, not the number of callers.
//
// Rejected alternative: each caller committing with pebble.Sync. Pebble's
// own commit pipeline also shares a WAL sync among concurrent commits, but
// each commit still takes its own pass through the pipeline; merging first
// writes one WAL record per group (measured in spool_bench_test.go).
func (s *Spool) committer() {
	defer s.wg.Done()
	group := make([]*commitReq, 0, s.maxBatch)
	for {
		var first *commitReq
		select {
		case first = <-s.reqs:
		case <-s.stop:
			return
		}
		group = append(group[:0], first)
	gather:
		for len(group) < s.maxBatch {
			select {
			case r := <-s.reqs:
				group = append(group, r)
			default:
				break gather
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup writes one group and reports to each caller.
func (s *Spool) commitGroup(group []*commitReq) {
	main := group[0].b
	sync := group[0].sync
	var err error
	for _, r := range group[1:] {
		sync = sync || r.sync
		if err == nil {
			err = main.Apply(r.b, nil)
		}
	}
	opts := pebble.NoSync
	if sync {
		opts = pebble.Sync
	}
	if err == nil {
		err = s.db.Apply(main, opts)
	}
	s.stats.commits.Add(1)
	if sync {
		s.stats.syncs.Add(1)
	}
	if err != nil {
		err = storageError(err)
		s.setFailed(err)
	}
	for _, r := range group {
		r.err = err
		r.done <- struct{}{}
	}
}

// commit hands b to the committer and waits until it is written (and
// fsynced when sync is set).
func (s *Spool) commit(b *pebble.Batch, sync bool) error {
	if err := s.failedErr(); err != nil {
		return err
	}
	r := reqPool.Get().(*commitReq)
	r.b, r.sync, r.err = b, sync, nil
	select {
	case s.reqs <- r:
	case <-s.stop:
		reqPool.Put(r)
		return ErrClosed
	}
	<-r.done
	err := r.err
	r.b, r.err = nil, nil
	reqPool.Put(r)
	return err
}
