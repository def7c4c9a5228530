package iouring

import (
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// epollReactor is the fallback engine: readiness from epoll (level-triggered)
// turned into the same events the io_uring engine gives. Reads go into one
// loop-wide buffer, so an idle connection owns no buffer; writes queued during
// an iteration are flushed once per connection after the events are handled,
// which batches a pipelined reply into one write.
type epollReactor struct {
	*loopCore
	epfd   int
	sig    *eventSignal
	events []unix.EpollEvent
	rbuf   []byte
	// dirty lists connections with output queued since the last flush.
	dirty []Conn
}

// wakeSlot marks the eventfd's epoll entry; no slab slot has this number.
const wakeSlot = ^uint32(0)

// acceptBudget bounds the connections accepted per listener event (fairness).
const acceptBudget = 64

func newEpoll(opts Options) (*epollReactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	sig, err := newEventSignal()
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	e := &epollReactor{loopCore: &loopCore{}, epfd: epfd, sig: sig,
		events: make([]unix.EpollEvent, 1024), rbuf: make([]byte, opts.BufferSize)}
	e.init(e, e, EngineEpoll, opts, sig)
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1} // uint32(-1) == wakeSlot
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, sig.fd, &ev); err != nil {
		sig.close()
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return e, nil
}

// setMask registers or updates cn's interest mask.
func (e *epollReactor) setMask(slot uint32, cn *conn, mask uint32) error {
	if cn.registered && cn.emask == mask {
		return nil
	}
	ev := unix.EpollEvent{Events: mask, Fd: int32(slot), Pad: int32(cn.gen)}
	op := unix.EPOLL_CTL_MOD
	if !cn.registered {
		op = unix.EPOLL_CTL_ADD
	}
	if err := unix.EpollCtl(e.epfd, op, cn.fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	cn.registered, cn.emask = true, mask
	return nil
}

// wantMask is the interest cn needs now.
func wantMask(cn *conn) uint32 {
	var m uint32
	if cn.armed {
		m |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if cn.sendBusy || cn.state == stateConnecting {
		m |= unix.EPOLLOUT
	}
	return m
}

func (e *epollReactor) update(slot uint32, cn *conn) {
	if err := e.setMask(slot, cn, wantMask(cn)); err != nil {
		e.fail(slot, cn, err)
	}
}

func (e *epollReactor) Listen(addr netip.AddrPort, accept AcceptFunc) (netip.AddrPort, error) {
	fd, bound, err := listenSocket(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	slot, cn, err := e.newConn(fd, stateListener, nil)
	if err != nil {
		unix.Close(fd)
		return netip.AddrPort{}, err
	}
	cn.accept, cn.local = accept, bound
	if err := e.setMask(slot, cn, unix.EPOLLIN); err != nil {
		unix.Close(fd)
		e.slab.release(slot)
		return netip.AddrPort{}, err
	}
	return bound, nil
}

func (e *epollReactor) Connect(remote netip.AddrPort, local netip.Addr, timeout time.Duration, h ConnHandler) (Conn, error) {
	fd, err := dialSocket(remote, local)
	if err != nil {
		return 0, err
	}
	slot, cn, err := e.newConn(fd, stateConnecting, h)
	if err != nil {
		unix.Close(fd)
		return 0, err
	}
	cn.remote = remote
	c := cn.handle(slot)
	err = unix.Connect(fd, sockaddr(remote))
	switch err {
	case nil, unix.EINPROGRESS:
		// Success is seen as writability, so OnOpen runs from the loop.
		if err := e.setMask(slot, cn, unix.EPOLLOUT); err != nil {
			e.connectDone(slot, cn, err)
			return c, nil
		}
	default:
		e.connectDone(slot, cn, os.NewSyscallError("connect", err))
		return c, nil
	}
	if timeout > 0 {
		cn.connectDeadline = e.tick() + int64(timeout)
		e.armTimer(slot, cn)
	}
	return c, nil
}

func (e *epollReactor) closeSocket(slot uint32, cn *conn) {
	if cn.fd >= 0 {
		// close removes the fd from the epoll set.
		unix.Close(cn.fd)
		cn.fd = -1
	}
	e.slab.release(slot)
}

func (e *epollReactor) startSend(slot uint32, cn *conn) {
	cn.sendBusy = true
	e.dirty = append(e.dirty, cn.handle(slot))
}

func (e *epollReactor) setRecv(slot uint32, cn *conn, on bool) {
	if cn.armed == on {
		return
	}
	cn.armed = on
	if cn.state == stateOpen && (cn.registered || on) {
		e.update(slot, cn)
	}
}

func (e *epollReactor) shutdownWrite(slot uint32, cn *conn) {
	if err := unix.Shutdown(cn.fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
		e.fail(slot, cn, os.NewSyscallError("shutdown", err))
	}
}

// flushDirty writes the output queued since the last flush.
func (e *epollReactor) flushDirty() {
	for i := 0; i < len(e.dirty); i++ {
		c := e.dirty[i]
		cn := e.slab.get(c)
		if cn == nil || cn.state != stateOpen || !cn.sendBusy || cn.emask&unix.EPOLLOUT != 0 {
			continue
		}
		e.write(c.slot(), cn)
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
}

// write writes cn's output until done or the socket is full.
func (e *epollReactor) write(slot uint32, cn *conn) {
	for cn.state == stateOpen {
		if !e.nextOutput(cn) {
			cn.sendBusy = false
			e.update(slot, cn)
			return
		}
		buf := cn.sending[cn.sent:]
		n, err := unix.Write(cn.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			e.update(slot, cn) // sendBusy is set: EPOLLOUT
			return
		}
		if err != nil {
			e.fail(slot, cn, os.NewSyscallError("write", err))
			return
		}
		if n < len(buf) {
			e.stats.BytesWritten += uint64(n)
			cn.sent += n
			e.update(slot, cn)
			return
		}
		if cn.sent+n == len(cn.sending) && len(cn.pending) == 0 {
			cn.sendBusy = false
			if cn.emask&unix.EPOLLOUT != 0 {
				e.update(slot, cn)
			}
			e.wrote(slot, cn, n) // may queue more output and call startSend
			return
		}
		e.stats.BytesWritten += uint64(n)
		cn.sent += n
	}
}

func (e *epollReactor) Run() error {
	defer close(e.done)
	for !e.stopping.Load() {
		e.tick()
		e.runInbox()
		e.runTimers()
		e.flushDirty()
		e.flushCloses()
		e.publish()
		ms := -1
		if d := e.waitTimeout(); d >= 0 {
			ms = int((d + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(e.epfd, e.events, ms)
		e.stats.Submits++
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			e.shutdownAll()
			e.release()
			return os.NewSyscallError("epoll_wait", err)
		}
		e.tick()
		e.stats.Events += uint64(n)
		for i := 0; i < n; i++ {
			e.dispatch(&e.events[i])
		}
		e.flushDirty()
		e.flushCloses()
	}
	e.shutdownAll()
	e.flushDirty()
	e.release()
	return nil
}

func (e *epollReactor) release() {
	e.publish()
	unix.Close(e.epfd)
	e.sig.close()
}

// dispatch turns one readiness event into reactor events.
func (e *epollReactor) dispatch(ev *unix.EpollEvent) {
	slot := uint32(ev.Fd)
	if slot == wakeSlot {
		e.sig.drain()
		return
	}
	if slot >= e.slab.n {
		return
	}
	cn := e.slab.at(slot)
	if cn.gen != uint32(ev.Pad) {
		return // an event for a connection that has since closed
	}
	switch cn.state {
	case stateListener:
		e.acceptReady(slot, cn)
	case stateConnecting:
		e.connectReady(slot, cn)
	case stateOpen:
		e.connReady(slot, cn, ev.Events)
	}
}

func (e *epollReactor) acceptReady(lslot uint32, lis *conn) {
	for i := 0; i < acceptBudget && lis.state == stateListener; i++ {
		fd, sa, err := unix.Accept4(lis.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return
		default:
			// EMFILE and friends: stop listening for a moment rather
			// than spin on a socket we cannot accept from.
			e.logf("iouring: accept: %v (pausing the listener 100ms)", err)
			e.pauseListener(lslot, lis)
			return
		}
		setNoDelay(fd)
		slot, cn, err := e.newConn(fd, stateOpen, nil)
		if err != nil {
			unix.Close(fd)
			continue
		}
		cn.remote = addrPort(sa)
		if lsa, err := unix.Getsockname(fd); err == nil {
			cn.local = addrPort(lsa)
		}
		e.accepted(lis, slot, cn)
		e.flushCloses()
	}
}

func (e *epollReactor) pauseListener(slot uint32, lis *conn) {
	if err := e.setMask(slot, lis, 0); err != nil {
		return
	}
	gen := lis.gen
	e.AfterFunc(100*time.Millisecond, func() {
		if l := e.slab.at(slot); l.gen == gen && l.state == stateListener {
			_ = e.setMask(slot, l, unix.EPOLLIN)
		}
	})
}

func (e *epollReactor) connectReady(slot uint32, cn *conn) {
	if err := socketError(cn.fd, "connect"); err != nil {
		e.connectDone(slot, cn, err)
		return
	}
	cn.remote, cn.local = connAddrs(cn.fd)
	e.connectDone(slot, cn, nil)
	if cn.state == stateOpen {
		e.update(slot, cn) // drop the connect's EPOLLOUT unless output waits
	}
}

func (e *epollReactor) connReady(slot uint32, cn *conn, events uint32) {
	if events&unix.EPOLLERR != 0 {
		if err := socketError(cn.fd, "recv"); err != nil {
			e.fail(slot, cn, err)
			return
		}
	}
	if events&unix.EPOLLOUT != 0 && cn.sendBusy {
		e.write(slot, cn)
		if cn.state != stateOpen {
			return
		}
	}
	if cn.armed && events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		e.read(slot, cn)
		return
	}
	if !cn.armed && events&unix.EPOLLHUP != 0 && !cn.sendBusy {
		// Hung up while we are not reading: park the socket outside the
		// epoll set so level-triggered HUP does not spin; ResumeRecv (via
		// setRecv) adds it back.
		_ = unix.EpollCtl(e.epfd, unix.EPOLL_CTL_DEL, cn.fd, nil)
		cn.registered, cn.emask = false, 0
	}
}

// read does one read per event, so a busy connection cannot starve the rest.
func (e *epollReactor) read(slot uint32, cn *conn) {
	n, err := unix.Read(cn.fd, e.rbuf)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
	case err != nil:
		e.fail(slot, cn, os.NewSyscallError("read", err))
	case n == 0:
		e.peerEOF(slot, cn)
	default:
		e.data(slot, cn, e.rbuf[:n])
	}
}
