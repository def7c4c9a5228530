package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// arfReport is an RFC 5965 abuse report about rcpt (feedbackType abuse or
// not-spam), as a receiver's feedback loop sends it.
func arfReport(rcpt, feedbackType, job string) string {
	return "From: fbl@isp.test\r\nTo: fbl@proc.test\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"f1\"\r\n\r\n" +
		"--f1\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n" +
		"--f1\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: " + feedbackType + "\r\n" +
		"User-Agent: ISP-FBL/1.0\r\nVersion: 1\r\nOriginal-Mail-From: <bounces@origin.test>\r\n" +
		"Original-Rcpt-To: <" + rcpt + ">\r\nSource-IP: 127.0.0.1\r\nReported-Domain: origin.test\r\n\r\n" +
		"--f1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: news@origin.test\r\nTo: " + rcpt + "\r\n" +
		"Subject: offer\r\nX-Job: " + job + "\r\nMessage-ID: <m1@origin.test>\r\n\r\n--f1--\r\n"
}

// TestFeedbackLoop sends ARF reports to the <feedback-loop-processor>'s
// address: f records, the complainer suppressed (not for not-spam),
// complaints counted per job and domain, and a domain whose complaint
// rate passes 0.3% of its deliveries put in backoff.
func TestFeedbackLoop(t *testing.T) {
	acctPath := filepath.Join(t.TempDir(), "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records f\n</acct-file>\n"+
		"<source 0/0>\n always-allow-relaying yes\n</source>\n"+
		"<feedback-loop-processor>\n <address-list>\n  address fbl@proc.test\n </address-list>\n</feedback-loop-processor>\n")
	base := apiURL(t, d)
	if err := sendRaw(d.addr, "", "fbl@proc.test", arfReport("angry@isp.test", "abuse", "j1")); err != nil {
		t.Fatal(err)
	}
	if err := sendRaw(d.addr, "", "fbl@proc.test", arfReport("happy@isp.test", "not-spam", "j1")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, peerTimeout, "two f records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Contains(string(b), "angry@isp.test") && strings.Contains(string(b), "happy@isp.test")
	})
	b, _ := os.ReadFile(acctPath)
	if l := lineWith(string(b), "angry@isp.test"); !strings.HasPrefix(l, "f,") || !strings.Contains(l, "abuse") || !strings.Contains(l, "arf") {
		t.Fatalf("f record: %q", l)
	}
	waitFor(t, peerTimeout, "the complainer suppressed", func() bool { return isSuppressed(t, base, "angry@isp.test") })
	if isSuppressed(t, base, "happy@isp.test") {
		t.Fatal("a not-spam report suppressed its recipient")
	}
	waitFor(t, 3*time.Second, "the complaints in /metrics", func() bool {
		return metricValue(t, base, `volley_complaints_total{type="abuse"}`) == 1 &&
			metricValue(t, base, `volley_complaints_total{type="not-spam"}`) == 1
	})
	var comp api.Complaints
	get(t, base+"/api/v1/complaints", &comp)
	if comp.ByJob["j1"] != 1 || comp.ByDomain["isp.test"] != 1 {
		t.Fatalf("complaints: %+v", comp)
	}

	// Mail queued for isp.test, then complaints past the rate: backoff.
	sendMail(t, d, "s@origin.test", []string{"someone@isp.test"}, "")
	for i := range 5 {
		if err := sendRaw(d.addr, "", "fbl@proc.test", arfReport(fmt.Sprintf("c%d@isp.test", i), "abuse", "j2")); err != nil {
			t.Fatal(err)
		}
	}
	var q api.Queue
	waitFor(t, peerTimeout, "isp.test/ in backoff", func() bool {
		get(t, base+"/api/v1/queues/isp.test/_", &q)
		return q.Mode == "backoff"
	})
	if !strings.Contains(d.logs.String(), "complaint rate of isp.test past 0.3%") {
		t.Fatalf("no log line for the complaint backoff:\n%s", d.logs)
	}
}
