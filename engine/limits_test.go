package engine

import (
	"fmt"
	"io"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// TestMaxMsgRate: max-msg-rate 3/h lets the burst of three through and
// holds the rest, queued, for later.
func TestMaxMsgRate(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-msg-rate 3/h\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr)))
	for i := 0; i < 6; i++ {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("r%d@dest.test", i)}, []byte("Subject: rate\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, cs, 3)
	time.Sleep(500 * time.Millisecond)
	if n := len(cs.received()); n != 3 {
		t.Fatalf("%d delivered under max-msg-rate 3/h, want 3", n)
	}
	if queued := queuedRecipients(t, rn); queued != 3 {
		t.Fatalf("%d recipients still queued, want 3", queued)
	}
}

// TestMaxSMTPOut: with max-smtp-out 2, no more than two connections are
// ever open to the destination, however much is queued.
func TestMaxSMTPOut(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-smtp-out 2\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr)))
	const n = 60
	for i := 0; i < n; i++ {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("r%d@dest.test", i)}, []byte("Subject: out\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, cs, n)
	waitQueuesEmpty(t, rn, 10*time.Second)
	cs.mu.Lock()
	peak := cs.peak
	cs.mu.Unlock()
	if peak > 2 || peak == 0 {
		t.Fatalf("peak of %d connections under max-smtp-out 2", peak)
	}
}

// TestSourceIPMaxMsgRate: source-ip-max-msg-rate caps one source address
// of a pool; the pool's other member takes the rest of the mail.
func TestSourceIPMaxMsgRate(t *testing.T) {
	cs := startCapture(t)
	addr, _, _, _ := startRunning(t, fmt.Sprintf(poolOfTwo+`<domain *>
    smtp-hosts [%s]:%s
    max-msg-per-connection 1
    source-ip-max-msg-rate 127.0.0.2/32 2/h
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	const n = 8
	for i := 0; i < n; i++ {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("s%d@dest.test", i)}, []byte("Subject: src\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	from := map[string]int{}
	for _, m := range waitReceived(t, cs, n) {
		from[m.client.String()]++
	}
	if from["127.0.0.2"] > 2 || from["127.0.0.2"]+from["127.0.0.3"] != n {
		t.Fatalf("messages by source %v: 127.0.0.2 may send 2 an hour", from)
	}
}

// TestVMTAMaxSMTPOut: max-smtp-out in a <virtual-mta> caps its connections
// over all queues (two domains here, each allowed 5).
func TestVMTAMaxSMTPOut(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`<virtual-mta capped>
    smtp-source-host 127.0.0.2 capped.test
    max-smtp-out 1
</virtual-mta>
<source 127.0.0.1/32>
    default-virtual-mta capped
</source>
<domain *>
    smtp-hosts [%s]:%s
    max-smtp-out 5
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	const n = 20
	for i := 0; i < n; i++ {
		rcpt := fmt.Sprintf("r%d@one.test", i)
		if i%2 == 1 {
			rcpt = fmt.Sprintf("r%d@two.test", i)
		}
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: capped\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, cs, n)
	waitQueuesEmpty(t, rn, 10*time.Second)
	cs.mu.Lock()
	peak := cs.peak
	cs.mu.Unlock()
	if peak != 1 {
		t.Fatalf("peak of %d connections from a vMTA capped at 1", peak)
	}
}

// volumeMsg is a message of about 4.2 KB as delivered (the body, the
// Subject and the Received field volleyd adds): two fit in 10k, three do not.
var volumeMsg = []byte("Subject: volume\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 62))

// TestMaxDataVolumeRate: max-data-volume-rate 10k/h lets two 4 KB
// messages through and holds the third; attempts that deliver nothing (the
// receiver defers every recipient) give their bytes back, so they do not
// use up the volume the next messages need. One connection at a time, so
// the order is the queue's.
func TestMaxDataVolumeRate(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-smtp-out 1\n    max-data-volume-rate 10k/h\n</domain>\n",
		sinkHost(cs.addr), sinkPort(cs.addr)))
	var to []string
	for i := range 3 {
		to = append(to, fmt.Sprintf("later%d@dest.test", i)) // deferred with 451 at RCPT
	}
	for i := range 3 {
		to = append(to, fmt.Sprintf("ok%d@dest.test", i))
	}
	for _, rcpt := range to {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, volumeMsg); err != nil {
			t.Fatal(err)
		}
	}
	got := waitReceived(t, cs, 2)
	time.Sleep(500 * time.Millisecond)
	if got = cs.received(); len(got) != 2 || got[0].to[0] != "ok0@dest.test" || got[1].to[0] != "ok1@dest.test" {
		t.Fatalf("delivered %v under max-data-volume-rate 10k/h, want ok0 and ok1", got)
	}
	if size := len(got[0].data); size < 4000 || size > 5000 {
		t.Fatalf("a message of %d bytes: the test's arithmetic needs about 4.2 KB", size)
	}
	if queued := queuedRecipients(t, rn); queued != 4 {
		t.Fatalf("%d recipients still queued, want 4 (three deferred, one held)", queued)
	}
}

