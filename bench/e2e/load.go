package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load client opens conns connections to a server; each sends messages
// one after the other (pipelining MAIL, RCPT and DATA when the server offers
// it), taking the next message number from a shared counter, so a slow or
// stalled connection holds no messages back. It records the inject latency of
// every message: from writing MAIL to reading the 250 after the data.

const (
	mailFrom = "bench@source.bench.test"
	rcptTo   = "rcpt@sink.bench.test"
	// transientRetries is how often a message answered with 4xx is tried again
	// (after retryPause) before it counts as refused.
	transientRetries = 50
	retryPause       = 100 * time.Millisecond
	// loadStall is how long the load waits for any answer before it fails.
	loadStall = 60 * time.Second
)

// loadSpec is one cell's load.
type loadSpec struct {
	addr  string
	conns int
	msgs  int
	size  int
	cell  uint32
	// timeout bounds the whole load; a server that stops answering fails the
	// cell instead of hanging the suite.
	timeout time.Duration
}

// loadResult is what the load client saw.
type loadResult struct {
	start    time.Time
	lastAck  time.Time
	acked    int
	refused  int // answered 5xx, or 4xx transientRetries times
	retries  int // 4xx answers retried
	lost     int // in flight when the connection failed: unknown outcome
	inject   []int64
	errs     []string // the first few distinct errors
	unserved int      // connections that never got to send a message
}

// template is one message of the cell: a header with fixed-width
// placeholders for the per-message fields, which each connection patches in
// its own copy, and a body shared read-only by every connection of the cell.
type template struct {
	head                  []byte
	body                  []byte
	idAt, sentAt, msgIDAt int // offsets in head of CELL.SEQ, CELL.SEQ and the nanoseconds
}

const (
	cellDigits = 10
	seqDigits  = 10
	nanoDigits = 19
)

// newHead builds the header of a message of cell, with seq 0 and time 0.
func newHead(cell uint32) template {
	var t template
	b := make([]byte, 0, 320)
	b = append(b, "From: <"+mailFrom+">\r\nTo: <"+rcptTo+">\r\nSubject: volley end-to-end benchmark\r\n"...)
	b = append(b, "Date: Sun, 6 Dec 2026 12:00:00 +0000\r\nMessage-ID: <"...)
	t.msgIDAt = len(b)
	b = append(b, make([]byte, cellDigits+1+seqDigits)...)
	b = append(b, "@source.bench.test>\r\nMIME-Version: 1.0\r\nX-Bench-Id: "...)
	t.idAt = len(b)
	b = append(b, make([]byte, cellDigits+1+seqDigits)...)
	b = append(b, "\r\nX-Bench-Sent: "...)
	t.sentAt = len(b)
	b = append(b, make([]byte, nanoDigits)...)
	b = append(b, "\r\n\r\n"...)
	t.head = b
	t.stamp(cell, 0, 0)
	return t
}

// newBody returns a body of exactly n bytes (at least 2): base64 of
// pseudo-random bytes in 76-column lines, like an attachment, so compression
// in a spool gains what it would on real mail and no more. No line starts
// with a dot, so nothing needs stuffing.
func newBody(n int, seed uint64) []byte {
	n = max(n, 2)
	b := make([]byte, 0, n)
	rnd := rand.New(rand.NewPCG(seed, 0x766f6c6c6579))
	raw := make([]byte, 57)
	line := make([]byte, 76)
	for len(b) < n {
		for i := range raw {
			raw[i] = byte(rnd.Uint32())
		}
		base64.StdEncoding.Encode(line, raw)
		rem := n - len(b)
		k := min(len(line), rem-2)
		if rem-k-2 == 1 {
			k-- // a last byte alone cannot make a line
		}
		b = append(b, line[:max(k, 0)]...)
		b = append(b, "\r\n"...)
	}
	return b
}

// messageTemplate returns a connection's copy of the cell's message of size
// bytes in all (header and body, before the terminating dot).
func messageTemplate(cell uint32, body []byte) template {
	t := newHead(cell)
	t.body = body
	return t
}

// putID writes CELL.SEQ at off.
func (t *template) putID(off int, cell uint32, seq int) {
	putDigits(t.head[off:off+cellDigits], uint64(cell))
	t.head[off+cellDigits] = '.'
	putDigits(t.head[off+cellDigits+1:off+cellDigits+1+seqDigits], uint64(seq))
}

// stamp fills in message seq of cell, sent at nanos.
func (t *template) stamp(cell uint32, seq int, nanos int64) {
	t.putID(t.msgIDAt, cell, seq)
	t.putID(t.idAt, cell, seq)
	putDigits(t.head[t.sentAt:t.sentAt+nanoDigits], uint64(nanos))
}

