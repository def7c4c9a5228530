package iouring

import (
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/ringbuf"
)

// backend is what an engine adds to loopCore: the operations that touch
// sockets. loopCore decides when; the backend does it its own way.
type backend interface {
	// closeSocket starts closing cn's socket. The backend releases the slot
	// (slab.release) once no operation refers to it.
	closeSocket(slot uint32, cn *conn)
	// startSend makes sure cn's queued output is being written.
	startSend(slot uint32, cn *conn)
	// setRecv turns receiving on or off.
	setRecv(slot uint32, cn *conn, on bool)
	// shutdownWrite half-closes cn once its output is written.
	shutdownWrite(slot uint32, cn *conn)
}

// closeNote is an OnClose (or failed OnOpen) waiting to be delivered at the
// end of the current dispatch, so that callbacks never run inside a Reactor
// method call.
type closeNote struct {
	h      ConnHandler
	c      Conn
	err    error
	opened bool
}

// loopCore is the engine-independent half of a reactor: slab, timers, inbox,
// the event rules (what each Action does, when OnSent and OnClose fire) and
// the methods that need no syscall. Everything but Post, Stop and Stats runs
// on the loop goroutine.
type loopCore struct {
	self   Reactor
	be     backend
	engine Engine
	opts   Options

	slab   slab
	timers timerHeap
	closes []closeNote

	inbox *ringbuf.MPSC[func()]
	waker *ringbuf.Waker
	// posted is the loop's batch buffer for draining the inbox.
	posted []func()

	stopping atomic.Bool
	stopped  atomic.Bool
	// posting counts Post calls under way.
	posting atomic.Int32
	done    chan struct{}

	stats     Stats
	published [statCount]atomic.Uint64

	base time.Time
	now  int64

	// spare holds output buffers returned by drained connections, so that
	// an idle connection holds none.
	spare [][]byte
}

const (
	// inboxBudget bounds the posted functions run per iteration (fairness).
	inboxBudget = 256
	// maxSpare bounds the retained output buffers; maxSpareCap their size.
	maxSpare    = 256
	maxSpareCap = 64 << 10
	minOutBuf   = 512
	statCount   = 11
)

func (l *loopCore) init(self Reactor, be backend, e Engine, opts Options, sig ringbuf.Signal) {
	l.self, l.be, l.engine, l.opts = self, be, e, opts
	l.inbox = ringbuf.NewMPSC[func()](opts.InboxSize)
	l.waker = ringbuf.NewWaker(sig)
	l.posted = make([]func(), inboxBudget)
	l.done = make(chan struct{})
	l.base = time.Now()
	l.now = 0
}

// core gives the package's own helpers (the net.Conn adapter) the loopCore
// behind a Reactor.
func (l *loopCore) core() *loopCore { return l }

// tick refreshes the loop's clock (monotonic ns since start).
func (l *loopCore) tick() int64 {
	l.now = int64(time.Since(l.base))
	return l.now
}

func (l *loopCore) Engine() Engine { return l.engine }

// Send queues a copy of p.
func (l *loopCore) Send(c Conn, p []byte) error {
	cn := l.slab.get(c)
	if cn == nil || cn.state != stateOpen {
		return ErrStale
	}
	if len(p) == 0 {
		return nil
	}
	if cn.pending == nil {
		cn.pending = l.takeSpare(len(p))
	}
	cn.pending = append(cn.pending, p...)
	if !cn.sendBusy {
		l.be.startSend(c.slot(), cn)
	}
	return nil
}

// nextOutput moves pending into sending when sending is finished and
// reports whether there is anything to write.
func (l *loopCore) nextOutput(cn *conn) bool {
	if cn.sent < len(cn.sending) {
		return true
	}
	if len(cn.pending) == 0 {
		return false
	}
	old := cn.sending
	cn.sending, cn.sent = cn.pending, 0
	if old != nil {
		cn.pending = old[:0]
	} else {
		cn.pending = nil
	}
	return true
}

