package engine

import (
	"fmt"
	"net/smtp"
	"os"
	"path/filepath"
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
	data, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "acct.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := acct.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
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
