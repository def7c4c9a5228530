//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/iouring"
)

// reactorClient drives its connections from a few epoll reactor loops (one
// per core by default) rather than a goroutine each, so that 10,000
// connections cost the client little more CPU than one hundred and the
// client does not become the bottleneck it is measuring through.
type reactorClient struct {
	cfg      clientConfig
	phase    atomic.Int32
	opened   atomic.Int64
	failed   atomic.Int64
	replied  atomic.Int64
	errs     errNote
	loops    []*clientLoop
	finished chan *clientLoop
}

// clientLoop is one reactor and the connections it owns. Its fields other
// than r are touched only on the loop's goroutine, until Run returns.
type clientLoop struct {
	rc      *reactorClient
	r       iouring.Reactor
	toDial  int // connections still to start
	dialing int // Connects in flight
	conns   []*clientConn
	base    time.Time
	hist    hist
	reqs    uint64
}

// maxDialing bounds each loop's Connects in flight, so 10,000 SYNs do not
// overflow the listeners' accept queues and wait out a SYN retransmit.
const maxDialing = 128

// dialAttempts is how often one connection is tried before the run fails.
const dialAttempts = 3

func newReactorClient(cfg clientConfig) (*reactorClient, error) {
	rc := &reactorClient{cfg: cfg, finished: make(chan *clientLoop, cfg.loops)}
	for i := 0; i < cfg.loops; i++ {
		lp := &clientLoop{rc: rc, toDial: cfg.conns / cfg.loops, base: time.Now()}
		if i < cfg.conns%cfg.loops {
			lp.toDial++
		}
		created := make(chan error, 1)
		go lp.run(created)
		if err := <-created; err != nil {
			rc.stopLoops()
			return nil, err
		}
		rc.loops = append(rc.loops, lp)
	}
	return rc, nil
}

// run owns the loop's OS thread for the reactor's life. It unlocks the
// thread before returning: a goroutine that exits locked kills its thread,
// and the children's parent-death signal is tied to the thread that forked
// them.
func (lp *clientLoop) run(created chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r, err := iouring.New(iouring.Options{Engine: iouring.EngineEpoll})
	if err != nil {
		created <- err
		return
	}
	lp.r = r
	created <- nil
	_ = r.Run()
	lp.rc.finished <- lp
}

// stopLoops stops the loops created so far without collecting them.
func (rc *reactorClient) stopLoops() {
	for _, lp := range rc.loops {
		lp.r.Stop()
	}
}

