package inbound

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

// BenchmarkSessionTransaction is one full inbound transaction through the
// real session code on a real reactor over 127.0.0.1: MAIL, RCPT and DATA
// pipelined, then a 4 KB body, answered 250 after the commit hand-off. It
// counts what the session, the reactor and the client's socket allocate per
// message (make bench-gate holds it to a ceiling). The commit goes through
// the package's Committer interface to a worker that answers at once with
// a fresh ID, as the spool's group committer does after its fsync: the
// spool append is gated on its own (spool BenchmarkAppendDurable), and its
// fsync would swamp the session's cost. The engine is VOLLEY_IO_ENGINE's
// (epoll, io_uring), else auto.
func BenchmarkSessionTransaction(b *testing.B) {
	cfg, probs := config.LoadText("bench.conf", []byte(baseConfig+"</source>\n"))
	if len(probs) > 0 {
		b.Fatalf("config: %v", probs)
	}
	com := newInstantCommitter()
	defer com.close()
	svc, err := New(Options{Config: cfg, Commit: com})
	if err != nil {
		b.Fatal(err)
	}
	engine := iouring.EngineAuto
	if name := os.Getenv("VOLLEY_IO_ENGINE"); name != "" {
		if engine, err = iouring.ParseEngine(name); err != nil {
			b.Fatal(err)
		}
	}
	r, err := iouring.New(iouring.Options{Engine: engine})
	if err != nil {
		b.Fatal(err)
	}
	go func() { runtime.LockOSThread(); _ = r.Run() }()
	defer func() { r.Stop(); <-r.Done() }()
	shards := make(chan *Shard, 1)
	_ = r.Post(func() {
		sh, err := svc.Listen(r, nil)
		if err != nil {
			b.Errorf("Listen: %v", err)
		}
		shards <- sh
	})
	sh := <-shards
	if len(sh.Addrs) != 1 {
		b.Fatalf("bound %v", sh.Addrs)
	}
	c, err := net.DialTimeout("tcp", sh.Addrs[0].String(), 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl := &replyReader{c: c, buf: make([]byte, 8192)}
	envelope := []byte("MAIL FROM:<bounce-123@news.example.com> SIZE=4200 BODY=8BITMIME\r\nRCPT TO:<user@example.org>\r\nDATA\r\n")
	body := []byte("From: news@example.com\r\nTo: user@example.org\r\nSubject: gate\r\n" +
		"Date: Sun, 06 Dec 2026 17:00:00 +0000\r\nMessage-ID: <gate@example.com>\r\n\r\n" +
		strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\r\n", 55) + ".\r\n")
	step := func(p []byte, codes ...byte) {
		if p != nil {
			if _, err := c.Write(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := cl.expect(codes...); err != nil {
			b.Fatal(err)
		}
	}
	step(nil, '2')                            // greeting
	step([]byte("EHLO client.test\r\n"), '2') // outside the measured loop: once per connection
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		step(envelope, '2', '2', '3')
		step(body, '2')
	}
	b.StopTimer()
	if got := svc.Counters.Messages.Load(); got != uint64(b.N) {
		b.Fatalf("%d messages stored, want %d", got, b.N)
	}
}

// instantCommitter answers each commit on its own worker goroutine with the
// next ID, without storing anything.
type instantCommitter struct {
	reqs chan commitReq
	done chan struct{}
}

type commitReq struct {
	m    *spool.Message
	done func(spool.ID, error)
}

func newInstantCommitter() *instantCommitter {
	c := &instantCommitter{reqs: make(chan commitReq, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		var id spool.ID
		for req := range c.reqs {
			for i := range id { // a big-endian counter: IDs are unique, as the spool's are
				if id[len(id)-1-i]++; id[len(id)-1-i] != 0 {
					break
				}
			}
			for j := range req.m.Recipients {
				req.m.Recipients[j].Index = uint16(j)
			}
			req.done(id, nil)
		}
	}()
	return c
}

func (c *instantCommitter) Commit(m *spool.Message, _ []byte, done func(spool.ID, error)) {
	c.reqs <- commitReq{m: m, done: done}
}

func (c *instantCommitter) close() { close(c.reqs); <-c.done }

// replyReader reads SMTP replies into a fixed buffer, so the client side
// adds no allocation of its own to the measurement.
type replyReader struct {
	c        net.Conn
	buf      []byte
	start, n int
}

var errBadReply = errors.New("unexpected reply")

// expect reads one reply per code and checks each one's first digit.
func (rr *replyReader) expect(codes ...byte) error {
	for _, code := range codes {
		line, err := rr.finalLine()
		if err != nil {
			return err
		}
		if line[0] != code {
			return errBadReply
		}
	}
	return nil
}

// finalLine returns the last line of the next (multi-line) reply.
func (rr *replyReader) finalLine() ([]byte, error) {
	for {
		for i := rr.start; i < rr.n; i++ {
			if rr.buf[i] != '\n' {
				continue
			}
			line := rr.buf[rr.start : i+1]
			rr.start = i + 1
			if len(line) < 5 {
				return nil, errBadReply
			}
			if line[3] == ' ' {
				return line, nil
			}
		}
		rr.n = copy(rr.buf, rr.buf[rr.start:rr.n])
		rr.start = 0
		if rr.n == len(rr.buf) {
			return nil, errBadReply
		}
		m, err := rr.c.Read(rr.buf[rr.n:])
		if err != nil {
			return nil, err
		}
		rr.n += m
	}
}

// BenchmarkChooseVMTAs: a source's pattern-list on the loop, per message:
// one recipient, a list of four entries whose rcpt-to entry matches after
// a header entry that does not (the header is looked up, not found).
func BenchmarkChooseVMTAs(b *testing.B) {
	cfg, probs := config.LoadText("b.conf", []byte("<virtual-mta yahoo>\n</virtual-mta>\n<virtual-mta promo>\n</virtual-mta>\n"+
		"<pattern-list p>\n header X-Campaign /^promo-/ virtual-mta=promo\n mail-from /@brand1\\.test$/ virtual-mta=promo\n"+
		" rcpt-to /@(yahoo|ymail)\\.test$/ virtual-mta=yahoo\n * virtual-mta=promo\n</pattern-list>\n"+
		"<source 0/0>\n pattern-list p\n</source>\n"))
	if len(probs) > 0 {
		b.Fatal(probs)
	}
	src := cfg.SourceFor(netip.MustParseAddr("127.0.0.1"), "", false)
	msg := []byte("From: s@shop.test\r\nTo: a@yahoo.test\r\nSubject: offer\r\nMessage-ID: <1@shop.test>\r\n\r\nbody\r\n")
	m := &spool.Message{From: "s@shop.test", Recipients: []spool.Recipient{{Addr: "a@yahoo.test"}}}
	b.ReportAllocs()
	for b.Loop() {
		m.VMTA = ""
		if parts := ChooseVMTAs(cfg, src, m, msg); parts != nil || m.VMTA != "yahoo" {
			b.Fatalf("parts %v, vmta %q", parts, m.VMTA)
		}
	}
}
