package bounce

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/volleymta/volley/spool"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenCases are whole DSNs a reviewer reads in testdata/NAME.golden
// (CRLF line endings, as sent).
var goldenCases = map[string]func(*Params){
	"failure": func(*Params) {},
	"delay": func(p *Params) {
		o := &p.Outcomes[0]
		o.Recipient.Notify = spool.NotifyDelay | spool.NotifyFailure
		o.Action, o.Status, o.Diagnostic = ActionDelayed, "4.4.1", "X-Volley; connection timed out"
		o.WillRetryUntil = tUntil
	},
	"success-full": func(p *Params) {
		p.Message.Ret = spool.RetFull
		o := &p.Outcomes[0]
		o.Recipient.Notify = spool.NotifySuccess
		o.Action, o.Status, o.Diagnostic = ActionRelayed, "", "smtp; 250 2.0.0 Ok: queued as 4FQ3"
	},
	"global": func(p *Params) {
		p.Message.SMTPUTF8, p.Message.Body, p.Message.From = true, spool.Body8BitMIME, "jöran@example.de"
		o := &p.Outcomes[0]
		o.Recipient = spool.Recipient{Addr: "用户@example.cn", ORCPT: "utf-8;用户@example.cn"}
		o.Diagnostic = "smtp; 550 5.1.1 用户 unknown"
		p.Original = []byte("From: Jöran <jöran@example.de>\r\nTo: 用户@example.cn\r\nSubject: 你好\r\n\r\nbody\r\n")
	},
}

func TestGolden(t *testing.T) {
	for name, change := range goldenCases {
		t.Run(name, func(t *testing.T) {
			p := testParams()
			change(p)
			out, _ := mustBuild(t, p)
			mustParse(t, out)
			file := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("DSN differs from %s (run with -update after checking):\n%s", file, out)
			}
		})
	}
}
