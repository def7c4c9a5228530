package iouring

import (
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// NetConn adapts a reactor connection to net.Conn, so that code which must
// block, crypto/tls above all, runs on its own goroutine while the shard does
// the I/O (DESIGN.md, TLS). Use it as the connection's ConnHandler: return
// NewNetConn from an AcceptFunc, or call DialNetConn.
//
// Concurrency: the ConnHandler methods run on the loop; Read, Write and the
// rest run on any goroutine. They meet under mu, and a writer hands its bytes
// to the loop with Post and waits until the loop has queued them, so Write
// copies nothing itself and never runs ahead of the socket by more than
// highWater bytes.
type NetConn struct {
	Base
	r Reactor
	c Conn

	// ready, when set, is called on the loop once the connection is open.
	ready func(*NetConn)

	mu        sync.Mutex
	rbuf      []byte // received, not yet Read
	rerr      error  // io.EOF or the error that ended the connection
	paused    bool   // receive paused because rbuf is full
	pending   int    // bytes queued in the reactor, as of the last report
	closed    bool   // OnClose has run
	closeErr  error
	rdeadline time.Time
	wdeadline time.Time
	local     netip.AddrPort
	remote    netip.AddrPort

	// readable and writable are signalled (without blocking) when state
	// under mu changes for the reader or the writer; each re-checks. ack
	// carries the loop's answer to a Write.
	readable, writable chan struct{}
	ack                chan error
	opened             chan struct{}
	openErr            error
	// wmu serialises writers, so ack has one reader.
	wmu sync.Mutex
}

const (
	// highWater bounds what a NetConn buffers in each direction.
	highWater = 256 << 10
	// lowWater is where a paused receive resumes.
	lowWater = 64 << 10
)

// NewNetConn returns a NetConn for r; ready (may be nil) is called on the
// loop when the connection opens, typically to start the goroutine that
// serves it.
func NewNetConn(r Reactor, ready func(*NetConn)) *NetConn {
	return &NetConn{r: r, ready: ready, readable: make(chan struct{}, 1), writable: make(chan struct{}, 1),
		ack: make(chan error, 1), opened: make(chan struct{})}
}

// DialNetConn connects through r from any goroutine and waits for the outcome.
func DialNetConn(r Reactor, remote netip.AddrPort, local netip.Addr, timeout time.Duration) (*NetConn, error) {
	nc := NewNetConn(r, nil)
	errc := make(chan error, 1)
	if err := r.Post(func() {
		_, err := r.Connect(remote, local, timeout, nc)
		errc <- err
	}); err != nil {
		return nil, err
	}
	select {
	case err := <-errc:
		if err != nil {
			return nil, err
		}
	case <-r.Done():
		return nil, ErrReactorStopped
	}
	select {
	case <-nc.opened:
	case <-r.Done():
		return nil, ErrReactorStopped
	}
	if nc.openErr != nil {
		return nil, nc.openErr
	}
	return nc, nil
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// signal wakes both directions' waiters.
func (nc *NetConn) signal() {
	notify(nc.readable)
	notify(nc.writable)
}

// OnOpen implements ConnHandler.
func (nc *NetConn) OnOpen(r Reactor, c Conn, err error) Action {
	nc.c = c
	if err != nil {
		nc.openErr = err
		close(nc.opened)
		return Close
	}
	remote, local, _ := r.Addrs(c)
	nc.mu.Lock()
	nc.remote, nc.local = remote, local
	nc.mu.Unlock()
	close(nc.opened)
	if nc.ready != nil {
		nc.ready(nc)
	}
	return Continue
}

// OnData implements ConnHandler: buffer, and pause the socket when full.
func (nc *NetConn) OnData(r Reactor, c Conn, p []byte) Action {
	nc.mu.Lock()
	nc.rbuf = append(nc.rbuf, p...)
	if len(nc.rbuf) >= highWater && !nc.paused {
		nc.paused = true
		_ = r.PauseRecv(c)
	}
	nc.mu.Unlock()
	notify(nc.readable)
	return Continue
}

// OnEOF implements ConnHandler: Read returns io.EOF after the buffered bytes;
// writing goes on until Close.
func (nc *NetConn) OnEOF(Reactor, Conn) Action {
	nc.mu.Lock()
	if nc.rerr == nil {
		nc.rerr = io.EOF
	}
	nc.mu.Unlock()
	notify(nc.readable)
	return Continue
}

// OnSent implements ConnHandler: blocked writers may go on.
func (nc *NetConn) OnSent(Reactor, Conn) Action {
	nc.mu.Lock()
	nc.pending = 0
	nc.mu.Unlock()
	notify(nc.writable)
	return Continue
}

// OnTimeout implements ConnHandler; NetConn uses deadlines instead.
func (nc *NetConn) OnTimeout(Reactor, Conn) Action { return Continue }

// OnClose implements ConnHandler.
func (nc *NetConn) OnClose(_ Reactor, _ Conn, err error) {
	nc.mu.Lock()
	nc.closed = true
	nc.closeErr = err
	if nc.rerr == nil {
		nc.rerr = io.EOF
		if err != nil {
			nc.rerr = err
		}
	}
	nc.mu.Unlock()
	nc.signal()
}

// wait blocks until state changes, the deadline passes or the reactor stops.
// It returns os.ErrDeadlineExceeded or net.ErrClosed for those two.
func (nc *NetConn) wait(ch chan struct{}, deadline time.Time) error {
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ch:
		return nil
	case <-timeout:
		return os.ErrDeadlineExceeded
	case <-nc.r.Done():
		return net.ErrClosed
	}
}

// Read implements net.Conn.
func (nc *NetConn) Read(b []byte) (int, error) {
	for {
		nc.mu.Lock()
		if len(nc.rbuf) > 0 {
			n := copy(b, nc.rbuf)
			nc.rbuf = nc.rbuf[n:]
			if len(nc.rbuf) == 0 {
				nc.rbuf = nil
			}
			resume := nc.paused && len(nc.rbuf) <= lowWater
			if resume {
				nc.paused = false
			}
			nc.mu.Unlock()
			if resume {
				_ = nc.r.Post(func() { _ = nc.r.ResumeRecv(nc.c) })
			}
			return n, nil
		}
		if nc.rerr != nil {
			err := nc.rerr
			nc.mu.Unlock()
			return 0, err
		}
		deadline := nc.rdeadline
		nc.mu.Unlock()
		if err := nc.wait(nc.readable, deadline); err != nil {
			return 0, nc.opError("read", err)
		}
	}
}

// Write implements net.Conn. It returns once the loop has queued b.
func (nc *NetConn) Write(b []byte) (int, error) {
	nc.wmu.Lock()
	defer nc.wmu.Unlock()
	written := 0
	for written < len(b) {
		nc.mu.Lock()
		closed, full, deadline := nc.closed, nc.pending >= highWater, nc.wdeadline
		nc.mu.Unlock()
		if closed {
			return written, nc.opError("write", net.ErrClosed)
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return written, nc.opError("write", os.ErrDeadlineExceeded)
		}
		if full {
			if err := nc.wait(nc.writable, deadline); err != nil {
				return written, nc.opError("write", err)
			}
			continue
		}
		chunk := b[written:]
		if len(chunk) > highWater {
			chunk = chunk[:highWater]
		}
		if err := nc.r.Post(func() {
			err := nc.r.Send(nc.c, chunk)
			nc.mu.Lock()
			nc.pending = nc.r.Pending(nc.c)
			nc.mu.Unlock()
			nc.ack <- err
		}); err != nil {
			return written, nc.opError("write", net.ErrClosed)
		}
		select {
		case err := <-nc.ack:
			if err != nil {
				return written, nc.opError("write", net.ErrClosed)
			}
		case <-nc.r.Done():
			return written, nc.opError("write", net.ErrClosed)
		}
		written += len(chunk)
	}
	return written, nil
}

func (nc *NetConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: net.TCPAddrFromAddrPort(nc.local),
		Addr: net.TCPAddrFromAddrPort(nc.remote), Err: err}
}

