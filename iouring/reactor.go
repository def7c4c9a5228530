package iouring

import (
	"errors"
	"net/netip"
	"time"
)

// Engine names a reactor implementation.
type Engine uint8

const (
	// EngineAuto picks io_uring when the probe passes and epoll otherwise.
	EngineAuto Engine = iota
	// EngineIOUring is the io_uring reactor.
	EngineIOUring
	// EngineEpoll is the epoll reactor.
	EngineEpoll
	engineCount
)

var engineNames = [engineCount]string{"auto", "io_uring", "epoll"}

func (e Engine) String() string {
	if e < engineCount {
		return engineNames[e]
	}
	return "engine(?)"
}

// ParseEngine maps the config value of `io-engine` (auto, io_uring or epoll) to an Engine.
func ParseEngine(s string) (Engine, error) {
	for i, n := range engineNames {
		if s == n {
			return Engine(i), nil
		}
	}
	if s == "iouring" || s == "io-uring" {
		return EngineIOUring, nil
	}
	return 0, errors.New("iouring: unknown io engine " + quote(s) + " (want auto, io_uring or epoll)")
}

func quote(s string) string { return "\"" + s + "\"" }

// Action is what a handler asks the reactor to do with its connection next.
type Action uint8

const (
	// Continue keeps the connection open.
	Continue Action = iota
	// Close closes the connection at once; queued output is dropped.
	Close
	// Drain stops reading, sends what is queued, then closes.
	Drain
	actionCount
)

var actionNames = [actionCount]string{"continue", "close", "drain"}

func (a Action) String() string {
	if a < actionCount {
		return actionNames[a]
	}
	return "action(?)"
}

// Conn is a reactor's handle for one connection: a slab slot and a generation.
// A handle whose connection has closed is stale: methods given a stale handle
// return ErrStale and do nothing, so a late event can never reach a new
// connection that reuses the slot. The zero Conn is never valid.
type Conn uint64

func makeConn(slot uint32, gen uint32) Conn { return Conn(uint64(gen&genMask)<<32 | uint64(slot)) }

func (c Conn) slot() uint32 { return uint32(c) }
func (c Conn) gen() uint32  { return uint32(c>>32) & genMask }

// genMask keeps generations to 24 bits so that a generation, a slot and an
// 8-bit operation kind fit in one io_uring user_data word.
const genMask = 1<<24 - 1

// ConnHandler receives a connection's events. Every method runs on the
// reactor's loop goroutine, never inside a Reactor method call, and returns
// quickly: no blocking syscall, no DNS, no fsync. Embed Base for defaults.
type ConnHandler interface {
	// OnOpen reports an accepted connection (err is nil) or the outcome of
	// Connect. When err is not nil the connection never opened, the handle is
	// already stale and no other event follows.
	OnOpen(r Reactor, c Conn, err error) Action
	// OnData delivers received bytes. p is borrowed: it is valid only until
	// OnData returns, so copy what you keep.
	OnData(r Reactor, c Conn, p []byte) Action
	// OnEOF reports that the peer closed its sending side. The connection
	// may still send; return Drain to close after the queued output.
	OnEOF(r Reactor, c Conn) Action
	// OnSent reports that every byte queued by Send has been written.
	OnSent(r Reactor, c Conn) Action
	// OnTimeout reports that no data arrived within the SetTimeout period.
	OnTimeout(r Reactor, c Conn) Action
	// OnClose is the last event of an opened connection. err is nil when
	// this side closed it, else the I/O error that ended it (ECONNRESET,
	// EPIPE, ErrReactorStopped).
	OnClose(r Reactor, c Conn, err error)
}

// Base is a ConnHandler whose methods do the usual thing: keep going, close
// after the peer's EOF and on timeout. Embed it and override what you need.
type Base struct{}

func (Base) OnOpen(Reactor, Conn, error) Action  { return Continue }
func (Base) OnData(Reactor, Conn, []byte) Action { return Continue }
func (Base) OnEOF(Reactor, Conn) Action          { return Drain }
func (Base) OnSent(Reactor, Conn) Action         { return Continue }
func (Base) OnTimeout(Reactor, Conn) Action      { return Close }
func (Base) OnClose(Reactor, Conn, error)        {}

// AcceptFunc is called on the loop for each accepted connection and returns
// its handler; nil refuses the connection (it is closed at once). OnOpen of
// the returned handler follows.
type AcceptFunc func(r Reactor, c Conn, remote, local netip.AddrPort) ConnHandler