// takeSpare returns an empty output buffer, a retained one if any, else a new
// one sized for the first write (at least minOutBuf: replies are small).
func (l *loopCore) takeSpare(size int) []byte {
	if n := len(l.spare); n > 0 {
		b := l.spare[n-1]
		l.spare[n-1] = nil
		l.spare = l.spare[:n-1]
		return b
	}
	return make([]byte, 0, max(size, minOutBuf))
}

func (l *loopCore) giveSpare(b []byte) {
	if b != nil && cap(b) <= maxSpareCap && len(l.spare) < maxSpare {
		l.spare = append(l.spare, b[:0])
	}
}

// wrote records n bytes of cn's sending buffer as written and decides what
// follows: more writing, OnSent, the drain's close or the shutdown. The
// backend calls it with sendBusy already cleared.
func (l *loopCore) wrote(slot uint32, cn *conn, n int) {
	l.stats.BytesWritten += uint64(n)
	cn.sent += n
	if l.nextOutput(cn) {
		l.be.startSend(slot, cn)
		return
	}
	// Everything is written: hand the buffers back so an idle connection
	// holds none.
	l.giveSpare(cn.sending)
	l.giveSpare(cn.pending)
	cn.sending, cn.sent, cn.pending = nil, 0, nil
	l.outputDone(slot, cn)
}

// outputDone runs when a connection's queue becomes empty.
func (l *loopCore) outputDone(slot uint32, cn *conn) {
	if cn.draining {
		l.closeConn(slot, cn, nil)
		return
	}
	if cn.shutdownWanted && !cn.shutdownDone {
		cn.shutdownDone = true
		l.be.shutdownWrite(slot, cn)
	}
	l.apply(slot, cn, l.callSent(slot, cn))
}

func (l *loopCore) Pending(c Conn) int {
	if cn := l.slab.get(c); cn != nil {
		return cn.outLen()
	}
	return 0
}

func (l *loopCore) Shutdown(c Conn) error {
	cn := l.slab.get(c)
	if cn == nil || cn.state != stateOpen {
		return ErrStale
	}
	cn.shutdownWanted = true
	if cn.outLen() == 0 && !cn.sendBusy && !cn.shutdownDone {
		cn.shutdownDone = true
		l.be.shutdownWrite(c.slot(), cn)
	}
	return nil
}

func (l *loopCore) Close(c Conn) error {
	cn := l.slab.get(c)
	if cn == nil {
		return ErrStale
	}
	if cn.state == stateConnecting {
		l.connectDone(c.slot(), cn, net.ErrClosed)
		return nil
	}
	l.closeConn(c.slot(), cn, nil)
	return nil
}

func (l *loopCore) Drain(c Conn) error {
	cn := l.slab.get(c)
	if cn == nil || cn.state != stateOpen {
		return ErrStale
	}
	l.apply(c.slot(), cn, Drain)
	return nil
}

func (l *loopCore) SetTimeout(c Conn, d time.Duration) error {
	cn := l.slab.get(c)
	if cn == nil {
		return ErrStale
	}
	cn.timeout = int64(d)
	if d <= 0 {
		cn.deadline = 0
		return nil
	}
	cn.deadline = l.tick() + int64(d)
	l.armTimer(c.slot(), cn)
	return nil
}

// armTimer makes sure the heap holds an entry at or before cn's next
// deadline. A later deadline keeps the earlier entry, which re-arms itself
// when it surfaces; an earlier one pushes a new entry and makes the old stale.
func (l *loopCore) armTimer(slot uint32, cn *conn) {
	when := cn.deadline
	if cn.state == stateConnecting {
		when = cn.connectDeadline
	}
	if when == 0 || (cn.timerAt != 0 && cn.timerAt <= when) {
		return
	}
	cn.timerAt = when
	l.timers.push(timer{when: when, slot: slot, gen: cn.gen})
}

func (l *loopCore) PauseRecv(c Conn) error {
	cn := l.slab.get(c)
	if cn == nil {
		return ErrStale
	}
	if !cn.paused {
		cn.paused = true
		if cn.state == stateOpen {
			l.be.setRecv(c.slot(), cn, false)
		}
	}
	return nil
}

