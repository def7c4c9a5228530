package fbl

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseARFAbuse(t *testing.T) {
	r, err := Parse(arfReport(abuseFields, testOriginal))
	if err != nil {
		t.Fatal(err)
	}
	want := Report{
		Format: FormatARF, FeedbackType: FeedbackAbuse, RawType: "abuse",
		Complainers: []string{"jane@mail.example"}, Suppress: true,
		MailFrom: "bounces+1234@news.volley.example", MessageID: "20250301.0001@news.volley.example",
		Job: "spring-sale", VirtualMTA: "pool-a", ReportedDomain: "news.volley.example",
		SourceIP: netip.MustParseAddr("192.0.2.25"), Arrival: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Reporter: "ISP-FBL/2.0", Incidents: 3,
	}
	compareReport(t, r, want)
}

// TestParseWhitelist checks the whitelist rule: only complaints that name
// a recipient suppress.
func TestParseWhitelist(t *testing.T) {
	for _, tc := range []struct {
		name, feedbackType string
		typ                FeedbackType
		suppress           bool
	}{
		{"abuse", "abuse", FeedbackAbuse, true},
		{"fraud", "fraud", FeedbackFraud, true},
		{"virus", "virus", FeedbackVirus, true},
		{"other", "other", FeedbackOther, true},
		{"unknown type is other", "complaint", FeedbackOther, true},
		{"case and space", " ABUSE ", FeedbackAbuse, true},
		{"opt-out", "opt-out", FeedbackOptOut, true},
		{"opt-out-list", "opt-out-list", FeedbackOptOut, true},
		{"not-spam retracts", "not-spam", FeedbackNotSpam, false},
		{"miscategorized retracts", "miscategorized", FeedbackNotSpam, false},
		{"auth-failure is no complaint", "auth-failure", FeedbackAuthFailure, false},
		{"dkim is no complaint", "dkim", FeedbackAuthFailure, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := strings.Replace(abuseFields, "Feedback-Type: abuse", "Feedback-Type: "+tc.feedbackType, 1)
			r, err := Parse(arfReport(fields, testOriginal))
			if err != nil {
				t.Fatal(err)
			}
			if r.FeedbackType != tc.typ || r.Suppress != tc.suppress || len(r.Complainers) != 1 {
				t.Errorf("got %s suppress=%v complainers=%q, want %s suppress=%v", r.FeedbackType, r.Suppress,
					r.Complainers, tc.typ, tc.suppress)
			}
		})
	}
}

// TestParseComplainerSources checks where the complainer comes from when
// Original-Rcpt-To is missing.
func TestParseComplainerSources(t *testing.T) {
	noRcpt := strings.Replace(abuseFields, "Original-Rcpt-To: <jane@mail.example>\r\n", "", 1)
	for _, tc := range []struct {
		name, fields, original string
		want                   string
	}{
		{"original To", noRcpt, testOriginal, "jane@mail.example"},
		{"several Original-Rcpt-To", abuseFields + "Original-Rcpt-To: rfc822; joe@Example.ORG\r\n" +
			"Original-Rcpt-To: jane@MAIL.example\r\n", testOriginal, "jane@mail.example joe@example.org"},
		{"Removal-Recipient", noRcpt + "Removal-Recipient: jane@mail.example\r\n", "Subject: x\r\n\r\n", "jane@mail.example"},
		{"X-HmXmrOriginalRecipient first", noRcpt, "X-HmXmrOriginalRecipient: joe@example.org\r\n" + testOriginal,
			"joe@example.org"},
		{"To with two addresses names no one", noRcpt,
			strings.Replace(testOriginal, "To: Jane Doe <jane@Mail.Example>", "To: a@example.org, b@example.org", 1), ""},
		{"placeholder To", noRcpt,
			strings.Replace(testOriginal, "To: Jane Doe <jane@Mail.Example>", "To: <Undisclosed Recipients>", 1), ""},
		{"redacted Original-Rcpt-To", strings.Replace(abuseFields, "<jane@mail.example>", "redacted", 1),
			strings.Replace(testOriginal, "To: Jane Doe <jane@Mail.Example>", "To: undisclosed", 1), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(arfReport(tc.fields, tc.original))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Complainers, " "); got != tc.want {
				t.Errorf("complainers %q, want %q", got, tc.want)
			}
			if r.Suppress != (tc.want != "") {
				t.Errorf("Suppress %v with complainers %q", r.Suppress, r.Complainers)
			}
		})
	}
}

