package engine

import (
	"fmt"
	"net/smtp"
	"testing"

	"github.com/volleymta/volley/engine/api"
)

// TestAlias: mail for an aliased address, over SMTP or the API, goes to
// the alias's target; other recipients of the same message are untouched.
func TestAlias(t *testing.T) {
	cs := startCapture(t)
	addr, _, rn, _ := startRunning(t, fmt.Sprintf("alias Postmaster@dest.test ops@other.test\n<domain *>\n    smtp-hosts [%s]:%s\n</domain>\n",
		sinkHost(cs.addr), sinkPort(cs.addr)))
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"postmaster@DEST.test", "kept@dest.test"}, []byte("Subject: alias\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := rn.Inject(t.Context(), api.Inject{From: "s@origin.test", To: []string{"postmaster@dest.test"}, Data: "Subject: api\r\n\r\nx\r\n"}, "test"); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range waitReceived(t, cs, 3) {
		for _, to := range m.to {
			got[to]++
		}
	}
	if got["ops@other.test"] != 2 || got["kept@dest.test"] != 1 || len(got) != 2 {
		t.Fatalf("delivered to %v, want ops@other.test twice and kept@dest.test once", got)
	}
}