// Close implements net.Conn: queued output is still sent, then the socket closes.
func (nc *NetConn) Close() error {
	nc.mu.Lock()
	closed := nc.closed
	nc.closed = true
	if nc.rerr == nil {
		nc.rerr = net.ErrClosed
	}
	nc.mu.Unlock()
	nc.signal()
	if closed {
		return nil
	}
	if err := nc.r.Post(func() { _ = nc.r.Drain(nc.c) }); err != nil {
		return nil // the reactor has stopped and closed the socket
	}
	return nil
}

// CloseWrite half-closes the connection after the queued output.
func (nc *NetConn) CloseWrite() error {
	return nc.r.Post(func() { _ = nc.r.Shutdown(nc.c) })
}

// LocalAddr implements net.Conn.
func (nc *NetConn) LocalAddr() net.Addr {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return net.TCPAddrFromAddrPort(nc.local)
}

// RemoteAddr implements net.Conn.
func (nc *NetConn) RemoteAddr() net.Addr {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return net.TCPAddrFromAddrPort(nc.remote)
}

// SetDeadline implements net.Conn.
func (nc *NetConn) SetDeadline(t time.Time) error { return nc.setDeadlines(&t, &t) }

// SetReadDeadline implements net.Conn.
func (nc *NetConn) SetReadDeadline(t time.Time) error { return nc.setDeadlines(&t, nil) }

// SetWriteDeadline implements net.Conn.
func (nc *NetConn) SetWriteDeadline(t time.Time) error { return nc.setDeadlines(nil, &t) }

// setDeadlines sets the given deadlines and wakes the waiters to re-check them.
func (nc *NetConn) setDeadlines(read, write *time.Time) error {
	nc.mu.Lock()
	if read != nil {
		nc.rdeadline = *read
	}
	if write != nil {
		nc.wdeadline = *write
	}
	nc.mu.Unlock()
	nc.signal()
	return nil
}

var _ net.Conn = (*NetConn)(nil)