func (l *loopCore) ResumeRecv(c Conn) error {
	cn := l.slab.get(c)
	if cn == nil {
		return ErrStale
	}
	if cn.paused {
		cn.paused = false
		if cn.state == stateOpen && !cn.draining && !cn.eof {
			l.be.setRecv(c.slot(), cn, true)
		}
	}
	return nil
}

func (l *loopCore) Addrs(c Conn) (remote, local netip.AddrPort, err error) {
	cn := l.slab.get(c)
	if cn == nil {
		return remote, local, ErrStale
	}
	return cn.remote, cn.local, nil
}

func (l *loopCore) AfterFunc(d time.Duration, fn func()) {
	l.timers.push(timer{when: l.tick() + int64(d), fn: fn})
}

func (l *loopCore) Post(fn func()) error {
	// Counted before the stopped check: shutdownAll stores stopped, then
	// waits for posting to reach 0, so a Post either sees stopped or has its
	// function run (both atomics are sequentially consistent).
	l.posting.Add(1)
	defer l.posting.Add(-1)
	for {
		if l.stopped.Load() {
			return ErrReactorStopped
		}
		if l.inbox.Push(fn) {
			l.waker.Wake()
			return nil
		}
		runtime.Gosched()
	}
}

func (l *loopCore) Stop() {
	if l.stopping.CompareAndSwap(false, true) {
		l.waker.Wake()
	}
}

// Done is closed when Run has returned.
func (l *loopCore) Done() <-chan struct{} { return l.done }

func (l *loopCore) Stats() Stats {
	var s Stats
	p := &l.published
	s.Accepted, s.Connected, s.ConnectFailed, s.Closed = p[0].Load(), p[1].Load(), p[2].Load(), p[3].Load()
	s.BytesRead, s.BytesWritten = p[4].Load(), p[5].Load()
	s.Submits, s.Events, s.SQFull, s.NoBuffers, s.Panics = p[6].Load(), p[7].Load(), p[8].Load(), p[9].Load(), p[10].Load()
	return s
}

// publish copies the loop's plain counters to the atomics Stats reads; once
// per iteration, so the hot path writes no shared cache line.
func (l *loopCore) publish() {
	s, p := &l.stats, &l.published
	for i, v := range [statCount]uint64{s.Accepted, s.Connected, s.ConnectFailed, s.Closed,
		s.BytesRead, s.BytesWritten, s.Submits, s.Events, s.SQFull, s.NoBuffers, s.Panics} {
		if p[i].Load() != v {
			p[i].Store(v)
		}
	}
}

// newConn allocates a connection slot for socket fd.
func (l *loopCore) newConn(fd int, st connState, h ConnHandler) (uint32, *conn, error) {
	slot, cn, err := l.slab.alloc(st)
	if err != nil {
		return 0, nil, err
	}
	cn.fd, cn.h = fd, h
	return slot, cn, nil
}

// accepted runs the listener's AcceptFunc and OnOpen for a new connection
// the backend has put in slot (state open), then arms its receive.
func (l *loopCore) accepted(lis *conn, slot uint32, cn *conn) {
	l.stats.Accepted++
	h := l.callAccept(lis, slot, cn)
	if h == nil {
		l.closeConn(slot, cn, nil) // refused: cn.h is nil, so no OnClose
		return
	}
	cn.h = h
	l.opened(slot, cn)
}

// opened delivers OnOpen(nil) and arms receiving.
func (l *loopCore) opened(slot uint32, cn *conn) {
	cn.state = stateOpen
	a := l.callOpen(slot, cn, nil)
	if cn.state == stateOpen && !cn.draining && !cn.paused && a == Continue {
		l.be.setRecv(slot, cn, true)
	}
	l.apply(slot, cn, a)
}

// connectDone settles a pending Connect: err nil opens it, else the socket
// is closed and OnOpen(err) is queued as the connection's only event.
func (l *loopCore) connectDone(slot uint32, cn *conn, err error) {
	if cn.state != stateConnecting {
		return
	}
	cn.connectDeadline = 0
	if err == nil {
		l.stats.Connected++
		if cn.deadline != 0 {
			cn.deadline = l.now + cn.timeout
		}
		l.opened(slot, cn)
		if cn.state == stateOpen {
			l.armTimer(slot, cn)
		}
		return
	}
	l.stats.ConnectFailed++
	cn.state = stateClosed
	l.closes = append(l.closes, closeNote{h: cn.h, c: cn.handle(slot), err: err})
	l.be.closeSocket(slot, cn)
}

