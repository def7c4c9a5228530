package iouring

import (
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// uringReactor is the io_uring engine. Design:
//   - Completion-driven: multishot accept per listener, one multishot receive
//     per connection selecting buffers from a provided buffer ring (so an
//     idle connection owns no buffer), one send in flight per connection.
//   - Every SQE prepared in an iteration goes to the kernel in the one
//     io_uring_enter that also waits, and completions are reaped in batches
//     with one CQ advance per batch (liburing io_uring_peek_batch_cqe /
//     io_uring_cq_advance).
//   - user_data is op (8 bits) | generation (24) | slot (32): a completion
//     for a slot that has been reused carries an old generation and is dropped.
//   - A slot is reused only when no operation refers to it (inflight == 0),
//     because the kernel may still read its send buffer.
//   - The ring is single-issuer with deferred task running where the kernel
//     allows, created disabled and enabled on the loop's own thread.
//
// Rejected alternative: one recv with a per-connection buffer, which costs
// BufferSize bytes per idle connection.
type uringReactor struct {
	*loopCore
	ring  *giouring.Ring
	flags uint32
	sig   *eventSignal
	// wakeBuf receives the eventfd's counter.
	wakeBuf [8]byte

	br      *giouring.BufAndRing
	brMask  int
	bufs    []byte
	bufSize int
	// brReturned counts buffers added back since the last advance.
	brReturned int

	cqes []*giouring.CompletionQueueEvent
	ts   syscall.Timespec
	// resumed lists connections with held data to deliver.
	resumed []Conn
	// ops is inFlight's scratch list.
	ops [4]uint8
}

// Operation kinds in the top byte of user_data.
const (
	opAccept uint8 = iota + 1
	opRecv
	opSend
	opConnect
	opLinkTimeout
	opCancel
	opClose
	opWake
)

const bufGroup = 1

func userData(op uint8, gen, slot uint32) uint64 {
	return uint64(op)<<56 | uint64(gen&genMask)<<32 | uint64(slot)
}

func newURing(opts Options) (Reactor, error) {
	ring, flags, err := setupRing(opts.Entries)
	if err != nil {
		return nil, err
	}
	sig, err := newEventSignal()
	if err != nil {
		ring.QueueExit()
		return nil, err
	}
	_ = unix.SetNonblock(sig.fd, false) // the ring's read waits on it
	u := &uringReactor{loopCore: &loopCore{}, ring: ring, flags: flags, sig: sig,
		cqes: make([]*giouring.CompletionQueueEvent, 512)}
	u.init(u, u, EngineIOUring, opts, sig)
	if err := u.setupBuffers(opts.Buffers, opts.BufferSize); err != nil {
		sig.close()
		ring.QueueExit()
		return nil, err
	}
	return u, nil
}

// setupRing creates a ring with the best flags the kernel takes:
// single issuer + deferred task running (6.1), else cooperative task running
// (5.19), else none.
func setupRing(entries uint32) (*giouring.Ring, uint32, error) {
	var last error
	for _, flags := range []uint32{
		giouring.SetupSingleIssuer | giouring.SetupDeferTaskrun | giouring.SetupRDisabled | giouring.SetupSubmitAll,
		giouring.SetupCoopTaskrun | giouring.SetupSubmitAll,
		0,
	} {
		ring := giouring.NewRing()
		if err := ring.QueueInit(entries, flags); err != nil {
			last = err
			continue
		}
		return ring, flags, nil
	}
	return nil, 0, os.NewSyscallError("io_uring_setup", last)
}

// setupBuffers registers the provided buffer ring (liburing io_uring_setup_buf_ring).
func (u *uringReactor) setupBuffers(n, size int) error {
	n = roundUpPow2(n)
	br, err := u.ring.SetupBufRing(uint32(n), bufGroup, 0)
	if err != nil {
		return os.NewSyscallError("io_uring_register_buf_ring", err)
	}
	u.br, u.brMask, u.bufSize = br, giouring.BufRingMask(uint32(n)), size
	u.bufs = make([]byte, n*size)
	for i := 0; i < n; i++ {
		br.BufRingAdd(uintptr(unsafe.Pointer(&u.bufs[i*size])), uint32(size), uint16(i), u.brMask, i)
	}
	br.BufRingAdvance(n)
	return nil
}

func roundUpPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	if p > 1<<15 {
		p = 1 << 15
	}
	return p
}