// putDigits writes v in decimal, zero-padded to fill dst.
func putDigits(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// loadRun is the shared state of one cell's load.
type loadRun struct {
	spec    loadSpec
	body    []byte       // shared by every connection
	next    atomic.Int64 // next message number to hand out
	settled atomic.Int64 // messages with a final answer (or lost)
	done    chan struct{}
	once    sync.Once

	mu  sync.Mutex
	res loadResult
}

// runLoad sends the cell's messages and returns when every one has a final
// answer (or the timeout expires). Connections still waiting for a greeting
// then are closed: they had nothing left to send.
func runLoad(ctx context.Context, spec loadSpec) loadResult {
	ctx, cancel := context.WithTimeout(ctx, spec.timeout)
	defer cancel()
	lr := &loadRun{spec: spec, done: make(chan struct{})}
	lr.body = newBody(spec.size-len(newHead(spec.cell).head), uint64(spec.size))
	lr.res.start = time.Now()
	lr.res.inject = make([]int64, 0, spec.msgs)
	var wg sync.WaitGroup
	conns := make(chan net.Conn, spec.conns)
	for i := range spec.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lr.conn(ctx, uint64(i), conns)
		}()
	}
	lr.wait(ctx)
	cancel()
	// Unblock every connection still reading or dialling.
	go func() {
		for c := range conns {
			c.SetDeadline(time.Unix(1, 0))
		}
	}()
	wg.Wait()
	close(conns)
	return lr.res
}

// wait returns when every message has its answer, or fails the load when
// the timeout expires or no answer comes for loadStall.
func (lr *loadRun) wait(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, progress := int64(-1), time.Now()
	for {
		select {
		case <-lr.done:
			return
		case <-ctx.Done():
			lr.fail(fmt.Errorf("load: %d of %d messages answered after %v", lr.settled.Load(), lr.spec.msgs, lr.spec.timeout))
			return
		case now := <-tick.C:
			if n := lr.settled.Load(); n != last {
				last, progress = n, now
			} else if now.Sub(progress) > loadStall {
				lr.fail(fmt.Errorf("load: %d of %d messages answered, and no answer for %v", n, lr.spec.msgs, loadStall))
				return
			}
		}
	}
}

// fail records an error, keeping the first few distinct ones.
func (lr *loadRun) fail(err error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	s := err.Error()
	for _, e := range lr.res.errs {
		if e == s {
			return
		}
	}
	if len(lr.res.errs) < 8 {
		lr.res.errs = append(lr.res.errs, s)
	}
}

// settle counts one message as finished; the last one ends the load.
func (lr *loadRun) settle() {
	if lr.settled.Add(1) == int64(lr.spec.msgs) {
		lr.once.Do(func() { close(lr.done) })
	}
}

func (lr *loadRun) finished() bool {
	select {
	case <-lr.done:
		return true
	default:
		return false
	}
}

// conn is one client connection's life.
func (lr *loadRun) conn(ctx context.Context, id uint64, reg chan<- net.Conn) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp4", lr.spec.addr)
	if err != nil {
		if !lr.finished() {
			lr.fail(fmt.Errorf("connect: %w", err))
		}
		lr.unserved(1)
		return
	}
	defer c.Close()
	reg <- c
	if ctx.Err() != nil {
		return
	}
	r := bufio.NewReaderSize(c, 4<<10)
	w := bufio.NewWriterSize(c, 16<<10)
	cl := client{r: r, w: w}
	pipelining, err := cl.hello()
	if err != nil {
		if !lr.finished() {
			lr.fail(err)
		}
		lr.unserved(1)
		return
	}
	tpl := messageTemplate(lr.spec.cell, lr.body)
	lat := make([]int64, 0, 64)
	sentAny := false
	defer func() {
		lr.mu.Lock()
		lr.res.inject = append(lr.res.inject, lat...)
		if !sentAny {
			lr.res.unserved++
		}
		lr.mu.Unlock()
	}()
	for ctx.Err() == nil {
		seq := int(lr.next.Add(1) - 1)
		if seq >= lr.spec.msgs {
			cl.quit()
			return
		}
		sentAny = true
		for try := 0; ; try++ {
			start := time.Now()
			tpl.stamp(lr.spec.cell, seq, start.UnixNano())
			code, err := cl.send(&tpl, pipelining)
			now := time.Now()
			if err != nil {
				lr.fail(err)
				lr.mu.Lock()
				lr.res.lost++
				lr.mu.Unlock()
				lr.settle()
				return
			}
			if code/100 == 2 {
				lat = append(lat, int64(now.Sub(start)))
				lr.mu.Lock()
				lr.res.acked++
				if now.After(lr.res.lastAck) {
					lr.res.lastAck = now
				}
				lr.mu.Unlock()
				lr.settle()
				break
			}
			if code/100 == 4 && try < transientRetries {
				lr.mu.Lock()
				lr.res.retries++
				lr.mu.Unlock()
				time.Sleep(retryPause)
				continue
			}
			lr.fail(fmt.Errorf("message refused: %d", code))
			lr.mu.Lock()
			lr.res.refused++
			lr.mu.Unlock()
			lr.settle()
			break
		}
	}
}

