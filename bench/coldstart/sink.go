//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// sink is a minimal SMTP server that accepts everything and keeps only
// counts: which messages arrived (by the sequence number in the recipient
// address, so a retried delivery is counted once), and when the first and
// the latest arrived. A Go sink in this process times arrivals on the same
// monotonic clock as volleyd's start, which a separate smtp-sink could not.
type sink struct {
	ln   net.Listener
	base time.Time // arrival times are offsets from it
	n    int       // messages expected, sequence numbers 0..n-1

	seen       []atomic.Uint64 // bit seq: message seq arrived
	unique     atomic.Int64
	duplicates atomic.Int64
	foreign    atomic.Int64 // recipients with no sequence number in range
	first      atomic.Int64 // offset from base + 1 ns; 0: none yet
	last       atomic.Int64
	acceptErrs atomic.Int64 // failed accepts (EMFILE)

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	peak     int // most connections open at once
	accepted int
	wg       sync.WaitGroup
}

// startSink listens on a free port of 127.0.0.1 for n messages.
func startSink(n int) (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln, base: time.Now(), n: n, seen: make([]atomic.Uint64, (n+63)/64), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *sink) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *sink) accept() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := s.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Out of descriptors (EMFILE) when volleyd opens more
			// connections than this process may hold: wait for some to
			// close, as net/http does, rather than stop accepting.
			s.acceptErrs.Add(1)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.peak = max(s.peak, len(s.conns))
		s.accepted++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.serve(c, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// close stops the listener and every session.
func (s *sink) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// connStats returns the connections accepted and the most open at once.
func (s *sink) connStats() (accepted, peak int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted, s.peak
}

// firstAt and lastAt return when the first and the latest message
// arrived (with the monotonic clock reading of base); ok is false before
// any.
func (s *sink) firstAt() (time.Time, bool) {
	v := s.first.Load()
	return s.base.Add(time.Duration(v - 1)), v != 0
}

func (s *sink) lastAt() time.Time { return s.base.Add(time.Duration(s.last.Load() - 1)) }

// errLineTooLong ends a session whose command line does not fit the buffer.
var errLineTooLong = errors.New("sink: command line too long")

// serve speaks SMTP on one connection: replies to pipelined commands are
// buffered and flushed when the client has nothing more buffered, as
// Postfix's smtp-sink does. It offers no CHUNKING and no STARTTLS, so the
// client sends DATA in clear.
func (s *sink) serve(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 4<<10)
	bw.WriteString("220 sink.test ESMTP coldstart sink\r\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	var rcpts []int
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return errLineTooLong
		}
		if err != nil {
			return err
		}
		switch verb(line) {
		case "EHLO":
			bw.WriteString("250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n")
		case "HELO":
			bw.WriteString("250 sink.test\r\n")
		case "MAIL":
			rcpts = rcpts[:0]
			bw.WriteString("250 2.1.0 Ok\r\n")
		case "RCPT":
			rcpts = append(rcpts, rcptSeq(line))
			bw.WriteString("250 2.1.5 Ok\r\n")
		case "DATA":
			bw.WriteString("354 End data with <CR><LF>.<CR><LF>\r\n")
			if err := bw.Flush(); err != nil {
				return err
			}
			if err := skipData(br); err != nil {
				return err
			}
			s.arrived(rcpts)
			rcpts = rcpts[:0]
			bw.WriteString("250 2.0.0 Ok: queued\r\n")
		case "RSET":
			rcpts = rcpts[:0]
			bw.WriteString("250 2.0.0 Ok\r\n")
		case "NOOP":
			bw.WriteString("250 2.0.0 Ok\r\n")
		case "QUIT":
			bw.WriteString("221 2.0.0 Bye\r\n")
			return bw.Flush()
		default:
			bw.WriteString("502 5.5.2 Command not recognized\r\n")
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
	}
}

// verb returns a command line's verb in upper case (the four letters every
// command this sink knows has).
func verb(line []byte) string {
	if len(line) < 4 {
		return ""
	}
	var v [4]byte
	for i := range v {
		c := line[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		v[i] = c
	}
	return string(v[:])
}

// rcptSeq returns the sequence number in a "RCPT TO:<uSEQ@...>" line, or -1.
func rcptSeq(line []byte) int {
	_, rest, ok := bytes.Cut(line, []byte("<u"))
	if !ok {
		return -1
	}
	num, _, ok := bytes.Cut(rest, []byte("@"))
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(string(num))
	if err != nil {
		return -1
	}
	return n
}

// skipData reads a message up to its terminating "." line. A line longer
// than the buffer arrives in pieces; only a piece that starts a line can be
// the terminator.
func skipData(br *bufio.Reader) error {
	atStart := true
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			atStart = false
			continue
		}
		if err != nil {
			return err
		}
		if atStart && (string(line) == ".\r\n" || string(line) == ".\n") {
			return nil
		}
		atStart = true
	}
}

// arrived records one message's recipients.
func (s *sink) arrived(rcpts []int) {
	now := int64(time.Since(s.base)) + 1
	s.first.CompareAndSwap(0, now)
	for {
		l := s.last.Load()
		if now <= l || s.last.CompareAndSwap(l, now) {
			break
		}
	}
	for _, seq := range rcpts {
		if seq < 0 || seq >= s.n {
			s.foreign.Add(1)
			continue
		}
		bit := uint64(1) << (seq % 64)
		if s.seen[seq/64].Or(bit)&bit != 0 {
			s.duplicates.Add(1)
			continue
		}
		s.unique.Add(1)
	}
}
