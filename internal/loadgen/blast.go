package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BlastOptions configure Blast. Server and Messages are required.
type BlastOptions struct {
	// Server is the host:port to send to. Required.
	Server string
	// Messages is how many messages to send. Required, > 0.
	Messages int
	// Connections is how many connections send at once; default 1. Each
	// sends message after message, taking the next number from a shared
	// counter, so a slow connection holds no message back.
	Connections int
	// Size is the body size in bytes (after the header), made of readable
	// text lines of at most 78 characters; default 0, an empty body.
	Size int
	// Rcpts is the recipients per message; default 1.
	Rcpts int
	// Rate caps the messages started per second over all connections; 0,
	// the default, sends as fast as the server answers.
	Rate float64
	// From is the envelope sender and From header; default
	// "blast@blast.localhost".
	From string
	// To are the recipients, taken in turn; when Rcpts exceeds len(To), the
	// rest are made up as rcptN@ the domain of To[0]. Default
	// "rcpt@sink.localhost".
	To []string
	// Helo is the EHLO name; default "blast.localhost".
	Helo string
	// StartTLS asks for STARTTLS when the server offers it, without
	// checking its certificate: this is a load tool measuring a server the
	// user points it at, not a delivery client that must not be fooled. A
	// failed handshake makes that connection's successor go on in plaintext.
	StartTLS bool
	// Timeout bounds each wait: the dial, the TLS handshake, and every
	// write and reply; default 30 s.
	Timeout time.Duration
	// Progress, when set, is called with the messages finished so far and
	// Messages, at most about ten times a second and once at the end, from
	// one goroutine.
	Progress func(done, total int)
}

// BlastResult is what Blast measured.
type BlastResult struct {
	// Sent is the messages whose MAIL was written; Accepted those whose
	// final reply was 2xx, Refused 4xx or 5xx, Failed those without a
	// final reply (their connection broke), Unsent those never started
	// (every connection gave up, or ctx ended).
	Sent, Accepted, Refused, Failed, Unsent int
	// RcptsAccepted and RcptsRefused count the recipients' own replies.
	RcptsAccepted, RcptsRefused int
	// Errors is the connection-level failures, ConnErrors the same by
	// reason ("dial", "greeting 554", "timeout", "closed", ...).
	Errors     int
	ConnErrors map[string]int
	// Duration runs from the start to the last final reply.
	Duration time.Duration
	// MsgsPerSec is Accepted over Duration.
	MsgsPerSec float64
	// Latency is per message with a final reply, from writing its MAIL to
	// reading that reply.
	Latency Latency
	// Codes counts the messages by final reply code: "250" -> 998.
	Codes map[string]int
}

// Latency holds percentiles of the per-message latency.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// maxConnFailures is how many connections in a row a worker may lose
// without finishing a message before it gives up.
const maxConnFailures = 10

// Blast sends o.Messages messages to o.Server and reports what happened.
// The error is for options that cannot work; a server that refuses or
// fails is reported in the result.
func Blast(ctx context.Context, o BlastOptions) (*BlastResult, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	b := &blastRun{o: o, body: textBody(o.Size), start: time.Now(), doneCh: make(chan struct{})}
	b.rcpts = recipients(o.To, o.Rcpts)
	b.msgID = strconv.FormatInt(b.start.UnixNano(), 36)
	var wg sync.WaitGroup
	workers := make([]*worker, o.Connections)
	for i := range workers {
		workers[i] = &worker{b: b}
		wg.Add(1)
		go func() {
			defer wg.Done()
			workers[i].run(ctx)
		}()
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		b.progress()
	}()
	wg.Wait()
	close(b.doneCh)
	<-progressDone
	return b.result(workers), nil
}

