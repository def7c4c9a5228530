package engine

import (
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/acct"
)

// TestAccountingOneFinalRecord: with every record type on, each recipient
// gets one r record and exactly one final record (d delivered, b bounced),
// deferrals get t records; fields carry the envelope, the queue and the
// remote reply.
func TestAccountingOneFinalRecord(t *testing.T) {
	cs := startCapture(t)
	addr, dir, rn, stop := startRunning(t, fmt.Sprintf(`<acct-file DIR/acct.csv>
    records d,b,t,r
</acct-file>
<domain *>
    smtp-hosts [%s]:%s
    retry-after 1s
    retry-recipients-after 1s
    bounce-after 3s
</domain>
`, sinkHost(cs.addr), sinkPort(cs.addr)))
	const n = 20
	for i := 0; i < n; i++ {
		rcpts := []string{fmt.Sprintf("ok%d@dest.test", i), fmt.Sprintf("bad%d@dest.test", i)}
		if i < 2 {
			rcpts = append(rcpts, fmt.Sprintf("later%d@dest.test", i))
		}
		if err := smtp.SendMail(addr, nil, "s@origin.test", rcpts, []byte("Subject: acct\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	// later* are deferred until bounce-after expires them (3 s).
	time.Sleep(500 * time.Millisecond)
	waitQueuesEmpty(t, rn, 30*time.Second)
	stop()
	recs := readAcct(t, dir)
	final := map[string]int{}
	counts := map[acct.Type]int{}
	for _, r := range recs {
		counts[r.Type]++
		if r.Orig == "" && r.Type != acct.Received {
			continue // DSNs to s@origin.test have their own records
		}
		switch r.Type {
		case acct.Delivered, acct.Bounced:
			final[r.Rcpt]++
			if r.Orig != "s@origin.test" || r.Queue != "dest.test/" || r.TimeQueued.IsZero() || r.DSNDiag == "" {
				t.Errorf("record %+v lacks its envelope, queue or diagnostic", r)
			}
		}
	}
	want := 2*n + 2
	if len(final) != want {
		t.Fatalf("%d recipients with a final record, want %d (counts %v)", len(final), want, counts)
	}
	for rcpt, k := range final {
		if k != 1 {
			t.Errorf("%s has %d final records", rcpt, k)
		}
	}
	if counts[acct.Received] < want || counts[acct.Transient] < 2 {
		t.Errorf("record counts %v: want %d r records at least and t records for the deferrals", counts, want)
	}
}

// TestRequireTLSNoDelivery: require-starttls against Postfix's smtp-sink,
// which offers no STARTTLS: nothing is delivered, the recipient stays
// queued, and the accounting file says why: a tq record for the connection
// and t records for the recipient.
func TestRequireTLSNoDelivery(t *testing.T) {
	sink := startSink(t)
	_, dir, rn, stop := startRunningAndSend(t, fmt.Sprintf(`<acct-file DIR/acct.csv>
    records d,b,t,tq
</acct-file>
<domain *>
    smtp-hosts [%s]:%s
    require-starttls yes
</domain>
`, sinkHost(sink), sinkPort(sink)), "secret@dest.test")
	deadline := time.Now().Add(10 * time.Second)
	for {
		perShard, _ := rn.ShardQueues(t.Context())
		if len(perShard[0])+len(perShard[1]) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recipient left its queue")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wait for the deferral's records (written off the loops, in batches).
	for deadline := time.Now().Add(10 * time.Second); ; {
		data, _ := os.ReadFile(filepath.Join(filepath.Dir(dir), "acct.csv"))
		recs, _ := acct.Parse(data)
		kinds := map[acct.Type]bool{}
		for _, r := range recs {
			kinds[r.Type] = true
		}
		if kinds[acct.Transient] && kinds[acct.TransientQueue] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no t and tq records after 10 s: %v", kinds)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	recs := readAcct(t, dir)
	kinds := map[acct.Type]int{}
	for _, r := range recs {
		kinds[r.Type]++
		if !strings.Contains(strings.ToLower(r.DSNDiag), "tls") {
			t.Errorf("%s record %q does not say TLS", r.Type, r.DSNDiag)
		}
		switch r.Type {
		case acct.Transient:
			if r.Rcpt != "secret@dest.test" {
				t.Errorf("t record for %s", r.Rcpt)
			}
		case acct.TransientQueue:
			if r.Queue != "dest.test/" || !r.DlvDestinationIP.IsValid() {
				t.Errorf("tq record %+v", r)
			}
		default:
			t.Errorf("a %s record for a recipient held back", r.Type)
		}
	}
	if kinds[acct.Transient] == 0 || kinds[acct.TransientQueue] == 0 {
		t.Fatalf("records %v: want t for the recipient and tq for the connection", kinds)
	}
	if msgs, _ := spooled(t, dir); len(msgs) != 1 {
		t.Fatalf("%d messages in the spool, want the one held back", len(msgs))
	}
}

// startRunningAndSend starts the engine with extra config and sends one
// message to rcpt from 127.0.0.1.
func startRunningAndSend(t *testing.T, extra, rcpt string) (string, string, *Running, func()) {
	addr, dir, rn, stop := startRunning(t, extra)
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: held\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	return addr, dir, rn, stop
}

// readAcct reads the test's accounting file, DIR/acct.csv beside the spool
// directory spoolDir.
func readAcct(t *testing.T, spoolDir string) []acct.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(spoolDir), "acct.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := acct.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