// TestParseOriginalForms reads the job and virtual MTA from the forms a
// copy of the original comes in.
func TestParseOriginalForms(t *testing.T) {
	pmta := strings.NewReplacer("X-Volley-Job", "X-Job", "X-Volley-VMTA", "X-Virtual-MTA").Replace(testOriginal)
	headersOnly := strings.Replace(string(arfReport(abuseFields, testOriginal)), "Content-Type: message/rfc822",
		"Content-Type: text/rfc822-headers", 1)
	b64 := base64.StdEncoding.EncodeToString([]byte(testOriginal))
	encoded := strings.Replace(string(arfReport(abuseFields, b64)), "Content-Type: message/rfc822\r\n",
		"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n", 1)
	lf := strings.ReplaceAll(string(arfReport(abuseFields, testOriginal)), "\r\n", "\n")
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{"message/rfc822", arfReport(abuseFields, testOriginal)},
		{"PowerMTA headers", arfReport(abuseFields, pmta)},
		{"text/rfc822-headers", []byte(headersOnly)},
		{"base64 original", []byte(encoded)},
		{"LF line ends", []byte(lf)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Job != "spring-sale" || r.VirtualMTA != "pool-a" || r.MessageID != "20250301.0001@news.volley.example" {
				t.Errorf("job %q vmta %q id %q", r.Job, r.VirtualMTA, r.MessageID)
			}
		})
	}
}

// TestParseForwardedReport reads an ARF report that arrives as the
// attachment of another message, not the wrapper as a forwarded complaint.
func TestParseForwardedReport(t *testing.T) {
	msg := "From: postmaster@isp.example\r\nTo: fbl@volley.example\r\nSubject: Fwd: report\r\n" +
		"Content-Type: multipart/mixed; boundary=\"fw\"\r\n\r\n" +
		"--fw\r\nContent-Type: text/plain\r\n\r\nForwarding a report.\r\n" +
		"--fw\r\nContent-Type: message/rfc822\r\n\r\n" + string(arfReport(abuseFields, testOriginal)) + "\r\n--fw--\r\n"
	r, err := Parse([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != FormatARF || strings.Join(r.Complainers, ",") != "jane@mail.example" || r.Job != "spring-sale" {
		t.Errorf("got %+v", r)
	}
}

// TestParseNotFeedback: messages that are no report, and reports that
// break their form, give errors.
func TestParseNotFeedback(t *testing.T) {
	dsn := "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; jane@mail.example\r\nAction: failed\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" + testOriginal + "\r\n--b--\r\n"
	dsnMixed := strings.Replace(dsn, "multipart/report; report-type=delivery-status", "multipart/mixed", 1)
	for _, tc := range []struct {
		name string
		msg  string
		want error
	}{
		{"empty", "", ErrNotFeedback},
		{"blank lines", "\r\n\r\n", ErrNotFeedback},
		{"plain message", testOriginal, ErrNotFeedback},
		{"DSN", dsn, ErrNotFeedback},
		{"DSN as multipart/mixed", dsnMixed, ErrNotFeedback},
		{"report without boundary", "Content-Type: multipart/report; report-type=feedback-report\r\n\r\nbody\r\n", ErrMalformed},
		{"boundary never used", "Content-Type: multipart/report; boundary=zz\r\n\r\nbody\r\n", ErrMalformed},
		{"no Feedback-Type", string(arfReport("User-Agent: x\r\nVersion: 1\r\n", testOriginal)), ErrMalformed},
		{"empty feedback part", string(arfReport("", testOriginal)), ErrMalformed},
		{"feedback-report without its part", strings.Replace(string(arfReport(abuseFields, testOriginal)),
			"Content-Type: message/feedback-report", "Content-Type: text/plain", 1), ErrMalformed},
		{"bad JSON", "{\"Version\": ", ErrMalformed},
		{"JSON array", "[1, 2]", ErrNotFeedback},
		{"JSON with no report", `{"hello": "world"}`, ErrMalformed},
		{"JSON then garbage", `{"Report": {}} x`, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.msg))
			if !errors.Is(err, tc.want) {
				t.Errorf("Parse = %+v, %v; want %v", r, err, tc.want)
			}
		})
	}
}

func compareReport(t *testing.T, got, want Report) {
	t.Helper()
	if got.Format != want.Format || got.FeedbackType != want.FeedbackType || got.RawType != want.RawType ||
		strings.Join(got.Complainers, ",") != strings.Join(want.Complainers, ",") || got.Suppress != want.Suppress ||
		got.MailFrom != want.MailFrom || got.MessageID != want.MessageID || got.Job != want.Job ||
		got.VirtualMTA != want.VirtualMTA || got.ReportedDomain != want.ReportedDomain || got.SourceIP != want.SourceIP ||
		!got.Arrival.Equal(want.Arrival) || got.Reporter != want.Reporter || got.Incidents != want.Incidents ||
		got.AuthFailure != want.AuthFailure || (got.SchemaErr == nil) != (want.SchemaErr == nil) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
