package iouring

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// connState is where a slab slot is in its life.
type connState uint8

const (
	stateFree       connState = iota
	stateListener             // a listening socket
	stateConnecting           // Connect submitted, OnOpen not yet delivered
	stateOpen                 // OnOpen delivered
	stateClosed               // closed; the slot waits for in-flight operations
)

// conn is one slab slot: a listener or a connection. It is owned by the loop.
type conn struct {
	fd    int
	gen   uint32
	state connState
	// draining: stop reading, close once the output is written.
	draining bool
	// paused: PauseRecv is in effect.
	paused bool
	// eof: the peer's FIN was seen.
	eof bool
	// shutdownWanted: Shutdown was asked; done once the output is written.
	shutdownWanted, shutdownDone bool

	h      ConnHandler
	accept AcceptFunc

	// sending is being written (owned by the kernel under io_uring until
	// its completion); sent counts its bytes already written. pending is
	// appended to by Send and swapped in when sending is done.
	sending []byte
	sent    int
	pending []byte

	// timeout is the idle period; deadline is when it fires (monotonic ns,
	// 0: none); timerAt is when the connection's live heap entry fires (0:
	// none). Entries with another time are stale and skipped.
	timeout  int64
	deadline int64
	timerAt  int64

	remote, local netip.AddrPort

	// inflight counts io_uring operations whose completion has not yet
	// arrived; the slot is reused only at zero. epoll keeps it at 0.
	inflight int32
	// armed: a receive (multishot or readiness) is active.
	armed bool
	// sendBusy: a send operation is in flight (io_uring) or EPOLLOUT is wanted (epoll).
	sendBusy bool
	// connectDeadline is when a pending Connect times out (monotonic ns, 0: none).
	connectDeadline int64

	// io_uring only: the receive operation's state, data that arrived
	// after PauseRecv (delivered at ResumeRecv), and the memory a pending
	// Connect's operations point at.
	recv     recvState
	held     []byte
	dialArgs *dialArgs

	// epoll only: the interest mask registered, and whether the fd is in
	// the epoll set at all (a hung-up, non-reading socket is parked outside it).
	emask      uint32
	registered bool
}

// handle returns the connection's current handle.
func (cn *conn) handle(slot uint32) Conn { return makeConn(slot, cn.gen) }

// outLen is the number of queued, unwritten bytes.
func (cn *conn) outLen() int { return len(cn.sending) - cn.sent + len(cn.pending) }

// slabChunk is the number of slots allocated at a time. Chunks never move,
// so a *conn stays valid while the slab grows.
const slabChunk = 1024

// slab holds every listener and connection of a reactor, indexed by slot.
type slab struct {
	chunks [][]conn
	free   []uint32
	n      uint32 // slots handed out so far (free ones included)
	limit  uint32
}

// alloc returns a fresh slot in state st with a new generation.
func (s *slab) alloc(st connState) (uint32, *conn, error) {
	var slot uint32
	if n := len(s.free); n > 0 {
		slot = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		if s.limit != 0 && s.n >= s.limit {
			return 0, nil, ErrTooManyConns
		}
		slot = s.n
		s.n++
		if int(slot/slabChunk) == len(s.chunks) {
			s.chunks = append(s.chunks, make([]conn, slabChunk))
		}
	}
	cn := s.at(slot)
	gen := (cn.gen + 1) & genMask
	if gen == 0 {
		gen = 1
	}
	*cn = conn{fd: -1, gen: gen, state: st}
	return slot, cn, nil
}

// at returns the slot's record, whatever its state.
func (s *slab) at(slot uint32) *conn { return &s.chunks[slot/slabChunk][slot%slabChunk] }

// get returns the record c names, or nil if c is stale or out of range.
func (s *slab) get(c Conn) *conn {
	slot := c.slot()
	if slot >= s.n {
		return nil
	}
	cn := s.at(slot)
	if cn.gen != c.gen() || cn.state == stateFree || cn.state == stateClosed {
		return nil
	}
	return cn
}

// release frees a closed slot once nothing refers to it. The generation is
// kept, so the next alloc makes every old handle stale.
func (s *slab) release(slot uint32) {
	cn := s.at(slot)
	gen := cn.gen
	*cn = conn{fd: -1, gen: gen, state: stateFree}
	s.free = append(s.free, slot)
}

// each calls fn for every slot in use.
func (s *slab) each(fn func(slot uint32, cn *conn)) {
	for slot := uint32(0); slot < s.n; slot++ {
		if cn := s.at(slot); cn.state != stateFree {
			fn(slot, cn)
		}
	}
}

// recvState tracks a connection's multishot receive.
type recvState uint8

const (
	recvIdle       recvState = iota // no receive submitted
	recvActive                      // multishot receive in flight
	recvCancelling                  // cancel submitted, final CQE pending
)

// dialArgs is memory the kernel reads when a Connect's SQEs are submitted.
type dialArgs struct {
	sa      unix.RawSockaddrAny
	saLen   uint32
	timeout unix.Timespec
}
