package engine

import (
	"fmt"
	"net/smtp"
	"testing"
	"time"
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
	perShard, _ := rn.ShardQueues(t.Context())
	queued := 0
	for _, qs := range perShard {
		for _, q := range qs {
			queued += q.Recipients
		}
	}
	if queued != 3 {
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