// data delivers received bytes.
func (l *loopCore) data(slot uint32, cn *conn, p []byte) {
	l.stats.BytesRead += uint64(len(p))
	if cn.timeout != 0 {
		cn.deadline = l.now + cn.timeout
	}
	if cn.draining {
		return
	}
	l.apply(slot, cn, l.callData(slot, cn, p))
}

// peerEOF delivers OnEOF once.
func (l *loopCore) peerEOF(slot uint32, cn *conn) {
	if cn.eof {
		return
	}
	cn.eof = true
	l.be.setRecv(slot, cn, false)
	if cn.draining {
		return
	}
	l.apply(slot, cn, l.callEOF(slot, cn))
}

// fail closes cn because of an I/O error.
func (l *loopCore) fail(slot uint32, cn *conn, err error) {
	if cn.state == stateConnecting {
		l.connectDone(slot, cn, err)
		return
	}
	l.closeConn(slot, cn, err)
}

// apply carries out a handler's Action.
func (l *loopCore) apply(slot uint32, cn *conn, a Action) {
	if cn.state != stateOpen {
		return
	}
	switch a {
	case Close:
		l.closeConn(slot, cn, nil)
	case Drain:
		if !cn.draining {
			cn.draining = true
			if !cn.eof {
				l.be.setRecv(slot, cn, false)
			}
		}
		if cn.outLen() == 0 && !cn.sendBusy {
			l.closeConn(slot, cn, nil)
		}
	}
}

// closeConn closes an open connection and queues its OnClose.
func (l *loopCore) closeConn(slot uint32, cn *conn, err error) {
	if cn.state == stateClosed || cn.state == stateFree {
		return
	}
	opened := cn.state == stateOpen
	cn.state = stateClosed
	if opened {
		l.stats.Closed++
	}
	if cn.h != nil {
		l.closes = append(l.closes, closeNote{h: cn.h, c: cn.handle(slot), err: err, opened: opened})
	}
	l.giveSpare(cn.pending)
	cn.pending = nil
	l.be.closeSocket(slot, cn)
}

// flushCloses delivers the queued OnClose and failed-OnOpen events.
func (l *loopCore) flushCloses() {
	for len(l.closes) > 0 {
		n := l.closes[0]
		copy(l.closes, l.closes[1:])
		l.closes[len(l.closes)-1] = closeNote{}
		l.closes = l.closes[:len(l.closes)-1]
		l.callClose(n)
	}
}

// runInbox runs up to inboxBudget posted functions and reports whether the
// inbox may hold more.
func (l *loopCore) runInbox() bool {
	n := l.inbox.PopBatch(l.posted)
	for i := 0; i < n; i++ {
		fn := l.posted[i]
		l.posted[i] = nil
		l.safeRun(fn)
	}
	l.flushCloses()
	return n == len(l.posted)
}

// runTimers fires every timer due by now.
func (l *loopCore) runTimers() {
	for l.timers.len() > 0 && l.timers.next() <= l.now {
		t := l.timers.pop()
		if t.fn != nil {
			l.safeRun(t.fn)
			continue
		}
		cn := l.slab.at(t.slot)
		if cn.gen != t.gen || cn.timerAt != t.when || (cn.state != stateOpen && cn.state != stateConnecting) {
			continue // stale
		}
		cn.timerAt = 0
		l.connTimer(t.slot, cn)
	}
	l.flushCloses()
}

// connTimer handles a connection's heap entry surfacing.
func (l *loopCore) connTimer(slot uint32, cn *conn) {
	if cn.state == stateConnecting {
		if cn.connectDeadline != 0 && cn.connectDeadline <= l.now {
			l.connectDone(slot, cn, ErrTimeout)
			return
		}
		l.armTimer(slot, cn)
		return
	}
	if cn.deadline == 0 {
		return
	}
	if cn.deadline > l.now {
		l.armTimer(slot, cn)
		return
	}
	cn.deadline = l.now + cn.timeout
	a := l.callTimeout(slot, cn)
	if cn.state == stateOpen {
		l.armTimer(slot, cn)
	}
	l.apply(slot, cn, a)
}