// fill applies defaults and checks the options.
func (o *BlastOptions) fill() error {
	switch {
	case o.Server == "":
		return errors.New("loadgen: blast: no server")
	case o.Messages <= 0:
		return errors.New("loadgen: blast: messages must be > 0")
	case o.Connections < 0, o.Size < 0, o.Rcpts < 0, o.Rate < 0, o.Timeout < 0:
		return errors.New("loadgen: blast: connections, size, rcpts, rate and timeout cannot be negative")
	}
	if _, _, err := net.SplitHostPort(o.Server); err != nil {
		return fmt.Errorf("loadgen: blast: server %q: %w", o.Server, err)
	}
	o.Connections = min(max(o.Connections, 1), o.Messages)
	o.Rcpts = max(o.Rcpts, 1)
	if o.From == "" {
		o.From = "blast@blast.localhost"
	}
	if len(o.To) == 0 {
		o.To = []string{"rcpt@sink.localhost"}
	}
	for _, a := range append([]string{o.From}, o.To...) {
		if strings.ContainsAny(a, "<> \r\n") {
			return fmt.Errorf("loadgen: blast: bad address %q", a)
		}
	}
	if o.Helo == "" {
		o.Helo = "blast.localhost"
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	return nil
}

// blastRun is the state shared by one Blast's connections.
type blastRun struct {
	o      BlastOptions
	body   []byte   // shared, read-only
	rcpts  []string // the recipient cycle
	msgID  string   // makes Message-IDs unique to the run
	start  time.Time
	next   atomic.Int64 // next message number to hand out
	done   atomic.Int64 // messages with an outcome
	last   atomic.Int64 // nanoseconds after start of the latest final reply
	doneCh chan struct{}
}

// take hands out the next message number, or false when all are taken.
// Under a Rate, message n may not start before start + n/Rate.
func (b *blastRun) take(ctx context.Context) (int, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	n := b.next.Add(1) - 1
	if n >= int64(b.o.Messages) {
		return 0, false
	}
	if b.o.Rate > 0 {
		at := b.start.Add(time.Duration(float64(n) / b.o.Rate * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return 0, false
			}
		}
	}
	return int(n), true
}

// finish records one message's outcome time.
func (b *blastRun) finish() {
	b.done.Add(1)
	now := int64(time.Since(b.start))
	for {
		l := b.last.Load()
		if now <= l || b.last.CompareAndSwap(l, now) {
			return
		}
	}
}

// progress calls Progress every 100 ms while the count moves, and once at
// the end.
func (b *blastRun) progress() {
	if b.o.Progress == nil {
		return
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	shown := int64(-1)
	for {
		select {
		case <-b.doneCh:
			b.o.Progress(int(b.done.Load()), b.o.Messages)
			return
		case <-tick.C:
			if n := b.done.Load(); n != shown {
				shown = n
				b.o.Progress(int(n), b.o.Messages)
			}
		}
	}
}

// result adds up the workers' tallies.
func (b *blastRun) result(workers []*worker) *BlastResult {
	r := &BlastResult{ConnErrors: map[string]int{}, Codes: map[string]int{}}
	var lat []time.Duration
	var codes [1000]int
	for _, w := range workers {
		r.Sent += w.sent
		r.Accepted += w.accepted
		r.Refused += w.refused
		r.Failed += w.failed
		r.RcptsAccepted += w.rcptOK
		r.RcptsRefused += w.rcptNo
		r.Errors += w.errors
		for k, v := range w.connErrs {
			r.ConnErrors[k] += v
		}
		for c, n := range w.codes {
			codes[c] += n
		}
		lat = append(lat, w.lat...)
	}
	r.Unsent = b.o.Messages - r.Sent
	for c, n := range codes {
		if n > 0 {
			r.Codes[strconv.Itoa(c)] = n
		}
	}
	r.Duration = time.Duration(b.last.Load())
	if r.Duration == 0 {
		r.Duration = time.Since(b.start)
	}
	if s := r.Duration.Seconds(); s > 0 {
		r.MsgsPerSec = float64(r.Accepted) / s
	}
	r.Latency = percentiles(lat)
	return r
}

// percentiles returns the nearest-rank p50, p90, p99 and the maximum.
func percentiles(lat []time.Duration) Latency {
	if len(lat) == 0 {
		return Latency{}
	}
	slices.Sort(lat)
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return lat[min(max(i, 0), len(lat)-1)]
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: lat[len(lat)-1]}
}
