//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// gonetClient is the fallback client: a goroutine per connection, used only
// when the epoll reactor cannot be created. At 10,000 connections it spends
// more CPU than the reactor client, and the report says which client ran.
type gonetClient struct {
	cfg     clientConfig
	phase   atomic.Int32
	replied atomic.Int64
	reqs    atomic.Uint64
	errs    errNote
	hist    hist // shared; recorded with atomics

	mu      sync.Mutex
	conns   []net.Conn
	kicked  chan struct{}
	kickOne sync.Once
	wg      sync.WaitGroup
}

func newGonetClient(cfg clientConfig) *gonetClient {
	return &gonetClient{cfg: cfg, kicked: make(chan struct{})}
}

func (gc *gonetClient) dial(timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	sem := make(chan struct{}, maxDialing)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < gc.cfg.conns; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := d.Dial("tcp", gc.cfg.addr.String())
			if err != nil {
				gc.errs.note(err)
				failed.Add(1)
				return
			}
			gc.mu.Lock()
			gc.conns = append(gc.conns, c)
			gc.mu.Unlock()
			gc.wg.Add(1)
			go gc.loop(c)
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		_, err := gc.errs.get()
		return fmt.Errorf("connect: %d of %d connections failed: %w", n, gc.cfg.conns, err)
	}
	return nil
}

func (gc *gonetClient) kick() error {
	gc.kickOne.Do(func() { close(gc.kicked) })
	return nil
}

// loop is one connection's closed loop; it returns at phaseStop or when the
// connection fails or is closed by close.
func (gc *gonetClient) loop(c net.Conn) {
	defer gc.wg.Done()
	if !gc.cfg.oneShot {
		<-gc.kicked
	}
	br := bufio.NewReader(c)
	want := gc.cfg.work.reply
	base := time.Now()
	for gc.phase.Load() != phaseStop {
		sent := time.Since(base)
		if _, err := c.Write(gc.cfg.work.request); err != nil {
			gc.errIfRunning(err)
			return
		}
		line, err := br.ReadSlice('\n')
		if err != nil {
			gc.errIfRunning(err)
			return
		}
		if !bytes.Equal(line, want) {
			gc.errs.note(fmt.Errorf("%w: %q", errBadReply, line))
			return
		}
		if gc.cfg.oneShot {
			gc.replied.Add(1)
			return // stays open, idle, until close
		}
		if gc.phase.Load() == phaseMeasure {
			gc.hist.recordAtomic(time.Since(base) - sent)
			gc.reqs.Add(1)
		}
	}
}

func (gc *gonetClient) errIfRunning(err error) {
	if gc.phase.Load() != phaseStop {
		gc.errs.note(err)
	}
}

func (gc *gonetClient) setPhase(p int32) { gc.phase.Store(p) }
func (gc *gonetClient) answered() int64  { return gc.replied.Load() }

func (gc *gonetClient) close(timeout time.Duration) (clientResult, error) {
	gc.phase.Store(phaseStop)
	_ = gc.kick() // a loop still waiting to start returns at once
	gc.mu.Lock()
	for _, c := range gc.conns {
		c.Close()
	}
	gc.mu.Unlock()
	done := make(chan struct{})
	go func() { gc.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		return clientResult{}, fmt.Errorf("client goroutines not done after %v", timeout)
	}
	res := clientResult{requests: gc.reqs.Load()}
	res.hist.merge(&gc.hist)
	res.errors, res.firstErr = gc.errs.get()
	return res, nil
}
