package outbound

import (
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/smtpwire"
)

// BenchmarkDelivery is one delivery: a full client transaction of the real
// Session (MAIL, RCPT and DATA pipelined, a 4 KB body dot-stuffed, the
// outcome settled to the feeder) on a real reactor, over one reused
// connection to a sink on 127.0.0.1. The sink is smtpwire's server machine
// on a goroutine, which allocates nothing (smtpwire
// BenchmarkServerTransaction holds it to that), so allocs/op is what the
// session and the reactor spend per message (make bench-gate holds it to a
// ceiling). Connecting and EHLO happen before the timer starts: the
// session idles until the benchmark resumes it.
func BenchmarkDelivery(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	sinkDone := make(chan error, 1)
	go func() { sinkDone <- sinkOne(ln) }()

	r, err := iouring.New(iouring.Options{})
	if err != nil {
		b.Fatal(err)
	}
	go func() { runtime.LockOSThread(); _ = r.Run() }()
	defer func() { r.Stop(); <-r.Done() }()

	body := "From: news@example.com\r\nTo: user@example.org\r\nSubject: gate\r\n\r\n" +
		strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n", 55) +
		".a line that needs dot-stuffing\r\n"
	f := &countFeeder{entries: message("bounce-123@news.example.com", body, "user@example.org"),
		left: b.N, ready: make(chan *Session, 1), closed: make(chan error, 1)}
	opts := &Options{Client: clientConfig(), ReplyTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	_ = r.Post(func() {
		if _, err := Dial(r, Target{Remote: netip.MustParseAddrPort(ln.Addr().String()), MX: "sink.test"}, opts, f); err != nil {
			f.closed <- err
		}
	})
	var s *Session
	select {
	case s = <-f.ready:
	case err := <-f.closed:
		b.Fatalf("session ended before it was ready: %v", err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	_ = r.Post(func() { s.Resume() })
	err = <-f.closed
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if f.delivered != b.N || f.other != 0 {
		b.Fatalf("%d delivered and %d other outcomes, want %d delivered", f.delivered, f.other, b.N)
	}
	if err := <-sinkDone; err != nil {
		b.Fatalf("sink: %v", err)
	}
}

// countFeeder hands out the same transaction left times, once the session
// has first gone idle (ready), and counts the outcomes. Its methods run on
// the loop; the benchmark reads the counts after closed.
type countFeeder struct {
	entries          []queue.Entry
	left             int
	started          bool
	delivered, other int
	ready            chan *Session
	closed           chan error
}

func (f *countFeeder) Next(s *Session) ([]queue.Entry, bool) {
	if !f.started {
		f.started = true
		f.ready <- s
		return nil, true
	}
	if f.left == 0 {
		return nil, false
	}
	f.left--
	return f.entries, false
}

func (f *countFeeder) Settled(_ *Session, out []Outcome) {
	for _, o := range out {
		if o.Kind == Delivered {
			f.delivered++
		} else {
			f.other++
		}
	}
}

func (f *countFeeder) Closed(_ *Session, err error) { f.closed <- err }

// sinkOne serves one connection from ln with smtpwire's server machine,
// accepting everything, until the client quits.
func sinkOne(ln net.Listener) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	var s smtpwire.Server
	s.Reset(&smtpwire.ServerConfig{Hostname: "sink.test", Caps: smtpwire.Capabilities{
		Ext: smtpwire.ExtPipelining | smtpwire.Ext8BitMIME | smtpwire.ExtEnhancedStatusCodes | smtpwire.ExtDSN}})
	s.Out = make([]byte, 0, 4096)
	s.Body = make([]byte, 0, 8192)
	s.Greet()
	buf := make([]byte, 64<<10)
	start, n := 0, 0
	for {
		used, ev := s.Feed(buf[start:n])
		start += used
		switch ev {
		case smtpwire.SEvNone:
			if len(s.Out) > 0 {
				if _, err := c.Write(s.Out); err != nil {
					return err
				}
				s.Out = s.Out[:0]
			}
			if s.Closed() {
				return nil
			}
			n = copy(buf, buf[start:n])
			start = 0
			m, err := c.Read(buf[n:])
			if err != nil {
				return err
			}
			n += m
		case smtpwire.SEvQuit:
			_, err := c.Write(s.Out)
			return err
		case smtpwire.SEvData:
			s.Body = s.Body[:0]
			s.Accept()
		default:
			s.Accept()
		}
	}
}
