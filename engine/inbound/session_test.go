package inbound

import (
	"bufio"
	"context"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/iouring"
	"github.com/volleymta/volley/spool"
)

// memSpool opens a spool on an in-memory file system for one test.
func memSpool(t *testing.T) *spool.Spool {
	t.Helper()
	sp, err := spool.Open("s", spool.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return sp
}

// spoolCommitter commits on a goroutine per message into a real spool.
type spoolCommitter struct{ sp *spool.Spool }

func (c spoolCommitter) Commit(m *spool.Message, body []byte, done func(spool.ID, error)) {
	go func() {
		id, err := c.sp.Append(context.Background(), m, body)
		done(id, err)
	}()
}

// serve runs a one-shard service for cfgText over sp until the test ends
// and returns its address.
func serve(t *testing.T, cfgText string, sp *spool.Spool) (*Service, string) {
	t.Helper()
	svc, addr, r := start(t, cfgText, sp)
	t.Cleanup(func() { r.Stop(); <-r.Done() })
	return svc, addr
}

// serveForever is serve for a fuzz run: the service is never stopped.
func serveForever(t *testing.T, cfgText string, sp *spool.Spool) (string, iouring.Reactor) {
	_, addr, r := start(t, cfgText, sp)
	return addr, r
}

func start(t *testing.T, cfgText string, sp *spool.Spool) (*Service, string, iouring.Reactor) {
	t.Helper()
	svc, sh, r := startWith(t, cfgText, sp, nil)
	return svc, sh.Addrs[0].String(), r
}

// testEngine is the io engine VOLLEY_IO_ENGINE names (epoll, io_uring),
// else auto: the sessions must behave the same on both.
func testEngine(t *testing.T) iouring.Engine {
	name := os.Getenv("VOLLEY_IO_ENGINE")
	if name == "" {
		return iouring.EngineAuto
	}
	e, err := iouring.ParseEngine(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// startWith is start with a hand-off to the queues.
func startWith(t *testing.T, cfgText string, sp *spool.Spool, accepted Accepted) (*Service, *Shard, iouring.Reactor) {
	t.Helper()
	cfg, probs := config.LoadText("test.conf", []byte(cfgText))
	if len(probs) > 0 {
		t.Fatalf("config: %v", probs)
	}
	svc, err := New(Options{Config: cfg, Commit: spoolCommitter{sp}, Health: sp})
	if err != nil {
		t.Fatal(err)
	}
	r, err := iouring.New(iouring.Options{Engine: testEngine(t)})
	if err != nil {
		t.Fatal(err)
	}
	go func() { runtime.LockOSThread(); _ = r.Run() }()
	shards := make(chan *Shard, 1)
	_ = r.Post(func() {
		sh, err := svc.Listen(r, accepted)
		if err != nil {
			t.Errorf("Listen: %v", err)
		}
		shards <- sh
	})
	sh := <-shards
	if len(sh.Addrs) != 1 {
		t.Fatalf("bound %v", sh.Addrs)
	}
	return svc, sh, r
}

const baseConfig = `host-name mx.volley.test
smtp-listener 127.0.0.1:0
<source 127.0.0.1/32>
    always-allow-relaying yes
`

// client is a raw SMTP client for scripted, pipelined exchanges.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	cl := dialNoCleanup(t, addr)
	t.Cleanup(func() { cl.c.Close() })
	return cl
}

func dialNoCleanup(t *testing.T, addr string) *client {
	t.Helper()
	cl := dialRawNoCleanup(t, addr)
	cl.expect("220 ")
	return cl
}

// dialRaw connects without reading the greeting.
func dialRaw(t *testing.T, addr string) *client {
	t.Helper()
	cl := dialRawNoCleanup(t, addr)
	t.Cleanup(func() { cl.c.Close() })
	return cl
}

func dialRawNoCleanup(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (cl *client) send(s string) {
	cl.t.Helper()
	if _, err := cl.c.Write([]byte(s)); err != nil {
		cl.t.Fatal(err)
	}
}

// expect reads one (multi-line) reply and checks its last line's prefix.
func (cl *client) expect(prefix string) string {
	cl.t.Helper()
	for {
		line, err := cl.br.ReadString('\n')
		if err != nil {
			cl.t.Fatalf("reading reply (want %q): %v", prefix, err)
		}
		if len(line) >= 4 && line[3] == '-' {
			continue
		}
		if !strings.HasPrefix(line, prefix) {
			cl.t.Fatalf("reply %q, want %q", line, prefix)
		}
		return line
	}
}

func countSpooled(t *testing.T, sp *spool.Spool) int {
	n := 0
	if err := sp.Scan(func(*spool.Message) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPipelinedBehindCommit pipelines the next transaction behind the end
// of a message: it must wait for the commit, then be answered in order.
func TestPipelinedBehindCommit(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, baseConfig+"</source>\n", sp)
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("354 ")
	cl.send("Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n")
	cl.expect("250 2.0.0 OK queued as ")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("354 ")
	cl.send("Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
	cl.expect("250 2.0.0 OK queued as ")
	cl.expect("221 ")
	if n := countSpooled(t, sp); n != 2 {
		t.Fatalf("spooled %d, want 2", n)
	}
}

// TestSpoolFailure answers 452 4.3.1 when the disk is full, and the session
// stays usable.
func TestSpoolFailure(t *testing.T) {
	var full atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if full.Load() && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return syscall.ENOSPC
		}
		return nil
	}))
	sp, err := spool.Open("s", spool.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	svc, addr := serve(t, baseConfig+"</source>\n", sp)
	full.Store(true)
	cl := dial(t, addr)
	cl.send("HELO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("354 ")
	cl.send("Subject: x\r\n\r\nbody\r\n.\r\n")
	cl.expect("452 4.3.1 ")
	// The spool is now known to be failing: DATA is refused at once.
	cl.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("452 4.3.1 ")
	cl.send("RSET\r\nNOOP\r\nQUIT\r\n")
	cl.expect("250 ")
	cl.expect("250 ")
	cl.expect("221 ")
	if got := svc.Counters.Messages.Load(); got != 0 {
		t.Fatalf("%d messages counted as stored", got)
	}
}

// TestIdleTimeout cuts off a silent client with 421 4.4.2 while a working
// client on the same shard goes on.
func TestIdleTimeout(t *testing.T) {
	sp := memSpool(t)
	_, addr := serve(t, baseConfig+"    smtp-command-timeout 1s\n</source>\n", sp)
	idle := dial(t, addr)
	busy := dial(t, addr)
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		busy.send("NOOP\r\n")
		busy.expect("250 ")
		time.Sleep(100 * time.Millisecond)
	}
	idle.expect("421 4.4.2 ")
	if _, err := idle.br.ReadString('\n'); err == nil {
		t.Fatal("connection still open after 421")
	}
	busy.send("QUIT\r\n")
	busy.expect("221 ")
}

// TestAcceptedHandOff: once a message is durable and answered, the shard's
// hand-off receives it with the same ID and each accepted recipient's spool
// Index; a recipient refused for relaying is not among them.
func TestAcceptedHandOff(t *testing.T) {
	sp := memSpool(t)
	got := make(chan *spool.Message, 1)
	cfg := baseConfig + "    always-allow-relaying no\n</source>\nrelay-domain example.com\n"
	_, sh, r := startWith(t, cfg, sp, func(id spool.ID, m *spool.Message, body []byte, _ *config.SourceSettings) {
		m.ID = id
		got <- m
	})
	t.Cleanup(func() { r.Stop(); <-r.Done() })
	addr := sh.Addrs[0].String()
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<one@example.com>\r\nRCPT TO:<x@elsewhere.test>\r\nRCPT TO:<two@EXAMPLE.com>\r\nDATA\r\n")
	for _, want := range []string{"250 ", "250 ", "250 ", "550 5.7.1", "250 ", "354 "} {
		cl.expect(want)
	}
	cl.send("Subject: hand-off\r\n\r\nbody\r\n.\r\n")
	line := cl.expect("250 2.0.0 OK queued as ")
	m := <-got
	if id := strings.TrimSpace(strings.TrimPrefix(line, "250 2.0.0 OK queued as ")); id != m.ID.String() {
		t.Fatalf("answered ID %s, handed off %s", id, m.ID)
	}
	if len(m.Recipients) != 2 || m.Recipients[0].Addr != "one@example.com" || m.Recipients[0].Index != 0 ||
		m.Recipients[1].Addr != "two@EXAMPLE.com" || m.Recipients[1].Index != 1 {
		t.Fatalf("handed off recipients %+v", m.Recipients)
	}
}

// TestRelayAddressAndStartTLSBeforeAuth: relay-address lets anyone send to
// that one address (any case) and no other of its domain;
// require-starttls-before-auth keeps AUTH out of a plaintext session even
// where the source allows unencrypted plain AUTH.
func TestRelayAddressAndStartTLSBeforeAuth(t *testing.T) {
	cfg := baseConfig + "    always-allow-relaying no\n    allow-unencrypted-plain-auth yes\n    require-starttls-before-auth yes\n</source>\n" +
		"relay-address abuse@customer.test\n<smtp-user u>\n    password pw\n</smtp-user>\n"
	_, addr := serve(t, cfg, memSpool(t))
	cl := dial(t, addr)
	cl.send("EHLO c.test\r\n")
	cl.expect("250 ")
	cl.send("AUTH PLAIN AHUAcHc=\r\n")
	cl.expect("538 5.7.11")
	cl.send("MAIL FROM:<a@x.test>\r\nRCPT TO:<Abuse@Customer.test>\r\nRCPT TO:<other@customer.test>\r\n")
	for _, want := range []string{"250 ", "250 ", "550 5.7.1"} {
		cl.expect(want)
	}
}