// Reactor is one event loop: it owns its sockets and runs every callback on
// the goroutine that called Run. Except Post, Stop, Engine and Stats, its
// methods may be called only from that goroutine (from inside callbacks or
// posted functions). Both engines give the same events in the same order for
// the same input; the conformance suite holds them to it.
type Reactor interface {
	// Engine tells which implementation this is.
	Engine() Engine
	// Listen binds a TCP listener with SO_REUSEPORT (so every shard can bind
	// the same address) and accepts on it until the reactor stops. Port 0
	// picks a free port; the bound address is returned.
	Listen(addr netip.AddrPort, accept AcceptFunc) (netip.AddrPort, error)
	// StopListening closes every listener of this reactor; connections
	// already accepted go on. New clients are refused by the kernel (or,
	// with SO_REUSEPORT, reach another reactor still listening). The
	// first step of a graceful stop.
	StopListening()
	// Connect opens a TCP connection to remote from the local source address
	// (the zero Addr lets the kernel choose). The outcome arrives in
	// h.OnOpen; timeout (0: none) bounds the attempt and yields ErrTimeout.
	Connect(remote netip.AddrPort, local netip.Addr, timeout time.Duration, h ConnHandler) (Conn, error)
	// Send queues a copy of p for writing. Partial writes are continued
	// by the reactor; OnSent follows when the queue is empty.
	Send(c Conn, p []byte) error
	// Pending returns the number of bytes queued and not yet written.
	Pending(c Conn) int
	// Shutdown half-closes the connection once its queued output is written.
	Shutdown(c Conn) error
	// Close closes the connection at once, dropping queued output; OnClose
	// follows with a nil error.
	Close(c Conn) error
	// Drain stops reading and closes the connection once its queued output
	// is written, as returning Drain from a callback does.
	Drain(c Conn) error
	// SetTimeout sets the idle period after which OnTimeout fires if no data
	// arrives; each arrival restarts it. 0 turns it off.
	SetTimeout(c Conn, d time.Duration) error
	// PauseRecv stops delivering OnData (and reading) until ResumeRecv.
	PauseRecv(c Conn) error
	// ResumeRecv undoes PauseRecv.
	ResumeRecv(c Conn) error
	// Addrs returns the connection's remote and local addresses.
	Addrs(c Conn) (remote, local netip.AddrPort, err error)
	// AfterFunc runs fn on the loop once d has passed.
	AfterFunc(d time.Duration, fn func())
	// Post runs fn on the loop soon. Safe from any goroutine; it wakes the
	// loop (coalesced). It waits while the inbox is full and returns
	// ErrReactorStopped once the reactor has stopped. Never call it from the
	// loop itself when the inbox may be full: call fn directly instead.
	Post(fn func()) error
	// Run runs the loop on the calling goroutine until Stop, then closes
	// every connection (OnClose with ErrReactorStopped) and listener and
	// releases the reactor's resources. The caller should have called
	// runtime.LockOSThread.
	Run() error
	// Stop asks Run to return. Safe from any goroutine.
	Stop()
	// Stats returns a snapshot of the counters. Safe from any goroutine.
	Stats() Stats
	// Done is closed when Run has returned. Safe from any goroutine.
	Done() <-chan struct{}

	core() *loopCore
}

// Options configure a reactor. The zero value is usable.
type Options struct {
	// Engine chooses the implementation (default EngineAuto).
	Engine Engine
	// Entries is the io_uring submission queue size (default 4096).
	Entries uint32
	// BufferSize is the size of each receive buffer (default 16 KiB).
	BufferSize int
	// Buffers is the number of receive buffers in the io_uring provided
	// buffer ring, a power of two (default 1024).
	Buffers int
	// InboxSize is the capacity of the Post inbox (default 4096).
	InboxSize int
	// Logf, when set, receives the one line saying which engine was chosen and why.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Entries == 0 {
		o.Entries = 4096
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 16 << 10
	}
	if o.Buffers <= 0 {
		o.Buffers = 1024
	}
	if o.InboxSize <= 0 {
		o.InboxSize = 4096
	}
	return o
}

// Stats are a reactor's counters, written by its loop and read with atomics.
type Stats struct {
	Accepted, Connected, ConnectFailed, Closed uint64
	BytesRead, BytesWritten                    uint64
	// Submits counts io_uring_enter or epoll_wait calls; Events counts
	// completions or readiness events handled.
	Submits, Events uint64
	// SQFull counts times the submission queue was full and had to be
	// flushed mid-iteration; NoBuffers counts receives that found the
	// provided buffer ring empty and were re-armed.
	SQFull, NoBuffers uint64
	// Panics counts handler panics recovered (each closed its connection).
	Panics uint64
}

var (
	// ErrStale is returned for a handle whose connection has closed.
	ErrStale = errors.New("iouring: stale connection handle")
	// ErrTimeout is the OnOpen error of a Connect that timed out.
	ErrTimeout = errors.New("iouring: timed out")
	// ErrReactorStopped is returned by Post after Stop and given to OnClose
	// of connections still open when the reactor stops.
	ErrReactorStopped = errors.New("iouring: reactor stopped")
	// ErrTooManyConns is returned when the connection slab is full.
	ErrTooManyConns = errors.New("iouring: too many connections")
	// ErrUnavailable says the requested engine cannot run here.
	ErrUnavailable = errors.New("iouring: engine unavailable")
)