// sqe returns a zeroed submission entry, submitting first if the queue is full.
func (u *uringReactor) sqe() *giouring.SubmissionQueueEntry {
	for {
		if e := u.ring.GetSQE(); e != nil {
			*e = giouring.SubmissionQueueEntry{}
			return e
		}
		u.stats.SQFull++
		if _, err := u.ring.Submit(); err != nil && err != unix.EINTR && err != unix.EBUSY && err != unix.EAGAIN {
			u.logf("iouring: submit on full queue: %v", err)
		}
	}
}

func (u *uringReactor) prep(op uint8, slot uint32, cn *conn, opcode uint8, fd int, addr uintptr, n uint32) *giouring.SubmissionQueueEntry {
	e := u.sqe()
	e.OpCode, e.Fd, e.Addr, e.Len = opcode, int32(fd), uint64(addr), n
	e.UserData = userData(op, cn.gen, slot)
	cn.inflight++
	return e
}

func (u *uringReactor) Listen(addr netip.AddrPort, accept AcceptFunc) (netip.AddrPort, error) {
	fd, bound, err := listenSocket(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	_ = unix.SetNonblock(fd, false)
	slot, cn, err := u.newConn(fd, stateListener, nil)
	if err != nil {
		unix.Close(fd)
		return netip.AddrPort{}, err
	}
	cn.accept, cn.local = accept, bound
	u.armAccept(slot, cn)
	return bound, nil
}

// armAccept submits a multishot accept (liburing io_uring_prep_multishot_accept).
func (u *uringReactor) armAccept(slot uint32, cn *conn) {
	e := u.prep(opAccept, slot, cn, giouring.OpAccept, cn.fd, 0, 0)
	e.OpcodeFlags = unix.SOCK_CLOEXEC
	e.IoPrio = giouring.AcceptMultishot
}

func (u *uringReactor) Connect(remote netip.AddrPort, local netip.Addr, timeout time.Duration, h ConnHandler) (Conn, error) {
	fd, err := dialSocket(remote, local)
	if err != nil {
		return 0, err
	}
	_ = unix.SetNonblock(fd, false)
	slot, cn, err := u.newConn(fd, stateConnecting, h)
	if err != nil {
		unix.Close(fd)
		return 0, err
	}
	cn.remote = remote
	da := &dialArgs{}
	da.saLen = rawSockaddr(remote, &da.sa)
	cn.dialArgs = da
	// liburing io_uring_prep_connect, linked to io_uring_prep_link_timeout.
	e := u.prep(opConnect, slot, cn, giouring.OpConnect, fd, uintptr(unsafe.Pointer(&da.sa)), 0)
	e.Off = uint64(da.saLen)
	if timeout > 0 {
		e.Flags |= giouring.SqeIOLink
		da.timeout = unix.NsecToTimespec(int64(timeout))
		t := u.prep(opLinkTimeout, slot, cn, giouring.OpLinkTimeout, -1, uintptr(unsafe.Pointer(&da.timeout)), 1)
		_ = t
	}
	return cn.handle(slot), nil
}

// rawSockaddr fills sa for ap and returns its length.
func rawSockaddr(ap netip.AddrPort, sa *unix.RawSockaddrAny) uint32 {
	a := ap.Addr()
	port := ap.Port()
	if a.Is4() || a.Is4In6() {
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		p.Family = unix.AF_INET
		p.Port = port<<8 | port>>8
		p.Addr = a.Unmap().As4()
		return unix.SizeofSockaddrInet4
	}
	p := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
	p.Family = unix.AF_INET6
	p.Port = port<<8 | port>>8
	p.Addr = a.As16()
	return unix.SizeofSockaddrInet6
}

func (u *uringReactor) closeSocket(slot uint32, cn *conn) {
	if cn.fd >= 0 {
		// Cancel what is in flight on the socket, then close it (the kernel
		// holds the socket open while a multishot receive refers to it).
		// Each cancel names its operation's user_data, which the kernel
		// finds by hash: a cancel by fd matches against every armed request
		// of the ring, and cost 0.3 ms of kernel CPU per close with 20,000
		// connections open. Hard links: the close runs even when a cancel
		// finds nothing (its operation completed meanwhile).
		for _, op := range u.inFlight(cn) {
			e := u.prep(opCancel, slot, cn, giouring.OpAsyncCancel, -1, uintptr(userData(op, cn.gen, slot)), 0)
			e.Flags |= giouring.SqeIOHardlink
		}
		u.prep(opClose, slot, cn, giouring.OpClose, cn.fd, 0, 0)
		cn.fd = -1
	}
	u.maybeRelease(slot, cn)
}

// inFlight lists the operations that may be in flight on cn's socket: the
// listener's multishot accept, a connect (with its linked timeout, which
// goes with it), the multishot receive (also while a cancel of it is on
// its way) and the one send.
func (u *uringReactor) inFlight(cn *conn) []uint8 {
	ops := u.ops[:0]
	if cn.accept != nil {
		ops = append(ops, opAccept)
	}
	if cn.dialArgs != nil {
		ops = append(ops, opConnect)
	}
	if cn.recv != recvIdle {
		ops = append(ops, opRecv)
	}
	if cn.sendBusy {
		ops = append(ops, opSend)
	}
	return ops
}

// maybeRelease frees a closed slot once its last completion has arrived.
func (u *uringReactor) maybeRelease(slot uint32, cn *conn) {
	if cn.state == stateClosed && cn.fd < 0 && cn.inflight == 0 {
		u.slab.release(slot)
	}
}

func (u *uringReactor) startSend(slot uint32, cn *conn) {
	if !u.nextOutput(cn) {
		return
	}
	cn.sendBusy = true
	buf := cn.sending[cn.sent:]
	// liburing io_uring_prep_send; MSG_NOSIGNAL turns SIGPIPE into EPIPE.
	e := u.prep(opSend, slot, cn, giouring.OpSend, cn.fd, uintptr(unsafe.Pointer(&buf[0])), uint32(len(buf)))
	e.OpcodeFlags = unix.MSG_NOSIGNAL
}

func (u *uringReactor) setRecv(slot uint32, cn *conn, on bool) {
	cn.armed = on
	if on {
		if len(cn.held) > 0 {
			u.resumed = append(u.resumed, cn.handle(slot))
			return
		}
		if cn.recv == recvIdle {
			u.armRecv(slot, cn)
		}
		return
	}
	if cn.recv == recvActive {
		// liburing io_uring_prep_cancel64 on the receive's user_data.
		e := u.prep(opCancel, slot, cn, giouring.OpAsyncCancel, -1, uintptr(userData(opRecv, cn.gen, slot)), 0)
		_ = e
		cn.recv = recvCancelling
	}
}

// armRecv submits a multishot receive selecting from the buffer ring
// (liburing io_uring_prep_recv_multishot with IOSQE_BUFFER_SELECT).
func (u *uringReactor) armRecv(slot uint32, cn *conn) {
	e := u.prep(opRecv, slot, cn, giouring.OpRecv, cn.fd, 0, 0)
	e.IoPrio = giouring.RecvMultishot
	e.Flags |= giouring.SqeBufferSelect
	e.BufIG = bufGroup
	cn.recv = recvActive
}

func (u *uringReactor) shutdownWrite(slot uint32, cn *conn) {
	if err := unix.Shutdown(cn.fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
		u.fail(slot, cn, os.NewSyscallError("shutdown", err))
	}
}

func (u *uringReactor) armWake() {
	e := u.sqe()
	e.OpCode, e.Fd = giouring.OpRead, int32(u.sig.fd)
	e.Addr, e.Len = uint64(uintptr(unsafe.Pointer(&u.wakeBuf[0]))), 8
	e.UserData = userData(opWake, 0, 0)
}

func (u *uringReactor) Run() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(u.done)
	if u.flags&giouring.SetupRDisabled != 0 {
		// The single issuer is the thread that enables the ring.
		if _, err := u.ring.EnableRings(); err != nil {
			u.release()
			return os.NewSyscallError("io_uring_register enable rings", err)
		}
	}
	u.armWake()
	var runErr error
	for !u.stopping.Load() {
		u.tick()
		u.runInbox()
		u.runTimers()
		u.deliverHeld()
		u.flushCloses()
		u.returnBuffers()
		u.publish()
		if err := u.submitAndWait(u.waitTimeout()); err != nil {
			runErr = err
			break
		}
		u.tick()
		u.reap()
	}
	u.shutdownAll()
	u.drainOps()
	u.release()
	return runErr
}

