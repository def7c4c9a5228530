package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testpeer"
)

// TestSIGTERMDrains: SIGTERM stops accepting at once, but a client in the
// middle of a message finishes it: its 250 comes (the message is stored),
// then 421, and volleyd exits 0.
func TestSIGTERMDrains(t *testing.T) {
	d := startVolleyd(t, "", `
<source 127.0.0.1>
    always-allow-relaying yes
</source>
`)
	c, say := dialog(t, d.addr)
	expect := func(prefix string) { t.Helper(); say("", prefix) }
	expect("220 ")
	io.WriteString(c, "EHLO slow.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: in flight\r\n\r\nfirst half\r\n")
	for _, want := range []string{"250 ", "250 ", "250 ", "354 "} {
		expect(want)
	}

	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testpeer.WaitRefused(t, d.addr, peerTimeout)
	io.WriteString(c, "second half\r\n.\r\n")
	expect("250 2.0.0 OK queued as ")
	expect("421 4.3.2 ")

	msgs := readSpool(t, d) // waits for the exit and wants status 0
	if len(msgs) != 1 || !strings.HasSuffix(string(msgs[0].body), "first half\r\nsecond half\r\n") {
		t.Fatalf("spool after the drain: %d messages", len(msgs))
	}
}

// TestMinFreeSpaceRefuses: with less free space on the spool's disk than
// the floor (PowerMTA's spool-min-free-space, here a petabyte), DATA gets
// 452 4.3.1 before the body is read, the session goes on, and nothing is
// stored: the disk is never filled, so the spool is not failed for good.
func TestMinFreeSpaceRefuses(t *testing.T) {
	d := startVolleyd(t, "", "spool-min-free-space 1000000000\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n")
	_, expect := dialog(t, d.addr)
	expect("", "220 ")
	expect("EHLO client.test\r\n", "250 ")
	for range 2 { // refused, and the session goes on
		expect("MAIL FROM:<a@sender.test>\r\n", "250 ")
		expect("RCPT TO:<b@rcpt.test>\r\n", "250 ")
		expect("DATA\r\n", "452 4.3.1 ")
		expect("RSET\r\n", "250 ")
	}
	expect("QUIT\r\n", "221 ")
	if n := len(readSpool(t, d)); n != 0 {
		t.Errorf("%d messages stored", n)
	}
	if !strings.Contains(d.logs.String(), "min-free-space") {
		t.Errorf("the refusal does not say why:\n%s", d.logs)
	}
}

// dialog connects to addr for a hand-written SMTP dialog: say sends a
// command (none when "") and wants the last line of the reply to start
// with want; the connection is for what say cannot write.
func dialog(t *testing.T, addr string) (net.Conn, func(send, want string)) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, peerTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(3 * peerTimeout))
	r := bufio.NewReader(c)
	return c, func(send, want string) {
		t.Helper()
		if send != "" {
			if _, err := io.WriteString(c, send); err != nil {
				t.Fatal(err)
			}
		}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("after %q (want %q): %v", send, want, err)
			}
			if len(line) > 3 && line[3] == '-' {
				continue
			}
			if !strings.HasPrefix(line, want) {
				t.Fatalf("after %q: %q, want %q", send, line, want)
			}
			return
		}
	}
}
