package bounce

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/volleymta/volley/spool"
)

// pythonResult is what testdata/check_dsn.py prints.
type pythonResult struct {
	Type            string              `json:"type"`
	ReportType      string              `json:"report_type"`
	Multipart       bool                `json:"multipart"`
	Subject         string              `json:"subject"`
	Parts           []string            `json:"parts"`
	ModernParts     []string            `json:"modern_parts"`
	Defects         []string            `json:"defects"`
	Blocks          []map[string]string `json:"blocks"`
	ReturnedSubject *string             `json:"returned_subject"`
}

// needPython returns Debian's python3, or skips; under VOLLEY_REQUIRE_PEERS
// (CI) it fails instead.
func needPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
			t.Fatalf("%s not installed (apt-get install python3)", py)
		}
		t.Skipf("%s not installed; skipping the Python email interop test", py)
	}
	return py
}

// TestInteropPythonEmail has Python's email package read our DSNs: a
// multipart/report whose second part is message/delivery-status with one
// block per recipient, and no defect anywhere.
func TestInteropPythonEmail(t *testing.T) {
	py := needPython(t)
	cases := map[string]func(*Params){
		"headers": func(*Params) {},
		"full":    func(p *Params) { p.Message.Ret = spool.RetFull },
		"several": func(p *Params) {
			p.Outcomes = append(p.Outcomes,
				Outcome{Recipient: spool.Recipient{Addr: "late@example.net", ORCPT: "rfc822;late@example.net"},
					Action: ActionDelayed, RemoteMTA: "mx.example.net", Diagnostic: "451 4.7.1 greylisted",
					LastAttempt: tAttempt, WillRetryUntil: tUntil},
				Outcome{Recipient: spool.Recipient{Addr: "ok@example.org"}, Action: ActionDelivered})
		},
		"8bit full": func(p *Params) {
			p.Message.Ret, p.Message.Body = spool.RetFull, spool.Body8BitMIME
			p.Original = []byte("Subject: Quarterly report\r\nContent-Type: text/plain; charset=utf-8\r\n" +
				"Content-Transfer-Encoding: 8bit\r\n\r\nCafé crème\r\n")
		},
		"long diagnostic": func(p *Params) {
			p.Outcomes[0].Diagnostic = "smtp; 550 5.7.1 " +
				"Message rejected because the sending host is listed on several block lists " +
				"and the domain has a poor reputation; see https://example.com/postmaster for help " +
				"and contact the postmaster of this domain if you believe this is an error"
		},
	}
	dir := t.TempDir()
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p := testParams()
			change(p)
			out, _ := mustBuild(t, p)
			file := filepath.Join(dir, name+".eml")
			if err := os.WriteFile(file, out, 0o600); err != nil {
				t.Fatal(err)
			}
			stdout, err := exec.Command(py, "testdata/check_dsn.py", file).Output()
			if err != nil {
				t.Fatalf("check_dsn.py: %v %s", err, stderrOf(err))
			}
			var r pythonResult
			if err := json.Unmarshal(stdout, &r); err != nil {
				t.Fatalf("check_dsn.py output %q: %v", stdout, err)
			}
			third := "text/rfc822-headers"
			if p.Message.Ret == spool.RetFull {
				third = "message/rfc822"
			}
			want := []string{"text/plain", "message/delivery-status", third}
			if r.Type != "multipart/report" || r.ReportType != "delivery-status" || !r.Multipart ||
				!slices.Equal(r.Parts, want) || !slices.Equal(r.ModernParts, want) {
				t.Fatalf("python sees %+v, want multipart/report with %v", r, want)
			}
			if len(r.Defects) > 0 {
				t.Errorf("python found defects: %v", r.Defects)
			}
			if len(r.Blocks) != 1+len(p.Outcomes) || r.Blocks[0]["Reporting-MTA"] != "dns; mta1.example.net" {
				t.Fatalf("status blocks %v", r.Blocks)
			}
			for i, o := range p.Outcomes {
				b := r.Blocks[1+i]
				if b["Final-Recipient"] != "rfc822; "+o.Recipient.Addr || b["Action"] != o.Action.String() || b["Status"] != statusOf(&o) {
					t.Errorf("block %d: %v", 1+i, b)
				}
			}
			if r.ReturnedSubject == nil || *r.ReturnedSubject != "Quarterly report" {
				t.Errorf("returned subject %v", r.ReturnedSubject)
			}
			if r.Subject != "Delivery Status Notification (Failure)" {
				t.Errorf("subject %q", r.Subject)
			}
		})
	}
}

func stderrOf(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
