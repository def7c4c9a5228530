package bounce

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// crlf turns the LF line ends of a test message into CRLF.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// dsnMessage is a Postfix-style multipart/report DSN with the given text
// part and delivery-status per-recipient blocks.
func dsnMessage(text string, blocks ...string) []byte {
	var b strings.Builder
	b.WriteString("Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n" +
		"To: sender@example.org\nSubject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"B1/mx.example.net\"\n\n" +
		"This is a MIME-encapsulated message.\n\n--B1/mx.example.net\nContent-Type: text/plain; charset=us-ascii\n\n")
	b.WriteString(text)
	b.WriteString("\n--B1/mx.example.net\nContent-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.example.net\nArrival-Date: Sat,  1 Mar 2025 10:00:00 +0000 (UTC)\n")
	for _, bl := range blocks {
		b.WriteString("\n" + bl)
	}
	b.WriteString("\n--B1/mx.example.net\nContent-Type: text/rfc822-headers\n\n" +
		"From: sender@example.org\nTo: user@example.com\nSubject: hello\n\n--B1/mx.example.net--\n")
	return crlf(b.String())
}

func TestClassifyDSN(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  []byte
		want []Classification
	}{
		{"user unknown", dsnMessage("<user@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1\n"+
			"    <user@example.com>: Recipient address rejected: User unknown (in reply to RCPT TO command)\n",
			"Final-Recipient: rfc822; user@example.com\nOriginal-Recipient: rfc822;user@example.com\nAction: failed\n"+
				"Status: 5.1.1\nRemote-MTA: dns; mx.example.com\nDiagnostic-Code: smtp; 550 5.1.1 <user@example.com>:\n"+
				"    Recipient address rejected: User unknown\n"),
			[]Classification{{Recipient: "user@example.com", Category: CategoryBadMailbox, Status: "5.1.1", Hard: true}}},
		{"full mailbox and a delivered one", dsnMessage("",
			"Final-Recipient: rfc822; full@example.com\nAction: failed\nStatus: 5.2.2\n"+
				"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n",
			"Final-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n"),
			[]Classification{{Recipient: "full@example.com", Category: CategoryQuotaIssues, Status: "5.2.2"}}},
		{"success only", dsnMessage("", "Final-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n"), nil},
		{"delayed by a timeout", dsnMessage("",
			"Final-Recipient: rfc822; slow@example.com\nAction: delayed\nStatus: 4.4.1\n"+
				"Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.1]:25: Connection timed out\n"),
			[]Classification{{Recipient: "slow@example.com", Category: CategoryMessageExpired, Status: "4.4.1"}}},
		{"given up after temporary failures", dsnMessage("",
			"Final-Recipient: rfc822; gone@example.com\nAction: failed\nStatus: 4.4.7\n"),
			[]Classification{{Recipient: "gone@example.com", Category: CategoryMessageExpired, Status: "4.4.7"}}},
		{"status from the diagnostic", dsnMessage("",
			"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0\n"+
				"Diagnostic-Code: smtp; 550 5.7.1 Service unavailable; client [192.0.2.9] blocked using zen.spamhaus.org\n"),
			[]Classification{{Recipient: "a@example.com", Category: CategorySpamRelated, Status: "5.7.1"}}},
		{"user unknown after DATA is soft", dsnMessage("<a@example.jp>: host mx.example.jp[192.0.2.1] said: 550 Unknown\n"+
			"    user a@example.jp (in reply to end of DATA command)\n",
			"Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.0.0\n"+
				"Diagnostic-Code: smtp; 550 Unknown user a@example.jp\n"),
			[]Classification{{Recipient: "a@example.jp", Category: CategoryBadMailbox, Status: "5.0.0"}}},
		{"refused at MAIL FROM", dsnMessage("<b@example.net>: host mx.example.net[192.0.2.1] said: 550 Access\n"+
			"    denied (in reply to MAIL FROM command)\n",
			"Final-Recipient: rfc822; b@example.net\nAction: failed\nStatus: 5.0.0\n"+
				"Diagnostic-Code: smtp; 550 Access denied\n"),
			[]Classification{{Recipient: "b@example.net", Category: CategoryInvalidSender, Status: "5.0.0"}}},
		{"local mailer exit status", dsnMessage("",
			"Final-Recipient: rfc822; c@example.com\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Unix; 67\n"),
			[]Classification{{Recipient: "c@example.com", Category: CategoryBadMailbox, Status: "5.0.0", Hard: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkClassified(t, Classify(tc.msg, nil), tc.want)
		})
	}
}

// checkClassified compares everything but the diagnostic.
func checkClassified(t *testing.T, got, want []Classification) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d classifications %+v, want %d", len(got), got, len(want))
	}
	for i := range got {
		g := got[i]
		g.Diagnostic = ""
		if g != want[i] {
			t.Errorf("%d: got %+v, want %+v", i, g, want[i])
		}
	}
}

