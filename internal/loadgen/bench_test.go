package loadgen

import (
	"bufio"
	"fmt"
	"net"
	"testing"
)

// BenchmarkSinkTransaction measures the sink's per-message path over
// loopback, one message per op with one recipient and a 1 KiB body:
//
//   - data: MAIL, RCPT and DATA pipelined, then the message after 354, as
//     Blast sends it (two round trips a message);
//   - bdat: whole transactions with BDAT LAST written back to back by one
//     goroutine while another reads the replies (no round trip to wait for).
//
// allocs/op counts the whole process, the sink's side included.
func BenchmarkSinkTransaction(b *testing.B) {
	msg := append([]byte("From: <a@x.test>\r\nTo: <r@x.test>\r\nSubject: bench\r\n\r\n"), textBody(1024)...)
	b.Run("data", func(b *testing.B) {
		s := startSink(b, SinkOptions{})
		c, r := benchConn(b, s)
		env := []byte("MAIL FROM:<a@x.test>\r\nRCPT TO:<r@x.test>\r\nDATA\r\n")
		body := append(append([]byte(nil), msg...), ".\r\n"...)
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			c.Write(env)
			benchReplies(b, r, 3)
			c.Write(body)
			benchReplies(b, r, 1)
		}
		b.StopTimer()
		if n := s.Counters().Messages; n != int64(b.N) {
			b.Fatalf("sink counted %d messages, want %d", n, b.N)
		}
	})
	b.Run("bdat", func(b *testing.B) {
		s := startSink(b, SinkOptions{})
		c, r := benchConn(b, s)
		tx := fmt.Appendf(nil, "MAIL FROM:<a@x.test>\r\nRCPT TO:<r@x.test>\r\nBDAT %d LAST\r\n%s", len(msg), msg)
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.ResetTimer()
		werr := make(chan error, 1)
		go func() {
			w := bufio.NewWriterSize(c, 64<<10)
			for range b.N {
				if _, err := w.Write(tx); err != nil {
					werr <- err
					return
				}
			}
			werr <- w.Flush()
		}()
		benchReplies(b, r, 3*b.N)
		if err := <-werr; err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if n := s.Counters().Messages; n != int64(b.N) {
			b.Fatalf("sink counted %d messages, want %d", n, b.N)
		}
	})
}

// benchConn opens a connection to s and says EHLO.
func benchConn(b *testing.B, s *Sink) (net.Conn, *bufio.Reader) {
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	r := bufio.NewReaderSize(c, 64<<10)
	c.Write([]byte("EHLO bench.test\r\n"))
	benchReplies(b, r, 2)
	return c, r
}

// benchReplies reads n replies and fails on any that is not 2xx or 3xx.
func benchReplies(b *testing.B, r *bufio.Reader, n int) {
	for n > 0 {
		line, err := r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if line[0] != '2' && line[0] != '3' {
			b.Fatalf("reply %q", line)
		}
		if len(line) > 3 && line[3] == '-' {
			continue
		}
		n--
	}
}
