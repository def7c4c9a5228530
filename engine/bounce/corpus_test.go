package bounce

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

// corpusDir holds real DSNs (shared/corpus, outside the repository); tests
// that need it skip when it is absent.
const corpusDir = "../../../shared/corpus/"

// corpusDSNs are real RFC 3464 DSNs from several MTAs, the structure
// references for ours.
var corpusDSNs = []string{
	"bounces/lhost-powermta-01.eml",        // PowerMTA: text/rfc822-headers, no Content-Type on the text part
	"bounces/lhost-powermta-02.eml",        //
	"bounces/lhost-powermta-03.eml",        //
	"bounces/lhost-postfix-06.eml",         // Postfix: message/rfc822
	"bounces/lhost-postfix-45.eml",         // Postfix: text/rfc822-headers
	"bounces/lhost-exim-29.eml",            // Exim
	"bounces/lhost-courier-04.eml",         // Courier
	"bounces/lhost-sendmail-06.eml",        // Sendmail
	"bounces/lhost-amazonses-05.eml",       // Amazon SES
	"bounces/lhost-messagingserver-01.eml", // Oracle Messaging Server
	"arf/kumomta/rfc3464/1.eml",            // RFC 3464's own examples
	"arf/kumomta/rfc3464/3.eml",
	"arf/kumomta/rfc3464/4.eml",
}

// dsnFields are the RFC 3464 fields Build writes.
var dsnFields = []string{"Reporting-Mta", "Arrival-Date", "Original-Envelope-Id", "Final-Recipient",
	"Original-Recipient", "Action", "Status", "Remote-Mta", "Diagnostic-Code", "Last-Attempt-Date", "Will-Retry-Until"}

// TestCorpusStructure parses real DSNs with the same reader and checker as
// ours, then builds a DSN for the same action and RET and expects the same
// part structure and at least the RFC 3464 fields the real one has.
func TestCorpusStructure(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	for _, name := range corpusDSNs {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(corpusDir + name)
			if err != nil {
				t.Skipf("%v", err)
			}
			real, err := parseDSN(raw)
			if err != nil {
				t.Fatalf("real DSN: %v", err)
			}
			if bad := checkStructure(real); len(bad) > 0 {
				t.Fatalf("real DSN breaks the checker: %v", bad)
			}

			p := testParams()
			p.Message.Ret = spool.RetHdrs
			if ts := real.types(); len(ts) == 3 && ts[2] == "message/rfc822" {
				p.Message.Ret = spool.RetFull
			} else if len(ts) == 2 {
				p.Original = nil
			}
			switch a := strings.ToLower(strings.TrimSpace(real.perRcpt[0].Get("Action"))); a {
			case "delayed":
				p.Outcomes[0].Action, p.Outcomes[0].Status, p.Outcomes[0].WillRetryUntil = ActionDelayed, "4.4.1", tUntil
			case "failed":
			default:
				p.Outcomes[0].Action, p.Outcomes[0].Status = ActionDelivered, "2.0.0"
			}
			ours := mustParse(t, first(mustBuild(t, p)))

			realTypes, ourTypes := real.types(), ours.types()
			if !slices.Equal(realTypes[1:], ourTypes[1:]) || !strings.HasPrefix(realTypes[0], "text/") && realTypes[0] != "multipart/alternative" {
				t.Errorf("parts: real %v, ours %v", realTypes, ourTypes)
			}
			for _, f := range dsnFields {
				_, inReal := real.perMsg[f]
				if _, r := real.perRcpt[0][f]; r {
					inReal = true
				}
				_, inOurs := ours.perMsg[f]
				if _, r := ours.perRcpt[0][f]; r {
					inOurs = true
				}
				if inReal && !inOurs {
					t.Errorf("real DSN has %s, ours not", f)
				}
			}
		})
	}
}
