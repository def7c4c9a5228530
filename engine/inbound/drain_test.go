package inbound

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestDrain: a graceful stop refuses new connections, tells an idle
// session 421 at once, and lets a session in the middle of a message
// finish it (250, stored) before telling it 421; commands it pipelined
// behind the message are not served.
func TestDrain(t *testing.T) {
	sp := memSpool(t)
	_, sh, r := startWith(t, baseConfig+"</source>\n", sp, nil)
	t.Cleanup(func() { r.Stop(); <-r.Done() })
	addr := sh.Addrs[0].String()

	idle := dial(t, addr)
	idle.send("EHLO idle.test\r\n")
	idle.expect("250 ")
	busy := dial(t, addr)
	busy.send("EHLO busy.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: half\r\n\r\nfirst half\r\n")
	for _, want := range []string{"250 ", "250 ", "250 ", "354 "} {
		busy.expect(want)
	}
	waitSessions(t, sh, 2)

	if err := r.Post(sh.Drain); err != nil {
		t.Fatal(err)
	}
	idle.expect("421 4.3.2 ")
	if _, err := idle.br.ReadString('\n'); err != io.EOF {
		t.Fatalf("idle session after 421: %v, want EOF", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted while draining")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("new connection while draining: %v, want refused", err)
	}
	busy.send("second half\r\n.\r\nMAIL FROM:<a@x.test>\r\n")
	busy.expect("250 2.0.0 OK queued as ")
	busy.expect("421 4.3.2 ")
	if _, err := busy.br.ReadString('\n'); err != io.EOF {
		t.Fatalf("busy session after 421: %v, want EOF", err)
	}
	waitSessions(t, sh, 0)
	if n := countSpooled(t, sp); n != 1 {
		t.Fatalf("spooled %d, want the one finished during the drain", n)
	}
}

func waitSessions(t *testing.T, sh *Shard, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for sh.Sessions() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions open, want %d", sh.Sessions(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