// submitAndWait submits what is queued and waits for one completion or d
// (0: no wait, <0: no limit).
func (u *uringReactor) submitAndWait(d time.Duration) error {
	u.stats.Submits++
	var err error
	switch {
	case d == 0:
		_, err = u.ring.SubmitAndGetEvents()
	case d < 0:
		_, err = u.ring.SubmitAndWait(1)
	default:
		u.ts = syscall.NsecToTimespec(int64(d))
		_, err = u.ring.SubmitAndWaitTimeout(1, &u.ts, nil)
	}
	switch err {
	case nil, unix.ETIME, unix.EINTR, unix.EAGAIN, unix.EBUSY:
		return nil
	}
	return os.NewSyscallError("io_uring_enter", err)
}

// reap handles every completion ready, one CQ advance per batch.
func (u *uringReactor) reap() {
	for {
		n := int(u.ring.PeekBatchCQE(u.cqes))
		for i := 0; i < n; i++ {
			c := u.cqes[i]
			u.dispatch(c.UserData, c.Res, c.Flags)
		}
		u.ring.CQAdvance(uint32(n))
		u.stats.Events += uint64(n)
		u.returnBuffers()
		u.flushCloses()
		if n < len(u.cqes) {
			return
		}
	}
}

func (u *uringReactor) dispatch(ud uint64, res int32, flags uint32) {
	op := uint8(ud >> 56)
	if op == opWake {
		u.armWake()
		return
	}
	slot, gen := uint32(ud), uint32(ud>>32)&genMask
	if slot >= u.slab.n {
		return
	}
	cn := u.slab.at(slot)
	if cn.gen != gen || cn.state == stateFree {
		u.dropBuffer(res, flags)
		return
	}
	more := flags&giouring.CQEFMore != 0
	if !more {
		cn.inflight--
	}
	switch op {
	case opAccept:
		u.onAccept(slot, cn, res, more)
	case opRecv:
		u.onRecv(slot, cn, res, flags, more)
	case opSend:
		u.onSend(slot, cn, res)
	case opConnect:
		u.onConnect(slot, cn, res)
	}
	// opLinkTimeout, opCancel and opClose need only the inflight count.
	if cn.state == stateClosed {
		u.maybeRelease(slot, cn)
	}
}