func (rc *reactorClient) dial(timeout time.Duration) error {
	for _, lp := range rc.loops {
		if err := lp.r.Post(lp.dialMore); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		opened, failed := rc.opened.Load(), rc.failed.Load()
		if failed > 0 {
			_, err := rc.errs.get()
			return fmt.Errorf("connect: %d of %d connections failed: %w", failed, rc.cfg.conns, err)
		}
		if opened == int64(rc.cfg.conns) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connect: %d of %d connections open after %v", opened, rc.cfg.conns, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialMore starts Connects until the loop has maxDialing in flight.
func (lp *clientLoop) dialMore() {
	for lp.toDial > 0 && lp.dialing < maxDialing {
		lp.toDial--
		lp.connect(1)
	}
}

func (lp *clientLoop) connect(attempt int) {
	cc := &clientConn{lp: lp, attempt: attempt}
	lp.dialing++
	if _, err := lp.r.Connect(lp.rc.cfg.addr, netip.Addr{}, 5*time.Second, cc); err != nil {
		lp.dialing--
		lp.rc.errs.note(err)
		lp.rc.failed.Add(1)
	}
}

func (rc *reactorClient) kick() error {
	for _, lp := range rc.loops {
		if err := lp.r.Post(lp.kick); err != nil {
			return err
		}
	}
	return nil
}

func (lp *clientLoop) kick() {
	for _, cc := range lp.conns {
		cc.send()
	}
}

func (rc *reactorClient) setPhase(p int32) { rc.phase.Store(p) }
func (rc *reactorClient) answered() int64  { return rc.replied.Load() }

func (rc *reactorClient) close(timeout time.Duration) (clientResult, error) {
	rc.phase.Store(phaseStop)
	rc.stopLoops()
	var res clientResult
	deadline := time.After(timeout)
	for range rc.loops {
		select {
		case lp := <-rc.finished:
			res.hist.merge(&lp.hist)
			res.requests += lp.reqs
		case <-deadline:
			return res, fmt.Errorf("client loops not stopped after %v", timeout)
		}
	}
	res.errors, res.firstErr = rc.errs.get()
	return res, nil
}

// clientConn is one connection's closed loop.
type clientConn struct {
	lp      *clientLoop
	c       iouring.Conn
	attempt int
	open    bool
	// sentAt is when the outstanding request was sent (since lp.base).
	sentAt time.Duration
	// got holds the reply received so far (a reply can arrive split).
	got  [32]byte
	ngot int
}

func (cc *clientConn) send() {
	if !cc.open {
		return // already closed, and counted as an error
	}
	cc.sentAt = time.Since(cc.lp.base)
	if err := cc.lp.r.Send(cc.c, cc.lp.rc.cfg.work.request); err != nil {
		cc.lp.rc.errs.note(err)
	}
}

func (cc *clientConn) OnOpen(r iouring.Reactor, c iouring.Conn, err error) iouring.Action {
	lp := cc.lp
	lp.dialing--
	defer lp.dialMore()
	if err != nil {
		if cc.attempt < dialAttempts {
			lp.connect(cc.attempt + 1)
			return iouring.Close
		}
		lp.rc.errs.note(err)
		lp.rc.failed.Add(1)
		return iouring.Close
	}
	cc.c, cc.open = c, true
	lp.conns = append(lp.conns, cc)
	lp.rc.opened.Add(1)
	if lp.rc.cfg.oneShot {
		cc.send()
	}
	return iouring.Continue
}

func (cc *clientConn) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
	lp := cc.lp
	want := lp.rc.cfg.work.reply
	if cc.ngot+len(p) > len(cc.got) {
		lp.rc.errs.note(fmt.Errorf("%w: %q", errBadReply, append(cc.got[:cc.ngot:cc.ngot], p...)))
		return iouring.Close
	}
	cc.ngot += copy(cc.got[cc.ngot:], p)
	if cc.ngot < len(want) {
		return iouring.Continue
	}
	if !bytes.Equal(cc.got[:cc.ngot], want) {
		lp.rc.errs.note(fmt.Errorf("%w: %q", errBadReply, cc.got[:cc.ngot]))
		return iouring.Close
	}
	cc.ngot = 0
	if lp.rc.cfg.oneShot {
		lp.rc.replied.Add(1)
		return iouring.Continue
	}
	now := time.Since(lp.base)
	switch lp.rc.phase.Load() {
	case phaseMeasure:
		lp.hist.record(now - cc.sentAt)
		lp.reqs++
	case phaseStop:
		return iouring.Continue
	}
	cc.send()
	return iouring.Continue
}

func (cc *clientConn) OnEOF(r iouring.Reactor, c iouring.Conn) iouring.Action {
	cc.lp.rc.errs.note(errors.New("server closed the connection"))
	return iouring.Close
}

func (cc *clientConn) OnSent(iouring.Reactor, iouring.Conn) iouring.Action { return iouring.Continue }

func (cc *clientConn) OnTimeout(iouring.Reactor, iouring.Conn) iouring.Action { return iouring.Close }

func (cc *clientConn) OnClose(r iouring.Reactor, c iouring.Conn, err error) {
	cc.open = false
	if err != nil && !errors.Is(err, iouring.ErrReactorStopped) {
		cc.lp.rc.errs.note(err)
	}
}
