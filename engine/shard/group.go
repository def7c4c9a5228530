package shard

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"

	"github.com/volleymta/volley/iouring"
)

// Shard is one event loop. Its fields are read-only after Start.
type Shard struct {
	// ID is the shard's index in its group, 0 to Count-1.
	ID int
	// Reactor is the shard's event loop; use it only on the shard's
	// goroutine, or through Post.
	Reactor iouring.Reactor
}

// Post runs fn on the shard's loop; safe from any goroutine.
func (s *Shard) Post(fn func()) error { return s.Reactor.Post(fn) }

// Options configure a Group.
type Options struct {
	// Count is the number of shards; 0 means runtime.GOMAXPROCS(0)
	// (config `shards auto`).
	Count int
	// IO configures each shard's reactor; IO.Engine is `io-engine`.
	IO iouring.Options
	// Init, when set, runs once on the calling goroutine after every
	// shard's reactor exists and before any loop runs: the place to build
	// what shards share, such as their inboxes, which Setup may then use.
	// An error stops the group.
	Init func(shards []*Shard) error
	// Setup, when set, runs on each shard's loop before it serves anything
	// (bind listeners there). An error stops the group.
	Setup func(s *Shard) error
}

// Group is a set of running shards.
type Group struct {
	shards []*Shard
	engine iouring.Engine
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

// Start probes the io engine once, creates Count reactors of the chosen
// engine and starts one locked goroutine per shard.
func Start(opts Options) (*Group, error) {
	n := opts.Count
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	io := opts.IO
	auto := io.Engine == iouring.EngineAuto
	if auto {
		io.Engine = iouring.EngineIOUring
		if err := iouring.ProbeIOUring(); err != nil {
			io.Engine = iouring.EngineEpoll
			logf(opts.IO, "io engine: epoll, %d shards (%v)", n, err)
		} else {
			logf(opts.IO, "io engine: io_uring, %d shards", n)
		}
	}
	io.Logf = opts.IO.Logf
	g := &Group{engine: io.Engine}
	err := g.newReactors(io, n)
	if err != nil && auto && io.Engine == iouring.EngineIOUring {
		// The probe's one ring fitted, all of them did not (most often
		// RLIMIT_MEMLOCK, which io_uring rings are charged to without
		// CAP_IPC_LOCK): auto means the service runs, on epoll.
		logf(opts.IO, "io engine: epoll after all, %d shards (io_uring: %v)", n, err)
		io.Engine = iouring.EngineEpoll
		g.engine = io.Engine
		err = g.newReactors(io, n)
	}
	if err != nil {
		return nil, err
	}
	if opts.Init != nil {
		if err := opts.Init(g.shards); err != nil {
			g.stopStarted()
			return nil, err
		}
	}
	setupErrs := make(chan error, n)
	for _, s := range g.shards {
		g.wg.Add(1)
		go g.run(s, opts.Setup, setupErrs)
	}
	var errs []error
	for range g.shards {
		if err := <-setupErrs; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		g.Stop()
		_ = g.Wait()
		return nil, errors.Join(errs...)
	}
	return g, nil
}

func logf(o iouring.Options, format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// run is one shard's goroutine: locked to its thread for the life of the loop.
func (g *Group) run(s *Shard, setup func(*Shard) error, setupErrs chan<- error) {
	defer g.wg.Done()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := s.Reactor.Post(func() {
		var err error
		if setup != nil {
			err = setup(s)
			if err != nil {
				err = fmt.Errorf("shard %d: setup: %w", s.ID, err)
			}
		}
		setupErrs <- err
	}); err != nil {
		setupErrs <- err
		return
	}
	if err := s.Reactor.Run(); err != nil {
		g.mu.Lock()
		if g.err == nil {
			g.err = fmt.Errorf("shard %d: %w", s.ID, err)
		}
		g.mu.Unlock()
		g.Stop()
	}
}

// stopStarted releases reactors created before a failed Start.
func (g *Group) stopStarted() {
	for _, s := range g.shards {
		s.Reactor.Stop()
		go func(r iouring.Reactor) { _ = r.Run() }(s.Reactor)
		<-s.Reactor.Done()
	}
}

// newReactors creates the n shards' reactors; on an error it stops those
// it made and holds none.
func (g *Group) newReactors(io iouring.Options, n int) error {
	for i := 0; i < n; i++ {
		r, err := iouring.New(io)
		if err != nil {
			g.stopStarted()
			g.shards = nil
			if errors.Is(err, syscall.ENOMEM) && io.Engine == iouring.EngineIOUring {
				err = fmt.Errorf("%w (each io_uring shard locks about 420 KiB: raise RLIMIT_MEMLOCK, LimitMEMLOCK= in systemd; see perf/TUNING.md)", err)
			}
			return fmt.Errorf("shard %d: %w", i, err)
		}
		g.shards = append(g.shards, &Shard{ID: i, Reactor: r})
	}
	return nil
}

// Engine is the io engine every shard runs.
func (g *Group) Engine() iouring.Engine { return g.engine }

// Shards returns the shards, indexed by ID.
func (g *Group) Shards() []*Shard { return g.shards }

// Count is the number of shards.
func (g *Group) Count() int { return len(g.shards) }

// Post runs fn on shard id's loop.
func (g *Group) Post(id int, fn func()) error { return g.shards[id].Post(fn) }

// Stop asks every shard to stop; Wait waits for them.
func (g *Group) Stop() {
	for _, s := range g.shards {
		s.Reactor.Stop()
	}
}

// Wait blocks until every shard has stopped and returns the first loop error.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Stats sums the counters of every shard.
func (g *Group) Stats() iouring.Stats {
	var t iouring.Stats
	for _, s := range g.shards {
		st := s.Reactor.Stats()
		t.Accepted += st.Accepted
		t.Connected += st.Connected
		t.ConnectFailed += st.ConnectFailed
		t.Closed += st.Closed
		t.BytesRead += st.BytesRead
		t.BytesWritten += st.BytesWritten
		t.Submits += st.Submits
		t.Events += st.Events
		t.SQFull += st.SQFull
		t.NoBuffers += st.NoBuffers
		t.Panics += st.Panics
	}
	return t
}