// dropBuffer gives back the buffer of a completion nobody will read.
func (u *uringReactor) dropBuffer(res int32, flags uint32) {
	if flags&giouring.CQEFBuffer != 0 {
		u.giveBuffer(uint16(flags >> giouring.CQEBufferShift))
	}
}

func (u *uringReactor) giveBuffer(bid uint16) {
	off := int(bid) * u.bufSize
	u.br.BufRingAdd(uintptr(unsafe.Pointer(&u.bufs[off])), uint32(u.bufSize), bid, u.brMask, u.brReturned)
	u.brReturned++
}

// returnBuffers publishes the buffers given back since the last call
// (liburing io_uring_buf_ring_advance); done before every wait.
func (u *uringReactor) returnBuffers() {
	if u.brReturned > 0 {
		u.br.BufRingAdvance(u.brReturned)
		u.brReturned = 0
	}
}

func (u *uringReactor) onAccept(lslot uint32, lis *conn, res int32, more bool) {
	if lis.state != stateListener {
		if res >= 0 {
			unix.Close(int(res))
		}
		return
	}
	if res < 0 {
		err := unix.Errno(-res)
		if !more {
			if err == unix.ECANCELED {
				return
			}
			u.logf("iouring: accept: %v (re-arming in 100ms)", err)
			gen := lis.gen
			u.AfterFunc(100*time.Millisecond, func() {
				if l := u.slab.at(lslot); l.gen == gen && l.state == stateListener {
					u.armAccept(lslot, l)
				}
			})
		}
		return
	}
	if !more {
		u.armAccept(lslot, lis)
	}
	fd := int(res)
	setNoDelay(fd)
	slot, cn, err := u.newConn(fd, stateOpen, nil)
	if err != nil {
		unix.Close(fd)
		return
	}
	cn.remote, cn.local = connAddrs(fd)
	u.accepted(lis, slot, cn)
}

