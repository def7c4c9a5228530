// Package tlspipe runs TLS for a connection that lives on a shard's loop.
// crypto/tls blocks, so after STARTTLS the connection's ciphertext goes
// through an iouring.NetConn to two goroutines: a reader that decrypts and
// posts plaintext to the loop, and a writer that encrypts what the loop
// hands it. The protocol session (inbound or outbound SMTP) stays on the
// loop, the same code as in the clear (DESIGN.md, TLS).
//
// Responsibility: the handshake, the two goroutines, flow control between
// them and the loop, and their end with the connection.
//
// Not responsible for: certificates and policy (the caller's tls.Config),
// the protocol spoken inside.
//
// Concurrency: Start, Send, Grant and Closed run on the loop; the Handler's
// methods are posted to the loop. The reader posts one chunk, then waits
// for credit, which the session grants once it has consumed the chunk and
// is not waiting for work off the loop, so a peer cannot run ahead by more
// than one chunk, as PauseRecv bounds it in the clear.
//
// Failure behaviour: a failed handshake is reported once (TLSFailed) and
// the connection is closed; a write that fails closes it; a loop that
// cannot hand the writer a reply at once (the peer does not read) closes
// the connection rather than block.
package tlspipe

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/volleymta/volley/iouring"
)

// Handler is the session's side. Every method runs on the loop.
type Handler interface {
	// TLSUp reports the finished handshake; grant credit to start reading.
	TLSUp(state *tls.ConnectionState)
	// TLSFailed reports a failed handshake; the connection is closing.
	TLSFailed(err error)
	// TLSInput delivers decrypted bytes (owned by the handler).
	TLSInput(data []byte)
	// TLSEOF reports the end of the peer's input: close_notify, EOF or an error.
	TLSEOF(err error)
}

// Pipe is one connection's TLS.
type Pipe struct {
	r  iouring.Reactor
	c  iouring.Conn
	nc *iouring.NetConn
	// out carries writes to the writer; the loop only sends (never
	// blocking) and closes it when the connection closes.
	out    chan write
	credit chan struct{}
	done   chan struct{}
	closed bool
}

type write struct {
	data       []byte
	closeAfter bool
}

// outDepth bounds writes queued for the writer. The reader's credit keeps
// the loop at one chunk of input, so a handful at most is ever in flight.
const outDepth = 64

// Start takes over connection c of r (on its loop) for TLS: wrap makes the
// client or server side (tls.Client or tls.Server over the given conn);
// the handshake must end within timeout. From now on the connection's
// handler forwards OnData, OnEOF, OnSent and OnClose to the Pipe.
func Start(r iouring.Reactor, c iouring.Conn, wrap func(net.Conn) *tls.Conn, timeout time.Duration, h Handler) *Pipe {
	nc := iouring.NewNetConn(r, nil)
	nc.OnOpen(r, c, nil)
	p := &Pipe{r: r, c: c, nc: nc, out: make(chan write, outDepth), credit: make(chan struct{}, 1), done: make(chan struct{})}
	go p.serve(wrap(nc), timeout, h)
	return p
}

// serve runs the handshake, starts the writer and becomes the reader.
func (p *Pipe) serve(tc *tls.Conn, timeout time.Duration, h Handler) {
	_ = tc.SetDeadline(time.Now().Add(timeout))
	if err := tc.Handshake(); err != nil {
		_ = p.r.Post(func() { h.TLSFailed(err) })
		_ = p.nc.Close()
		return
	}
	_ = tc.SetDeadline(time.Time{})
	state := tc.ConnectionState()
	go p.write(tc)
	if p.r.Post(func() { h.TLSUp(&state) }) != nil {
		return
	}
	buf := make([]byte, 16<<10)
	for {
		select {
		case <-p.credit:
		case <-p.done:
			return
		}
		n, err := tc.Read(buf)
		if n > 0 {
			data := append([]byte(nil), buf[:n]...)
			if p.r.Post(func() { h.TLSInput(data) }) != nil {
				return
			}
		}
		if err != nil {
			_ = p.r.Post(func() { h.TLSEOF(err) })
			return
		}
		if n == 0 {
			p.Grant() // nothing consumed the credit
		}
	}
}

// write encrypts in order; closeAfter sends close_notify and closes the
// connection after what is queued.
func (p *Pipe) write(tc *tls.Conn) {
	for w := range p.out {
		if len(w.data) > 0 {
			if _, err := tc.Write(w.data); err != nil {
				_ = p.nc.Close()
				return
			}
		}
		if w.closeAfter {
			_ = tc.Close()
			return
		}
	}
}

// Grant lets the reader read one more chunk; never blocks.
func (p *Pipe) Grant() {
	select {
	case p.credit <- struct{}{}:
	default:
	}
}

// Send queues data (owned by the pipe from now on) for the writer and,
// with closeAfter, ends the connection once it is written. It never
// blocks: a writer that far behind belongs to a peer that does not read,
// and the connection is closed (Send reports false).
func (p *Pipe) Send(data []byte, closeAfter bool) bool {
	if p.closed {
		return false
	}
	select {
	case p.out <- write{data: data, closeAfter: closeAfter}:
		return true
	default:
		_ = p.r.Close(p.c)
		return false
	}
}

// OnData, OnEOF and OnSent are the connection's events, forwarded by its handler.
func (p *Pipe) OnData(r iouring.Reactor, c iouring.Conn, b []byte) iouring.Action {
	return p.nc.OnData(r, c, b)
}
func (p *Pipe) OnEOF(r iouring.Reactor, c iouring.Conn) iouring.Action { return p.nc.OnEOF(r, c) }
func (p *Pipe) OnSent(r iouring.Reactor, c iouring.Conn) iouring.Action {
	return p.nc.OnSent(r, c)
}

// Closed is the connection's OnClose, forwarded: it releases the goroutines.
func (p *Pipe) Closed(r iouring.Reactor, c iouring.Conn, err error) {
	if p.closed {
		return
	}
	p.closed = true
	p.nc.OnClose(r, c, err)
	close(p.out)
	close(p.done)
}