func TestClassifyFreeForm(t *testing.T) {
	qmail := "Return-Path: <>\nFrom: MAILER-DAEMON@mail.example.org\nTo: sender@example.org\n" +
		"Subject: failure notice\n\n" +
		"Hi. This is the qmail-send program at mail.example.org.\n" +
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n" +
		"This is a permanent error; I've given up. Sorry it didn't work out.\n\n" +
		"<nobody@example.invalid>:\nSorry, I couldn't find any host named example.invalid. (#5.1.2)\n\n" +
		"<full@example.com>:\n192.0.2.7 does not like recipient.\nRemote host said: 552 5.2.2 <full@example.com>: mailbox is full\n" +
		"Giving up on 192.0.2.7.\n\n" +
		"--- Below this line is a copy of the message.\n\n" +
		"Return-Path: <sender@example.org>\nTo: someone@example.net\nSubject: spam spam virus\n\nuser unknown\n"
	exim := "Return-path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: sender@example.org\n" +
		"Subject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: rcpt@example.com\n\n" +
		"This message was created automatically by mail delivery software.\n\n" +
		"A message that you sent could not be delivered to one or more of its\n" +
		"recipients. This is a permanent error. The following address(es) failed:\n\n" +
		"  rcpt@example.com\n    host mx.example.com [192.0.2.5]\n" +
		"    SMTP error from remote mail server after RCPT TO:<rcpt@example.com>:\n" +
		"    554 5.7.1 <rcpt@example.com>: Relay access denied\n\n" +
		"------ This is a copy of the message, including all the headers. ------\n\nSubject: x\n\nhello\n"
	plain := "From: Friend <friend@example.com>\nTo: me@example.org\nSubject: lunch?\n\nShall we meet at noon?\n"
	for _, tc := range []struct {
		name string
		msg  string
		want []Classification
	}{
		{"qmail, two recipients", qmail, []Classification{
			{Recipient: "nobody@example.invalid", Category: CategoryBadDomain, Status: "5.1.2", Hard: true},
			{Recipient: "full@example.com", Category: CategoryQuotaIssues, Status: "5.2.2"},
		}},
		{"exim", exim, []Classification{{Recipient: "rcpt@example.com", Category: CategoryRelayingIssues, Status: "5.7.1"}}},
		{"not a bounce", plain, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify([]byte(tc.msg), nil)
			checkClassified(t, got, tc.want)
			for _, c := range got {
				if strings.Contains(c.Diagnostic, "copy of the message") || !strings.Contains(c.Diagnostic, c.Recipient) {
					t.Errorf("diagnostic of %s: %q", c.Recipient, c.Diagnostic)
				}
			}
		})
	}
}

func TestClassifyEncodings(t *testing.T) {
	status := base64.StdEncoding.EncodeToString([]byte("Reporting-MTA: dns; mx.example.net\r\n\r\n" +
		"Final-Recipient: rfc822; q@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n" +
		"Diagnostic-Code: smtp; 552 5.2.2 Over quota\r\n"))
	msg := "From: MAILER-DAEMON@mx.example.net\nSubject: Delivery Status Notification (Failure)\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=xyz\n\n--xyz\n" +
		"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Your message could not be delivered to q@example.com: the recipient's mailbox is =\nfull.\n" +
		"--xyz\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n" +
		status + "\n--xyz--\n"
	checkClassified(t, Classify(crlf(msg), nil),
		[]Classification{{Recipient: "q@example.com", Category: CategoryQuotaIssues, Status: "5.2.2"}})
}

func TestClassifyJSONNotification(t *testing.T) {
	msg := "From: no-reply@sns.example.com\nSubject: Notification\nContent-Type: text/plain\n\n" +
		`{"Type":"Notification","Message":"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",` +
		`\"bouncedRecipients\":[{\"emailAddress\":\"x@example.com\",\"action\":\"failed\",\"status\":\"5.1.1\",` +
		`\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}]}}"}` + "\n"
	checkClassified(t, Classify([]byte(msg), nil),
		[]Classification{{Recipient: "x@example.com", Category: CategoryBadMailbox, Status: "5.1.1", Hard: true}})
}

