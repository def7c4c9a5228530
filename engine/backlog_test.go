package engine

import (
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/spool"
)

// TestSpoolMaxRecipients exists because a receiver that stops taking mail
// must not make the spool grow without end: past spool-max-recipients
// queued (sampled each second), SMTP gets 452 4.3.1 at DATA and the API
// is refused as the spool would be when full; a reload that raises the
// limit takes mail again at once.
func TestSpoolMaxRecipients(t *testing.T) {
	dir := t.TempDir()
	addr, _, rn, _ := startIn(t, dir, "spool-max-recipients 3\n")
	send := func(i int) error {
		return smtp.SendMail(addr, nil, "s@origin.test", []string{fmt.Sprintf("r%d@dest.test", i)}, []byte("Subject: backlog\r\n\r\nx\r\n"))
	}
	for i := range 4 {
		if err := send(i); err != nil {
			t.Fatalf("message %d, under the limit: %v", i, err)
		}
	}
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for i := 4; ; i++ {
		if err = send(i); err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "452") || !strings.Contains(err.Error(), "4.3.1") {
		t.Fatalf("past 3 queued recipients: %v, want 452 4.3.1", err)
	}
	_, err = rn.Inject(t.Context(), api.Inject{From: "s@origin.test", To: []string{"api@dest.test"}, Data: "Subject: api\r\n\r\nx\r\n"}, "api test")
	if !errors.Is(err, spool.ErrFull) || !errors.Is(err, api.ErrTryLater) || !strings.Contains(err.Error(), "spool-max-recipients is 3") {
		t.Fatalf("API injection past the limit: %v", err)
	}

	cfg, _ := testConfig(t, dir, "spool-max-recipients 1000\n")
	if err := rn.apply(cfg); err != nil {
		t.Fatal(err)
	}
	if err := send(100); err != nil {
		t.Fatalf("after raising the limit: %v", err)
	}
}

func TestBacklogFull(t *testing.T) {
	var none *backlog
	if _, bad := none.full(); bad || none.errFull() != nil {
		t.Fatal("no backlog refused")
	}
	b := newBacklog(0)
	b.queued.Store(1 << 40)
	if _, bad := b.full(); bad {
		t.Fatal("auto refused")
	}
	b.limit.Store(10)
	b.queued.Store(10)
	if _, bad := b.full(); bad {
		t.Fatal("refused at the limit")
	}
	b.queued.Store(11)
	if why, bad := b.full(); !bad || why != "11 recipients queued, spool-max-recipients is 10" {
		t.Fatalf("past the limit: %q, %v", why, bad)
	}
}
