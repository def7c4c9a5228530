package main

import (
	"bytes"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
)

// TestBounceProcessor sends an asynchronous DSN and a delay report to the
// <bounce-processor>'s address: rb and rs records with the classifier's
// category, the hard-bounced address on the runtime suppression list, and
// the processor's recipient settled, not delivered.
func TestBounceProcessor(t *testing.T) {
	acctPath := filepath.Join(t.TempDir(), "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records d,rb,rs\n</acct-file>\n"+
		"<source 0/0>\n always-allow-relaying yes\n</source>\n"+
		"<bounce-processor>\n <address-list>\n  address bounces@proc.test\n </address-list>\n</bounce-processor>\n")
	base := apiURL(t, d)
	dsn := func(rcpt, action, status, diag string) string {
		return "From: MAILER-DAEMON@mx.remote.test\r\nTo: bounces@proc.test\r\nSubject: Delivery Status Notification\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n" +
			"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.test\r\n\r\n" +
			"Final-Recipient: rfc822; " + rcpt + "\r\nAction: " + action + "\r\nStatus: " + status + "\r\n" +
			"Diagnostic-Code: smtp; " + diag + "\r\n\r\n--b1--\r\n"
	}
	for _, m := range []string{
		dsn("gone@remote.test", "failed", "5.1.1", "550 5.1.1 The email account that you tried to reach does not exist"),
		dsn("slow@remote.test", "delayed", "4.4.1", "421 4.4.1 connection timed out"),
	} {
		if err := sendRaw(d.addr, "", "bounces@proc.test", m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, peerTimeout, "the rb and rs records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Contains(string(b), "gone@remote.test") && strings.Contains(string(b), "slow@remote.test")
	})
	b, _ := os.ReadFile(acctPath)
	rb, rs := lineWith(string(b), "gone@remote.test"), lineWith(string(b), "slow@remote.test")
	if !strings.HasPrefix(rb, "rb,") || !strings.Contains(rb, "bad-mailbox") || !strings.HasPrefix(rs, "rs,") {
		t.Fatalf("records:\n%s", b)
	}
	waitFor(t, peerTimeout, "the hard bounce suppressed", func() bool { return isSuppressed(t, base, "gone@remote.test") })
	if isSuppressed(t, base, "slow@remote.test") {
		t.Fatal("a delay report suppressed its recipient")
	}
	if v := metricValue(t, base, `volley_remote_bounces_total{category="bad-mailbox"}`); v != 1 {
		t.Fatalf("volley_remote_bounces_total{bad-mailbox} = %v, want 1", v)
	}
	var st api.Status
	get(t, base+"/api/v1/status", &st)
	if st.Traffic.RemoteBounces != 2 || st.Queued.Recipients != 0 {
		t.Fatalf("status: %+v %+v", st.Traffic, st.Queued)
	}
	waitFor(t, peerTimeout, "both processor recipients settled (d records)", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), "Processed by the bounce processor") == 2
	})
}

// sendRaw sends msg as it is (CRLF lines) from from to to.
func sendRaw(addr, from, to, msg string) error {
	return smtp.SendMail(addr, nil, from, []string{to}, []byte(msg))
}

// TestProcessorUnmatched: mail to a processor's address that is no report
// (a person's reply to a bounce address) is not lost: by default
// (deliver-unmatched-email) it is delivered to that address, and with
// forward-unmatched-to to the address named there; a report is consumed.
func TestProcessorUnmatched(t *testing.T) {
	save := t.TempDir()
	host, port := serveSink(t, loadgen.NewSink(loadgen.SinkOptions{Save: save}))
	route := " smtp-hosts [" + host + "]:" + port + "\n"
	d := startVolleyd(t, "", "<source 0/0>\n always-allow-relaying yes\n</source>\n"+
		"<bounce-processor>\n <address-list>\n  address bounces@proc.test\n </address-list>\n</bounce-processor>\n"+
		"<feedback-loop-processor>\n forward-unmatched-to abuse-desk@proc.test\n"+
		" <address-list>\n  address fbl@proc.test\n </address-list>\n</feedback-loop-processor>\n"+
		"<domain proc.test>\n"+route+"</domain>\n")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("volleyd's log:\n%s", d.logs)
		}
	})
	for _, m := range []struct{ to, text string }{
		{"bounces@proc.test", "From: Ann <ann@customer.test>\r\nSubject: Re: your newsletter\r\n\r\nPlease call me.\r\n"},
		{"fbl@proc.test", "From: Bob <bob@customer.test>\r\nSubject: question\r\n\r\nIs this the abuse desk?\r\n"},
		{"bounces@proc.test", "From: MAILER-DAEMON@mx.remote.test\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
			"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.remote.test\r\n\r\n" +
			"Final-Recipient: rfc822; gone@remote.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n"},
	} {
		if err := sendRaw(d.addr, "someone@customer.test", m.to, m.text); err != nil {
			t.Fatal(err)
		}
	}
	got := savedMessages(t, save, 2)
	time.Sleep(500 * time.Millisecond) // a third (the report) must not follow
	if files, _ := filepath.Glob(filepath.Join(save, "*.eml")); len(files) != 2 {
		var all []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, string(b))
		}
		t.Fatalf("%d messages at the sink, want 2 (the report consumed):\n%s\nlog:\n%s", len(files), strings.Join(all, "\n----\n"), d.logs)
	}
	to := map[string]string{}
	for _, m := range got {
		switch {
		case bytes.Contains(m, []byte("Please call me.")):
			to["reply"] = "bounces"
		case bytes.Contains(m, []byte("Is this the abuse desk?")):
			to["question"] = "forwarded"
		}
	}
	if len(to) != 2 {
		t.Fatalf("delivered: %v", to)
	}
	files, _ := filepath.Glob(filepath.Join(save, "*.eml"))
	var envelopes []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		envelopes = append(envelopes, lineWith(string(b), "X-Sink-To"))
	}
	joined := strings.Join(envelopes, "\n")
	if !strings.Contains(joined, "bounces@proc.test") || !strings.Contains(joined, "abuse-desk@proc.test") {
		t.Fatalf("envelope recipients:\n%s", joined)
	}
}