func TestClassifyForwarded(t *testing.T) {
	inner := string(dsnMessage("", "Final-Recipient: rfc822; f@example.com\nAction: failed\nStatus: 5.1.1\n"+
		"Diagnostic-Code: smtp; 550 5.1.1 no such user\n"))
	attached := "From: admin@example.org\nSubject: Fwd: bounce\nContent-Type: message/rfc822\n\n" + inner
	checkClassified(t, Classify([]byte(attached), nil),
		[]Classification{{Recipient: "f@example.com", Category: CategoryBadMailbox, Status: "5.1.1", Hard: true}})
	inline := "From: admin@example.org\nSubject: Fwd: bounce\nContent-Type: text/plain\n\nSee below.\n\n" +
		"------ Forwarded\n" + strings.ReplaceAll(inner, "\r\n", "\n")
	checkClassified(t, Classify([]byte(inline), nil),
		[]Classification{{Recipient: "f@example.com", Category: CategoryBadMailbox, Status: "5.1.1", Hard: true}})
}

func TestClassifyReply(t *testing.T) {
	for _, tc := range []struct {
		reply, cat, status string
		hard               bool
	}{
		{"550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in local recipient table", CategoryBadMailbox, "5.1.1", true},
		{"550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n550-5.1.1 double-checking the recipient's email address", CategoryBadMailbox, "5.1.1", true},
		{"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", CategoryBadMailbox, "5.1.10", true},
		{"550 5.4.4 Unable to route", CategoryBadDomain, "5.4.4", true},
		{"552 5.2.2 Mailbox full", CategoryQuotaIssues, "5.2.2", false},
		{"550 5.2.1 The email account that you tried to reach is disabled.", CategoryInactiveMailbox, "5.2.1", false},
		{"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", CategorySpamRelated, "5.7.1", false},
		{"550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy", CategoryPolicyRelated, "5.7.26", false},
		{"554 5.7.1 <a@example.com>: Relay access denied", CategoryRelayingIssues, "5.7.1", false},
		{"553 5.1.8 Domain of sender address a@example.invalid does not exist", CategoryInvalidSender, "5.1.8", false},
		{"554 5.6.0 Message content rejected", CategoryContentRelated, "5.6.0", false},
		{"550 Virus found in message", CategoryVirusRelated, "5.0.0", false},
		{"500 5.5.1 Command unrecognized", CategoryProtocolErrors, "5.5.1", false},
		{"421 4.7.0 Try again later, closing connection.", CategoryPolicyRelated, "4.7.0", false},
		{"451 4.4.1 No answer from host", CategoryNoAnswerFromHost, "4.4.1", false},
		{"450 4.2.2 Mailbox full", CategoryQuotaIssues, "4.2.2", false},
		{"550 user unknown", CategoryBadMailbox, "5.0.0", true},
		{"", CategoryOther, "5.0.0", false},
	} {
		c := ClassifyReply(tc.reply, nil)
		if c.Category != tc.cat || c.Status != tc.status || c.Hard != tc.hard || c.Recipient != "" {
			t.Errorf("ClassifyReply(%q) = %+v, want %s %s hard=%v", tc.reply, c, tc.cat, tc.status, tc.hard)
		}
	}
}

func TestPatterns(t *testing.T) {
	re := func(s string) *regexp.Regexp { return regexp.MustCompile("(?i)" + s) }
	ps := Patterns{
		{re(`^5\.2\.2`), "mailbox-full"}, // status-anchored, as in PowerMTA's list
		{re(`no such user`), "typo"},     // overrides the built-in bad-mailbox
		{nil, "ignored"},                 // a hole in the list is skipped
		{re(``), "unclassified"},         // catch-all: only after the built-in rules
		{re(`zzz`), "after-catch-all"},   // a pattern after a catch-all is still tried
	}
	for _, tc := range []struct{ reply, cat string }{
		{"552 5.2.2 over quota", "mailbox-full"},
		{"550 5.1.1 no such user here", "typo"},
		{"550 5.1.1 user unknown", CategoryBadMailbox},
		{"550 zzz", "after-catch-all"},
		{"599 something odd", "unclassified"},
	} {
		if c := ClassifyReply(tc.reply, ps); c.Category != tc.cat {
			t.Errorf("%q: category %q, want %q", tc.reply, c.Category, tc.cat)
		}
	}
	if c := ClassifyReply("550 5.1.1 no such user here", ps); c.Hard {
		t.Errorf("a custom category is never hard: %+v", c)
	}
}

