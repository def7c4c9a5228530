package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The sink is the one SMTP server every relay in the suite delivers to. It
// accepts everything, and for each message it finds the X-Bench-Id and
// X-Bench-Sent headers the load client wrote, so it can tell which cell and
// message arrived (every one exactly once?) and how long after it was sent:
// the end-to-end latency, measured the same way for every server. It does no
// more per message than that, because on two cores its CPU competes with the
// server's (the wire row measures that ceiling).

var (
	hdrID   = []byte("X-Bench-Id:")
	hdrSent = []byte("X-Bench-Sent:")
)

// tally counts the arrivals of one cell: msgs messages numbered 0..msgs-1.
type tally struct {
	cell     uint32
	msgs     int
	seen     []atomic.Bool
	e2e      []int64 // nanoseconds from sent to arrival; slot i written once, by the winner of seen[i]
	count    atomic.Int64
	dups     atomic.Int64
	complete chan struct{} // closed when count reaches msgs
	last     atomic.Int64  // unix nanoseconds of the arrival that completed the cell
}

func newTally(cell uint32, msgs int) *tally {
	return &tally{cell: cell, msgs: msgs, seen: make([]atomic.Bool, msgs),
		e2e: make([]int64, msgs), complete: make(chan struct{})}
}

// arrive records message seq of the tally's cell, arrived at now.
func (t *tally) arrive(seq int, sent, now int64) {
	if seq < 0 || seq >= t.msgs {
		return
	}
	if !t.seen[seq].CompareAndSwap(false, true) {
		t.dups.Add(1)
		return
	}
	t.e2e[seq] = now - sent
	if t.count.Add(1) == int64(t.msgs) {
		t.last.Store(now)
		close(t.complete)
	}
}

// latencies returns the end-to-end latencies of the messages that arrived.
// Call it once the cell is over; count's atomic orders it after the writes.
func (t *tally) latencies() []int64 {
	out := make([]int64, 0, t.count.Load())
	for i := range t.seen {
		if t.seen[i].Load() {
			out = append(out, t.e2e[i])
		}
	}
	return out
}

// sink is the SMTP server at the end of every path.
type sink struct {
	ln      net.Listener
	cur     atomic.Pointer[tally]
	foreign atomic.Int64 // messages of another cell (a late duplicate)
	unknown atomic.Int64 // messages without X-Bench-Id (a bounce, say)
	conns   atomic.Int64 // connections accepted, all cells
	wg      sync.WaitGroup
	mu      sync.Mutex
	open    map[net.Conn]struct{}
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, open: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *sink) addr() string { return s.ln.Addr().String() }

func (s *sink) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// expect makes t the cell whose messages the sink counts.
func (s *sink) expect(t *tally) { s.cur.Store(t) }

func (s *sink) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *sink) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.conns.Add(1)
		s.mu.Lock()
		s.open[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.open, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

var (
	replyGreet = []byte("220 sink.bench.test ESMTP\r\n")
	replyEHLO  = []byte("250-sink.bench.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
	replyOK    = []byte("250 2.0.0 ok\r\n")
	replyData  = []byte("354 go ahead\r\n")
	replyBye   = []byte("221 2.0.0 bye\r\n")
	replyNo    = []byte("502 5.5.1 not implemented\r\n")
)

// serve speaks SMTP on one connection. Replies are flushed when the client
// has nothing more buffered, which is what PIPELINING needs.
func (s *sink) serve(c net.Conn) {
	r := bufio.NewReaderSize(c, 16<<10)
	w := bufio.NewWriterSize(c, 4<<10)
	w.Write(replyGreet)
	if w.Flush() != nil {
		return
	}
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		verb := line
		if len(verb) > 4 {
			verb = verb[:4]
		}
		switch {
		case ieq(verb, "EHLO"):
			w.Write(replyEHLO)
		case ieq(verb, "DATA"):
			w.Write(replyData)
			if w.Flush() != nil || s.data(r) != nil {
				return
			}
			w.Write(replyOK)
		case ieq(verb, "QUIT"):
			w.Write(replyBye)
			w.Flush()
			return
		case ieq(verb, "HELO"), ieq(verb, "MAIL"), ieq(verb, "RCPT"), ieq(verb, "RSET"), ieq(verb, "NOOP"):
			w.Write(replyOK)
		default:
			w.Write(replyNo)
		}
		if r.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

// data reads one message up to the lone dot, looking in its header for the
// benchmark's two fields, and records it.
func (s *sink) data(r *bufio.Reader) error {
	var (
		id, seq  = -1, -1
		cell     = int64(-1)
		sent     int64
		inHeader = true
		atStart  = true // the next bytes start a line
	)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			atStart = false // a very long line: only its start matters
			continue
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if !atStart {
			atStart = true
			continue
		}
		if len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			break
		}
		if !inHeader {
			continue
		}
		switch {
		case len(line) <= 2:
			inHeader = false
		case bytes.HasPrefix(line, hdrID):
			cell, seq = parseID(line[len(hdrID):])
			id = 0
		case bytes.HasPrefix(line, hdrSent):
			sent = parseUint(line[len(hdrSent):])
		}
	}
	now := time.Now().UnixNano()
	t := s.cur.Load()
	switch {
	case id < 0:
		s.unknown.Add(1)
	case t == nil || cell != int64(t.cell):
		s.foreign.Add(1)
	default:
		t.arrive(seq, sent, now)
	}
	return nil
}

// parseID parses " CELL.SEQ\r\n".
func parseID(b []byte) (cell int64, seq int) {
	b = bytes.TrimSpace(b)
	c, q, ok := bytes.Cut(b, []byte("."))
	if !ok {
		return -1, -1
	}
	return parseUint(c), int(parseUint(q))
}

// parseUint parses the leading decimal digits of b after any spaces.
func parseUint(b []byte) int64 {
	var n int64
	for _, c := range bytes.TrimLeft(b, " ") {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// ieq reports whether b is s, ignoring ASCII case (s is upper case).
func ieq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if b[i]&^0x20 != s[i] {
			return false
		}
	}
	return true
}