// TestVMTADataVolumeRate: a vMTA's max-smtp-data-volume-rate holds over
// all its domains.
func TestVMTADataVolumeRate(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`<virtual-mta v2>
    smtp-source-host 127.0.0.2 v2.test
    max-smtp-data-volume-rate 10k/h
</virtual-mta>
<source 127.0.0.1/32>
    default-virtual-mta v2
</source>
<domain *>
    smtp-hosts [%s]:%s
    max-smtp-out 1
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	for _, rcpt := range []string{"a@one.test", "b@two.test", "c@three.test", "d@four.test"} {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, volumeMsg); err != nil {
			t.Fatal(err)
		}
	}
	waitReceived(t, cs, 2)
	time.Sleep(500 * time.Millisecond)
	if n := len(cs.received()); n != 2 {
		t.Fatalf("%d delivered over four domains under the vMTA's 10k/h, want 2", n)
	}
	if queued := queuedRecipients(t, rn); queued != 2 {
		t.Fatalf("%d recipients still queued, want 2", queued)
	}
}

// queuedRecipients counts the recipients in every queue of every shard.
func queuedRecipients(t *testing.T, rn *Running) int {
	t.Helper()
	perShard, _ := rn.ShardQueues(t.Context())
	n := 0
	for _, qs := range perShard {
		for _, q := range qs {
			n += q.Recipients
		}
	}
	return n
}

// TestSMTPOutRampupInterval: with an hour between new connections, a
// queue allowed three opens one and sends everything through it.
func TestSMTPOutRampupInterval(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-smtp-out 3\n    max-rcpt-per-message 1\n"+
		"    smtp-out-rampup-interval 1h\n</domain>\n", sinkHost(cs.addr), sinkPort(cs.addr)))
	var to []string // one message, six transactions, all ready at once
	for i := range 6 {
		to = append(to, fmt.Sprintf("r%d@dest.test", i))
	}
	if err := smtp.SendMail(addr, nil, "s@origin.test", to, []byte("Subject: ramp\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	waitReceived(t, cs, 6)
	waitQueuesEmpty(t, rn, 10*time.Second)
	cs.mu.Lock()
	peak := cs.peak
	cs.mu.Unlock()
	if peak != 1 {
		t.Fatalf("peak of %d connections with smtp-out-rampup-interval 1h, want 1", peak)
	}
}

// TestMaxErrorsPerConnection: after two refused recipients a connection
// is closed and the next transaction opens a new one.
func TestMaxErrorsPerConnection(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    max-smtp-out 1\n    max-errors-per-connection 2\n</domain>\n",
		sinkHost(cs.addr), sinkPort(cs.addr)))
	for i := range 4 { // from the null sender: no DSN to deliver as well
		if err := smtp.SendMail(addr, nil, "", []string{fmt.Sprintf("bad%d@dest.test", i)}, []byte("Subject: refused\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitQueuesEmpty(t, rn, 10*time.Second)
	cs.mu.Lock()
	total := cs.total
	cs.mu.Unlock()
	if total != 2 {
		t.Fatalf("%d connections for four refused recipients, two allowed per connection: want 2", total)
	}
}

// TestRetryUponNewMail: a queue whose only address refused its first
// connection waits out retry-after; with retry-upon-new-mail the next
// message ends the wait, and goes as soon as the receiver is up.
func TestRetryUponNewMail(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	recv := ln.Addr().String()
	ln.Close() // nothing listens there yet
	addr, _, _, _ := startRunning(t, fmt.Sprintf("<domain *>\n    smtp-hosts [%s]:%s\n    retry-after 1h\n    retry-upon-new-mail yes\n</domain>\n",
		sinkHost(recv), sinkPort(recv)))
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"first@dest.test"}, []byte("Subject: 1\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the connection is refused; the queue waits an hour
	cs := startCaptureOn(t, recv)
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"second@dest.test"}, []byte("Subject: 2\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	got := waitReceived(t, cs, 1)
	if got[0].to[0] != "second@dest.test" && got[0].to[0] != "first@dest.test" {
		t.Fatalf("delivered %v", got[0].to)
	}
}

// TestBounceUpon5xxGreeting: a receiver that refuses the connection with
// a 5xx greeting bounces the queue's mail (PowerMTA's default); with
// bounce-upon-5xx-greeting no the mail waits for a retry.
func TestBounceUpon5xxGreeting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "554 5.7.1 your address is blocked here\r\n")
			c.Close()
		}
	}()
	recv := ln.Addr().String()
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain bounce.test>\n    smtp-hosts [%[1]s]:%[2]s\n</domain>\n"+
		"<domain wait.test>\n    smtp-hosts [%[1]s]:%[2]s\n    bounce-upon-5xx-greeting no\n    retry-after 1h\n</domain>\n",
		sinkHost(recv), sinkPort(recv)))
	for _, rcpt := range []string{"a@bounce.test", "b@wait.test"} { // from <>: no DSN to deliver
		if err := smtp.SendMail(addr, nil, "", []string{rcpt}, []byte("Subject: g\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	waitForEngine(t, 10*time.Second, "bounce.test empty and wait.test holding its recipient", func() bool {
		left := map[string]int{}
		perShard, _ := rn.ShardQueues(t.Context())
		for _, qs := range perShard {
			for _, q := range qs {
				left[q.Key.Domain] += q.Recipients
			}
		}
		return left["bounce.test"] == 0 && left["wait.test"] == 1
	})
}

// TestRetryRecipientsAfter: a recipient the receiver deferred at RCPT
// waits at least retry-recipients-after, longer than retry-after; one
// deferred because no connection could be made follows retry-after.
func TestRetryRecipientsAfter(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("<domain named.test>\n    smtp-hosts [%s]:%s\n    retry-after 1s\n    retry-recipients-after 1h\n</domain>\n"+
		"<domain down.test>\n    smtp-hosts [127.0.0.1]:1\n    retry-after 1s\n    retry-recipients-after 1h\n</domain>\n",
		sinkHost(cs.addr), sinkPort(cs.addr)))
	for _, rcpt := range []string{"later1@named.test", "x@down.test"} { // the capture server defers later* at RCPT
		if err := smtp.SendMail(addr, nil, "", []string{rcpt}, []byte("Subject: r\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	next := map[string]time.Time{}
	waitForEngine(t, 10*time.Second, "both recipients deferred", func() bool {
		qs, _ := rn.Queues(t.Context(), api.QueueFilter{})
		for _, q := range qs {
			if q.Waiting == 1 && q.NextRetry != nil {
				next[q.Domain] = *q.NextRetry
			}
		}
		return !next["named.test"].IsZero() && !next["down.test"].IsZero()
	})
	if wait := time.Until(next["named.test"]); wait < 50*time.Minute {
		t.Errorf("the recipient deferred at RCPT is retried in %v, want about an hour", wait)
	}
	if wait := time.Until(next["down.test"]); wait > time.Minute {
		t.Errorf("the recipient deferred without a connection is retried in %v, want retry-after's second", wait)
	}
}