// waitTimeout returns how long the loop may block: 0 when work is waiting,
// -1 for no limit, else the time to the next timer.
func (l *loopCore) waitTimeout() time.Duration {
	l.waker.Prepare()
	if l.inbox.Len() > 0 || l.stopping.Load() || len(l.closes) > 0 {
		return 0
	}
	next := l.timers.next()
	if next == 0 && l.timers.len() == 0 {
		return -1
	}
	d := time.Duration(next - l.tick())
	if d < 0 {
		return 0
	}
	return d
}

// StopListening implements Reactor.
func (l *loopCore) StopListening() {
	l.slab.each(func(slot uint32, cn *conn) {
		if cn.state == stateListener {
			cn.state = stateClosed
			l.be.closeSocket(slot, cn)
		}
	})
}

// shutdownAll closes every listener and connection when the loop stops.
func (l *loopCore) shutdownAll() {
	l.stopped.Store(true)
	l.slab.each(func(slot uint32, cn *conn) {
		switch cn.state {
		case stateConnecting:
			l.connectDone(slot, cn, ErrReactorStopped)
		case stateOpen:
			l.closeConn(slot, cn, ErrReactorStopped)
		case stateListener:
			cn.state = stateClosed
			l.be.closeSocket(slot, cn)
		}
	})
	l.flushCloses()
	// Posted functions that raced with Stop still run, so none is lost.
	for l.inbox.Len() > 0 || l.posting.Load() > 0 {
		if l.inbox.Len() == 0 {
			runtime.Gosched()
		}
		l.runInbox()
	}
}

// The call* helpers run one handler callback and turn a panic into Close
// (STYLE.md §4): the connection closes, the loop goes on.

func (l *loopCore) callAccept(lis *conn, slot uint32, cn *conn) (h ConnHandler) {
	defer l.recovered(&h)
	return lis.accept(l.self, cn.handle(slot), cn.remote, cn.local)
}

func (l *loopCore) callOpen(slot uint32, cn *conn, err error) (a Action) {
	defer l.recoveredAction(&a)
	return cn.h.OnOpen(l.self, cn.handle(slot), err)
}

func (l *loopCore) callData(slot uint32, cn *conn, p []byte) (a Action) {
	defer l.recoveredAction(&a)
	return cn.h.OnData(l.self, cn.handle(slot), p)
}

func (l *loopCore) callEOF(slot uint32, cn *conn) (a Action) {
	defer l.recoveredAction(&a)
	return cn.h.OnEOF(l.self, cn.handle(slot))
}

func (l *loopCore) callSent(slot uint32, cn *conn) (a Action) {
	defer l.recoveredAction(&a)
	return cn.h.OnSent(l.self, cn.handle(slot))
}

func (l *loopCore) callTimeout(slot uint32, cn *conn) (a Action) {
	defer l.recoveredAction(&a)
	return cn.h.OnTimeout(l.self, cn.handle(slot))
}

func (l *loopCore) callClose(n closeNote) {
	defer l.recovered(nil)
	if n.opened {
		n.h.OnClose(l.self, n.c, n.err)
	} else {
		n.h.OnOpen(l.self, n.c, n.err)
	}
}

func (l *loopCore) safeRun(fn func()) {
	defer l.recovered(nil)
	fn()
}

func (l *loopCore) recoveredAction(a *Action) {
	if r := recover(); r != nil {
		l.panicked(r)
		*a = Close
	}
}

func (l *loopCore) recovered(h *ConnHandler) {
	if r := recover(); r != nil {
		l.panicked(r)
		if h != nil {
			*h = nil
		}
	}
}

func (l *loopCore) panicked(r any) {
	l.stats.Panics++
	if l.opts.Logf != nil {
		l.opts.Logf("iouring: handler panic (connection closed): %v\n%s", r, debug.Stack())
	}
}

func (l *loopCore) logf(format string, args ...any) {
	if l.opts.Logf != nil {
		l.opts.Logf(format, args...)
	}
}
