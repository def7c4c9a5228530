package spool

import (
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// commitReq is one caller's batch waiting for the committer: a waiting
// caller's (done), or an AppendAsync's (async, called with the outcome).
type commitReq struct {
	b     *pebble.Batch
	err   error
	done  chan struct{}
	async func(error)
}

// commitQueue is how many batches may wait for the committer before a
// sender waits: room for every session of a busy server's shards, so that
// AppendAsync never blocks a loop.
const commitQueue = 4096

var reqPool = sync.Pool{New: func() any { return &commitReq{done: make(chan struct{}, 1)} }}

// committer gathers every batch waiting when it is free into one Pebble batch
// and commits it with one write and one fsync; then it wakes every caller.
// While it syncs, new callers queue on the unbuffered channel and form the
// next group, so the number of fsyncs follows the disk's speed, not the
// number of callers.
//
// Failure handling shapes this loop. Pebble treats an error returned by a
// synchronous commit as fatal (Logger.Fatalf), so a group is applied with
// ApplyNoSyncWait and its fsync awaited with SyncWait, which returns the
// error instead. A group is applied only after the previous one is durable
// and only while the spool is healthy, because Pebble may panic, sometimes
// unrecoverably (a double unlock in its WAL rotation), when a write reaches
// it after a WAL failure. Every group is synced, so a failure always
// surfaces in SyncWait and never in a later write.
//
// Rejected alternatives: each caller committing with pebble.Sync (Pebble
// shares the fsync, but each batch takes its own pass through the commit
// pipeline): 8-12.6 µs per 4 KB message with 256 callers against this
// design's 7.6-9.1 (BenchmarkAppendDurable, 2 cores, ~0.15 ms fsync); and
// applying the next group before the previous fsync finished, which was no
// faster here and let writes reach Pebble after a failure.
func (s *Spool) committer() {
	defer s.wg.Done()
	defer close(s.exited)
	group := make([]*commitReq, 0, s.maxBatch)
	for {
		var first *commitReq
		select {
		case first = <-s.reqs:
		case <-s.stop:
			s.refuseQueued()
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
		s.answer(group, s.commitGroup(group))
	}
}

// commitGroup writes one group with one fsync.
func (s *Spool) commitGroup(group []*commitReq) (err error) {
	if err := s.failedErr(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pebble: %v", r) // answered as ErrIO
		}
	}()
	main := group[0].b
	for _, r := range group[1:] {
		if err := main.Apply(r.b, nil); err != nil {
			return err
		}
	}
	s.stats.commits.Add(1)
	s.stats.syncs.Add(1)
	if err := s.db.ApplyNoSyncWait(main, pebble.Sync); err != nil {
		return err
	}
	return main.SyncWait()
}

func (s *Spool) answer(group []*commitReq, err error) {
	if err != nil {
		err = storageError(err)
		s.setFailed(err)
	}
	for _, r := range group {
		if r.async != nil {
			r.async(err)
			continue
		}
		r.err = err
		r.done <- struct{}{}
	}
}

// refuseQueued answers what waits in the queue at Close: never stored.
func (s *Spool) refuseQueued() {
	for {
		select {
		case r := <-s.reqs:
			if r.async != nil {
				r.async(ErrClosed)
				continue
			}
			r.err = ErrClosed
			r.done <- struct{}{}
		default:
			return
		}
	}
}

// commit hands b to the committer and waits until it is written and fsynced.
func (s *Spool) commit(b *pebble.Batch) error {
	if err := s.failedErr(); err != nil {
		return err
	}
	r := reqPool.Get().(*commitReq)
	r.b, r.err = b, nil
	select {
	case s.reqs <- r:
	case <-s.stop:
		reqPool.Put(r)
		return ErrClosed
	}
	select {
	case <-r.done:
	case <-s.exited:
		// The committer has gone: r was answered before it went, or it
		// slipped into the queue after the last look and never will be.
		select {
		case <-r.done:
		default:
			return ErrClosed
		}
	}
	err := r.err
	r.b, r.err = nil, nil
	reqPool.Put(r)
	return err
}