func (u *uringReactor) onRecv(slot uint32, cn *conn, res int32, flags uint32, more bool) {
	if !more {
		cn.recv = recvIdle
	}
	if flags&giouring.CQEFBuffer != 0 {
		bid := uint16(flags >> giouring.CQEBufferShift)
		if res > 0 && cn.state == stateOpen {
			p := u.bufs[int(bid)*u.bufSize : int(bid)*u.bufSize+int(res)]
			if cn.armed && len(cn.held) == 0 {
				u.data(slot, cn, p)
			} else {
				// Arrived after PauseRecv: keep it for ResumeRecv.
				cn.held = append(cn.held, p...)
			}
		}
		u.giveBuffer(bid)
	}
	if cn.state != stateOpen {
		return
	}
	switch {
	case res == 0:
		u.peerEOF(slot, cn)
		return
	case res == -int32(unix.ENOBUFS):
		u.stats.NoBuffers++
	case res == -int32(unix.ECANCELED):
	case res < 0:
		u.fail(slot, cn, os.NewSyscallError("recv", unix.Errno(-res)))
		return
	}
	if !more && cn.armed && !cn.eof && len(cn.held) == 0 {
		u.armRecv(slot, cn)
	}
}

func (u *uringReactor) onSend(slot uint32, cn *conn, res int32) {
	cn.sendBusy = false
	if cn.state != stateOpen {
		return
	}
	if res < 0 {
		u.fail(slot, cn, os.NewSyscallError("send", unix.Errno(-res)))
		return
	}
	u.wrote(slot, cn, int(res))
}

func (u *uringReactor) onConnect(slot uint32, cn *conn, res int32) {
	if cn.state != stateConnecting {
		return
	}
	cn.dialArgs = nil
	switch {
	case res == 0:
		cn.remote, cn.local = connAddrs(cn.fd)
		u.connectDone(slot, cn, nil)
	case res == -int32(unix.ECANCELED):
		u.connectDone(slot, cn, ErrTimeout) // the linked timeout fired
	default:
		u.connectDone(slot, cn, os.NewSyscallError("connect", unix.Errno(-res)))
	}
}

// deliverHeld hands data held during a pause to connections resumed since.
func (u *uringReactor) deliverHeld() {
	for i := 0; i < len(u.resumed); i++ {
		c := u.resumed[i]
		cn := u.slab.get(c)
		if cn == nil || cn.state != stateOpen || !cn.armed || len(cn.held) == 0 {
			continue
		}
		held := cn.held
		cn.held = nil
		u.data(c.slot(), cn, held)
		if cn.state == stateOpen && cn.armed && !cn.eof && cn.recv == recvIdle {
			u.armRecv(c.slot(), cn)
		}
	}
	clear(u.resumed)
	u.resumed = u.resumed[:0]
}

// drainOps waits, after shutdownAll, for the completions of every operation
// still in flight, so no kernel write lands in memory after the reactor is
// gone. Bounded: a cancelled operation completes promptly.
func (u *uringReactor) drainOps() {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		pending := false
		u.slab.each(func(_ uint32, cn *conn) {
			if cn.inflight > 0 {
				pending = true
			}
		})
		if !pending {
			return
		}
		if err := u.submitAndWait(10 * time.Millisecond); err != nil {
			return
		}
		u.reap()
	}
}

func (u *uringReactor) release() {
	u.publish()
	if u.br != nil {
		_ = u.ring.FreeBufRing(bufGroup)
	}
	u.ring.QueueExit()
	u.sig.close()
}
