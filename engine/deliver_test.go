package engine

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testpeer"
)

// startSink runs Postfix's smtp-sink until the test ends (internal/testpeer).
func startSink(t *testing.T) string { return testpeer.Sink(t) }

// waitQueuesEmpty polls until no shard holds a recipient.
func waitQueuesEmpty(t *testing.T, rn *Running, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		perShard, err := rn.ShardQueues(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for _, qs := range perShard {
			for _, q := range qs {
				left += q.Recipients
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d recipients still queued after %v: %v", left, limit, perShard)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeliverToSink: smtp-source injects 2,000 messages of 4 KB into
// volleyd, which relays every one to Postfix's smtp-sink through
// smtp-hosts; once the queues are empty the spool is too: every message
// was delivered and deleted.
func TestDeliverToSink(t *testing.T) {
	sink := startSink(t)
	src := testpeer.Need(t, "postfix", "smtp-source", "/usr/sbin/smtp-source")
	addr, dir, rn, stop := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-smtp-out 20\n</domain>\n", sinkHost(sink), sinkPort(sink)))
	const n = 2000
	out, err := exec.Command(src, "-d", "-s", "20", "-m", fmt.Sprint(n), "-l", "4096", "-f", "a@example.test", "-t", "b@example.com", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	waitQueuesEmpty(t, rn, 60*time.Second)
	stop()
	if msgs, _ := spooled(t, dir); len(msgs) != 0 {
		t.Fatalf("%d messages left in the spool after delivery", len(msgs))
	}
}

func sinkHost(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func sinkPort(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

// TestRestartDelivers: 10,000 messages queued while their destination
// refuses connections survive a restart, are rebuilt from the spool and
// delivered once the destination answers: each exactly once (nothing was
// in flight at the stop), and nothing is left.
func TestRestartDelivers(t *testing.T) {
	dir := t.TempDir()
	down := "<domain *>\n    smtp-hosts [127.0.0.1]:1\n    retry-after 1s\n</domain>\n"
	addr, spoolDir, _, stop := startIn(t, dir, down)
	src := testpeer.Need(t, "postfix", "smtp-source", "/usr/sbin/smtp-source")
	const n = 10000
	out, err := exec.Command(src, "-d", "-s", "20", "-m", fmt.Sprint(n), "-l", "1024", "-f", "s@example.test", "-t", "r@one.example", addr).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	stop()
	msgs, sp := spooled(t, spoolDir)
	if len(msgs) != n {
		t.Fatalf("%d messages spooled before the restart, want %d", len(msgs), n)
	}
	deferred := 0
	for _, m := range msgs {
		for _, r := range m.Recipients {
			if r.Attempts > 0 && r.LastReply != "" {
				deferred++
			}
		}
	}
	if deferred == 0 {
		t.Fatal("no recipient records a deferred attempt before the restart")
	}
	sp.Close()

	cs := startCapture(t)
	up := fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    retry-after 1s\n    max-smtp-out 20\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr))
	_, _, rn, stop2 := startIn(t, dir, up)
	<-rn.Rebuilt
	waitQueuesEmpty(t, rn, 120*time.Second)
	stop2()
	if got := len(cs.received()); got != n {
		t.Fatalf("%d messages delivered after the restart, want each of the %d exactly once", got, n)
	}
	if left, _ := spooled(t, spoolDir); len(left) != 0 {
		t.Fatalf("%d messages left after the restart", len(left))
	}
}
