//go:build linux

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The client is the parent process and the same for every server, so that
// the server is the only variable. Each connection runs a closed loop: send
// one request, wait for its reply, check it byte for byte, send the next.

// Phases of a run, read by the client's handlers on every reply.
const (
	phaseIdle    int32 = iota // connected, nothing sent yet
	phaseWarm                 // requests flow, nothing is recorded
	phaseMeasure              // requests flow and are recorded
	phaseStop                 // replies are taken, no new request is sent
)

// clientConfig says what a client connects to and sends.
type clientConfig struct {
	addr  netip.AddrPort
	conns int
	loops int // event loops of the reactor client
	work  workload
	// oneShot makes each connection send one request as soon as it opens
	// and then stay open, idle: the idle-memory measurement. Connections
	// that go quiet one by one, as they do in service, rather than a burst
	// of 10,000 requests at once that would charge the burst's transient
	// buffers to the idle connections.
	oneShot bool
}

// client is a set of open connections driven through the phases.
type client interface {
	// dial opens every connection, failing if that takes longer than timeout.
	dial(timeout time.Duration) error
	// kick starts the closed loop: the first request on every connection.
	kick() error
	// setPhase moves every connection to phase p (phaseWarm and later).
	setPhase(p int32)
	// answered counts connections whose one-shot reply has arrived
	// (clientConfig.oneShot).
	answered() int64
	// close closes every connection and returns what was recorded in
	// phaseMeasure.
	close(timeout time.Duration) (clientResult, error)
}

// clientResult is what a client recorded.
type clientResult struct {
	hist     hist
	requests uint64
	errors   uint64
	firstErr error
}

// clientKind names the client in the report.
var clientKind = "epoll reactor"

// newClient starts the reactor client, or the Go net client when the epoll
// reactor cannot be created (said once on stderr and in the report).
func newClient(cfg clientConfig) (client, error) {
	c, err := newReactorClient(cfg)
	if err == nil {
		return c, nil
	}
	fallbackOnce.Do(func() {
		clientKind = "Go net (fallback)"
		fmt.Fprintf(os.Stderr, "iobench: epoll reactor client unavailable (%v); falling back to a Go net client, which may bottleneck at high connection counts\n", err)
	})
	return newGonetClient(cfg), nil
}

var fallbackOnce sync.Once

// errNote keeps the first error of a client, from any goroutine.
type errNote struct {
	mu    sync.Mutex
	first error
	count atomic.Uint64
}

func (e *errNote) note(err error) {
	e.count.Add(1)
	e.mu.Lock()
	if e.first == nil {
		e.first = err
	}
	e.mu.Unlock()
}

func (e *errNote) get() (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count.Load(), e.first
}

// errBadReply is a reply that is not the one the request asks for.
var errBadReply = errors.New("unexpected reply")