func TestHardFailure(t *testing.T) {
	for _, tc := range []struct {
		cat, st, cmd string
		coded, want  bool
	}{
		{CategoryBadDomain, "5.0.0", cmdData, false, true},
		{CategoryBadMailbox, "5.1.1", cmdData, true, true},
		{CategoryBadMailbox, "5.0.0", cmdRcpt, false, true},
		{CategoryBadMailbox, "5.0.0", "", false, true},
		{CategoryBadMailbox, "5.0.0", cmdData, false, false}, // a filter's verdict
		{CategoryBadMailbox, "5.5.0", cmdData, true, true},   // a coded reply
		{CategoryBadMailbox, "5.2.1", "", true, false},       // the status says the mailbox exists
		{CategoryBadMailbox, "5.2.1", cmdRcpt, true, true},   // refused at RCPT
		{CategoryBadMailbox, "5.7.1", "", true, false},       // a policy status
		{CategoryInactiveMailbox, "5.2.1", cmdRcpt, true, false},
		{CategoryInactiveMailbox, "5.1.1", "", true, true},
		{CategoryQuotaIssues, "5.2.2", cmdRcpt, true, false},
		{CategorySpamRelated, "5.7.1", cmdRcpt, true, false},
	} {
		if got := hardFailure(tc.cat, tc.st, tc.cmd, tc.coded); got != tc.want {
			t.Errorf("hardFailure(%s, %s, %q, %v) = %v", tc.cat, tc.st, tc.cmd, tc.coded, got)
		}
	}
}

func TestFindCodes(t *testing.T) {
	for _, tc := range []struct{ in, status, reply string }{
		{"550 5.1.1 user unknown", "5.1.1", "550"},
		{"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1", ""},
		{"connect to 192.0.2.25:25: timed out", "", ""},
		{"host 10.5.1.1 said: 421-4.7.0 later", "4.7.0", "421"},
		{"550-5.7.1 [192.0.2.1] blocked", "5.7.1", "550"},
		{"Postfix 3.5.1.1 at 2.0.0.1", "", ""},
		{"status 5.1.1.", "5.1.1", ""},
		{"450: : temporary", "", "450"},
		{"code 5550 and 4.1", "", ""},
	} {
		if got := findStatus(tc.in); got != tc.status {
			t.Errorf("findStatus(%q) = %q, want %q", tc.in, got, tc.status)
		}
		if got := findReply(tc.in); got != tc.reply {
			t.Errorf("findReply(%q) = %q, want %q", tc.in, got, tc.reply)
		}
	}
}

func TestNormalize(t *testing.T) {
	got := normalize("550-5.7.1 This message is\r\n550-5.7.1 likely SPAM.\t  Bye ")
	if want := "this message is likely spam. bye"; got != want {
		t.Errorf("normalize = %q, want %q", got, want)
	}
}

// TestRuleCategories keeps the built-in rules within PowerMTA's categories.
func TestRuleCategories(t *testing.T) {
	cats := Categories()
	if len(cats) != 17 || !slices.IsSorted(cats) {
		t.Fatalf("Categories() = %v", cats)
	}
	for _, rules := range [][]textRule{reasonRules, transportRules} {
		for _, r := range rules {
			if !slices.Contains(cats, r.cat) {
				t.Errorf("rule %q names %q", r.alts[0].re, r.cat)
			}
		}
	}
	for _, st := range []string{"5.1.1", "5.1.2", "5.1.7", "5.2.1", "5.2.2", "5.3.4", "5.4.1", "5.4.7", "5.5.2", "5.6.1", "5.7.1", "5.7.13", "5.7.650"} {
		if c := statusCategory(st); !slices.Contains(cats, c) {
			t.Errorf("statusCategory(%s) = %q", st, c)
		}
	}
}

// TestClassifyLargeInputs feeds shapes of input that would cost time
// quadratic in their size if a scan restarted per address, per recipient
// or per folded line; each must take a small fraction of the bound.
func TestClassifyLargeInputs(t *testing.T) {
	h := "From: MAILER-DAEMON@x.example\nSubject: failure\n\n"
	for name, msg := range map[string]string{
		"addresses":  h + strings.Repeat("user1@example.com user2@example.net\n", 8000),
		"one line":   h + strings.Repeat("a@b.cc", 50000),
		"at signs":   h + strings.Repeat("@", 300000),
		"codes":      h + strings.Repeat("550-5.1.1 ", 30000),
		"folds":      "To: a\n" + strings.Repeat(" x\n", 100000) + "\nbody",
		"dsn blocks": "Content-Type: message/delivery-status\n\n" + strings.Repeat("Final-Recipient: rfc822; a@b.cc\nStatus: 5.1.1\n\n", 10000),
		"dsn folds":  "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.cc\nDiagnostic-Code: x" + strings.Repeat("\n user unknown", 50000),
		"nesting":    strings.Repeat("Content-Type: multipart/mixed; boundary=q\n\n--q\n", 2000),
		"parts":      "Content-Type: multipart/mixed; boundary=q\n\n" + strings.Repeat("--q\n\nuser unknown x@y.zz\n", 20000),
		"failed":     "X-Failed-Recipients: " + strings.Repeat("a@b.cc, ", 10000) + "\n\n" + strings.Repeat("a@b.cc x ", 30000),
	} {
		start := time.Now()
		Classify([]byte(msg), nil)
		ClassifyReply(msg, nil)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(msg), d)
		}
	}
}