func (lr *loadRun) unserved(n int) {
	lr.mu.Lock()
	lr.res.unserved += n
	lr.mu.Unlock()
}

// client is the SMTP client side of one connection.
type client struct {
	r *bufio.Reader
	w *bufio.Writer
}

var (
	cmdEHLO = []byte("EHLO load.bench.test\r\n")
	cmdMail = []byte("MAIL FROM:<" + mailFrom + ">\r\n")
	cmdRcpt = []byte("RCPT TO:<" + rcptTo + ">\r\n")
	cmdData = []byte("DATA\r\n")
	cmdDot  = []byte(".\r\n")
	cmdRset = []byte("RSET\r\n")
	cmdQuit = []byte("QUIT\r\n")
)

// reply reads one (possibly multi-line) reply and returns its code; with
// pipe it also reports whether a line announced PIPELINING.
func (cl *client) reply() (code int, pipe bool, err error) {
	for {
		line, err := cl.r.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("reading a reply: %w", err)
		}
		if len(line) < 4 {
			return 0, false, fmt.Errorf("short reply %q", line)
		}
		c, err := strconv.Atoi(string(line[:3]))
		if err != nil {
			return 0, false, fmt.Errorf("bad reply %q", line)
		}
		if len(line) >= 14 && ieq(line[4:14], "PIPELINING") {
			pipe = true
		}
		if line[3] != '-' {
			return c, pipe, nil
		}
	}
}

// hello reads the greeting and says EHLO.
func (cl *client) hello() (pipelining bool, err error) {
	code, _, err := cl.reply()
	if err != nil || code != 220 {
		return false, greetErr(code, err)
	}
	cl.w.Write(cmdEHLO)
	if err := cl.w.Flush(); err != nil {
		return false, err
	}
	code, pipelining, err = cl.reply()
	if err != nil || code != 250 {
		return false, fmt.Errorf("EHLO: %d %v", code, err)
	}
	return pipelining, nil
}

func greetErr(code int, err error) error {
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	return fmt.Errorf("greeting: %d", code)
}

// send runs one transaction and returns the final reply code: the code of
// MAIL, RCPT or DATA when one of them was refused (after an RSET), else the
// code after the data.
func (cl *client) send(t *template, pipelining bool) (int, error) {
	cmds := [3][]byte{cmdMail, cmdRcpt, cmdData}
	want := [3]int{250, 250, 354}
	if pipelining {
		for _, c := range cmds {
			cl.w.Write(c)
		}
		if err := cl.w.Flush(); err != nil {
			return 0, err
		}
		var codes [3]int
		for i := range cmds {
			code, _, err := cl.reply()
			if err != nil {
				return 0, err
			}
			codes[i] = code
		}
		for i, code := range codes {
			if code/100 != want[i]/100 {
				return cl.abort(code, codes[2] == 354)
			}
		}
	} else {
		for i, c := range cmds {
			cl.w.Write(c)
			if err := cl.w.Flush(); err != nil {
				return 0, err
			}
			code, _, err := cl.reply()
			if err != nil {
				return 0, err
			}
			if code/100 != want[i]/100 {
				return cl.rset(code)
			}
		}
	}
	cl.w.Write(t.head)
	cl.w.Write(t.body)
	cl.w.Write(cmdDot)
	if err := cl.w.Flush(); err != nil {
		return 0, err
	}
	code, _, err := cl.reply()
	return code, err
}

// abort ends a pipelined transaction refused before its data: when the
// DATA got its 354 anyway, an empty message is sent first; then RSET.
func (cl *client) abort(code int, inData bool) (int, error) {
	if inData {
		cl.w.Write(cmdDot)
		if err := cl.w.Flush(); err != nil {
			return 0, err
		}
		if _, _, err := cl.reply(); err != nil {
			return 0, err
		}
	}
	return cl.rset(code)
}

// rset resets the session after a refusal and returns the refusal's code.
func (cl *client) rset(code int) (int, error) {
	cl.w.Write(cmdRset)
	if err := cl.w.Flush(); err != nil {
		return 0, err
	}
	if _, _, err := cl.reply(); err != nil {
		return 0, err
	}
	return code, nil
}

func (cl *client) quit() {
	cl.w.Write(cmdQuit)
	if cl.w.Flush() == nil {
		cl.reply()
	}
}
