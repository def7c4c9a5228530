package bounce

import (
	"bytes"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/spool"
)

// TestBuildFailure reads a one-recipient failure DSN back with the standard
// library and checks every header and field.
func TestBuildFailure(t *testing.T) {
	out, ml := mustBuild(t, testParams())
	d := mustParse(t, out)

	if ml != (Mail{Body: spool.Body7Bit}) {
		t.Errorf("Mail = %+v, want 7bit, no SMTPUTF8", ml)
	}
	h := d.header
	for k, want := range map[string]string{
		"From":           "Mail Delivery System <MAILER-DAEMON@mta1.example.net>",
		"To":             "<sender@example.org>",
		"Subject":        "Delivery Status Notification (Failure)",
		"Message-Id":     "<20250301100006.dsn1@mta1.example.net>",
		"Auto-Submitted": "auto-replied",
		"Mime-Version":   "1.0",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if h.Get("Content-Transfer-Encoding") != "" {
		t.Errorf("7-bit DSN declares Content-Transfer-Encoding %q", h.Get("Content-Transfer-Encoding"))
	}
	if date, err := h.Date(); err != nil || !date.Equal(tNow) {
		t.Errorf("Date: %v, %v; want %v", date, err, tNow)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "sender@example.org" {
		t.Errorf("To: %v, %v", to, err)
	}
	if d.params["report-type"] != "delivery-status" {
		t.Errorf("report-type %q", d.params["report-type"])
	}
	if got, want := d.types(), []string{"text/plain", "message/delivery-status", "text/rfc822-headers"}; !slices.Equal(got, want) {
		t.Fatalf("parts %v, want %v", got, want)
	}
	if cs := d.parts[0].header.Get("Content-Type"); cs != "text/plain; charset=us-ascii" {
		t.Errorf("text part Content-Type %q", cs)
	}

	for k, want := range map[string]string{
		"Reporting-MTA":        "dns; mta1.example.net",
		"Original-Envelope-Id": "QQ314159",
		"Arrival-Date":         "Sat, 01 Mar 2025 10:00:00 +0000",
	} {
		if got := d.perMsg.Get(k); got != want {
			t.Errorf("per-message %s: %q, want %q", k, got, want)
		}
	}
	if len(d.perRcpt) != 1 {
		t.Fatalf("%d recipient blocks", len(d.perRcpt))
	}
	r := d.perRcpt[0]
	for k, want := range map[string]string{
		"Original-Recipient": "rfc822; User@Example.com",
		"Final-Recipient":    "rfc822; user@example.com",
		"Action":             "failed",
		"Status":             "5.1.1",
		"Remote-Mta":         "dns; mx.example.com",
		"Diagnostic-Code":    "smtp; 550 5.1.1 <user@example.com>: Recipient address rejected: User unknown",
		"Last-Attempt-Date":  "Sat, 01 Mar 2025 10:00:05 +0000",
		"Will-Retry-Until":   "",
	} {
		if got := r.Get(k); got != want {
			t.Errorf("per-recipient %s: %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"Arrival-Date", "Last-Attempt-Date"} {
		v := d.perMsg.Get(k) + r.Get(k)
		if _, err := mail.ParseDate(v); err != nil {
			t.Errorf("%s %q: %v", k, v, err)
		}
	}

	text := string(d.parts[0].body)
	for _, s := range []string{"mta1.example.net", "could not be delivered", "<user@example.com>",
		"mx.example.com said: 550 5.1.1", "User unknown", "headers of your message are attached"} {
		if !strings.Contains(text, s) {
			t.Errorf("text part lacks %q:\n%s", s, text)
		}
	}
	hdrs := string(d.parts[2].body)
	if !strings.Contains(hdrs, "Subject: Quarterly report\r\n") || strings.Contains(hdrs, "Hello") {
		t.Errorf("RET=HDRS part:\n%s", hdrs)
	}
}

// TestBuildSeveralRecipients reports three recipients of one message with
// different actions in one DSN.
func TestBuildSeveralRecipients(t *testing.T) {
	p := testParams()
	p.Outcomes = append(p.Outcomes,
		Outcome{Recipient: spool.Recipient{Addr: "late@example.net"}, Action: ActionDelayed,
			RemoteMTA: "dns; mx.example.net", Diagnostic: "451 4.7.1 greylisted, try later",
			LastAttempt: tAttempt, WillRetryUntil: tUntil},
		Outcome{Recipient: spool.Recipient{Addr: "ok@example.com"}, Action: ActionRelayed,
			RemoteMTA: "mx.example.com", Diagnostic: "smtp;250 2.0.0 ok queued"})
	out, _ := mustBuild(t, p)
	d := mustParse(t, out)
	if len(d.perRcpt) != 3 {
		t.Fatalf("%d recipient blocks, want 3", len(d.perRcpt))
	}
	want := []struct{ final, action, status, until string }{
		{"rfc822; user@example.com", "failed", "5.1.1", ""},
		{"rfc822; late@example.net", "delayed", "4.7.1", "Wed, 05 Mar 2025 22:00:00 +0000"},
		{"rfc822; ok@example.com", "relayed", "2.0.0", ""},
	}
	for i, w := range want {
		r := d.perRcpt[i]
		if r.Get("Final-Recipient") != w.final || r.Get("Action") != w.action || r.Get("Status") != w.status ||
			r.Get("Will-Retry-Until") != w.until {
			t.Errorf("recipient %d: %v, want %+v", i, r, w)
		}
	}
	if got := d.perRcpt[2].Get("Diagnostic-Code"); got != "smtp; 250 2.0.0 ok queued" {
		t.Errorf("typed diagnostic normalized to %q", got)
	}
	if got := d.header.Get("Subject"); got != "Delivery Status Notification (Failure)" {
		t.Errorf("Subject %q", got)
	}
	text := string(d.parts[0].body)
	iFail, iDelay, iRelay := strings.Index(text, "could not be delivered"), strings.Index(text, "not been delivered yet"),
		strings.Index(text, "passed on")
	if iFail < 0 || iDelay < iFail || iRelay < iDelay {
		t.Errorf("text sections out of order or missing:\n%s", text)
	}
	if !strings.Contains(text, "keep trying until Wed, 05 Mar 2025 22:00:00 +0000") {
		t.Errorf("text lacks the retry limit:\n%s", text)
	}
}

// TestBuildSubject names the most severe action.
func TestBuildSubject(t *testing.T) {
	for _, tc := range []struct {
		acts []Action
		want string
	}{
		{[]Action{ActionFailed}, "Failure"},
		{[]Action{ActionDelayed}, "Delay"},
		{[]Action{ActionDelivered}, "Success"},
		{[]Action{ActionRelayed, ActionExpanded}, "Success"},
		{[]Action{ActionDelivered, ActionDelayed}, "Delay"},
		{[]Action{ActionDelayed, ActionFailed, ActionDelivered}, "Failure"},
	} {
		p := testParams()
		p.Outcomes = nil
		for _, a := range tc.acts {
			p.Outcomes = append(p.Outcomes, Outcome{Recipient: spool.Recipient{Addr: "r@example.com"}, Action: a})
		}
		d := mustParse(t, first(mustBuild(t, p)))
		if got := d.header.Get("Subject"); got != "Delivery Status Notification ("+tc.want+")" {
			t.Errorf("%v: Subject %q", tc.acts, got)
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

// TestBuildStatus checks the status defaults and the enhanced code taken
// from the diagnostic.
func TestBuildStatus(t *testing.T) {
	for _, tc := range []struct {
		action       Action
		status, diag string
		want         string
	}{
		{ActionFailed, "5.2.2", "", "5.2.2"},
		{ActionFailed, " 5.7.1 ", "", "5.7.1"},
		{ActionFailed, "", "", "5.0.0"},
		{ActionDelayed, "", "", "4.0.0"},
		{ActionDelivered, "", "", "2.0.0"},
		{ActionExpanded, "", "", "2.0.0"},
		{ActionFailed, "", "smtp; 550 5.1.1 no such user", "5.1.1"},
		{ActionFailed, "", "550-5.2.2 mailbox full", "5.2.2"},
		{ActionFailed, "", "550 4.2.2 class differs", "5.0.0"},
		{ActionFailed, "", "550", "5.0.0"},
		{ActionFailed, "", "connection refused", "5.0.0"},
		{ActionFailed, "", "smtp; 452 4.2.2 over quota", "4.2.2"}, // expired after a 4xx: failed, 4.x.x
		{ActionFailed, "5.1", "", "5.0.0"},
		{ActionFailed, "3.1.1", "", "5.0.0"},
		{ActionFailed, "5.1.1000", "", "5.0.0"},
		{ActionFailed, "5.1.1 (bad mailbox)", "", "5.0.0"},
		{ActionFailed, "5.x.1", "", "5.0.0"},
	} {
		o := Outcome{Action: tc.action, Status: tc.status, Diagnostic: tc.diag}
		if got := statusOf(&o); got != tc.want {
			t.Errorf("statusOf(%v, %q, %q) = %q, want %q", tc.action, tc.status, tc.diag, got, tc.want)
		}
	}
}

// TestBuildErrors refuses input no DSN can be built from and leaves dst alone.
func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Params)
		want   error
	}{
		{"no outcomes", func(p *Params) { p.Outcomes = nil }, ErrNoOutcomes},
		{"null sender", func(p *Params) { p.Message.From = "" }, ErrNullSender},
		{"no message", func(p *Params) { p.Message = nil }, ErrNullSender},
		{"no action", func(p *Params) { p.Outcomes[0].Action = 0 }, ErrBadAction},
		{"bad action", func(p *Params) { p.Outcomes[0].Action = actionCount }, ErrBadAction},
		{"no address", func(p *Params) { p.Outcomes[0].Recipient.Addr = "" }, ErrNoRecipient},
		{"no reporting MTA", func(p *Params) { p.ReportingMTA = "" }, ErrBadReportingMTA},
		{"reporting MTA with space", func(p *Params) { p.ReportingMTA = "a b" }, ErrBadReportingMTA},
		{"return path with CRLF", func(p *Params) { p.Message.From = "a@b\r\nBcc: x@y" }, ErrBadReturnPath},
		{"return path with >", func(p *Params) { p.Message.From = "a@b>" }, ErrBadReturnPath},
		{"return path too long", func(p *Params) { p.Message.From = strings.Repeat("a", 990) + "@b" }, ErrBadReturnPath},
		{"From too long", func(p *Params) { p.From = "<" + strings.Repeat("a", 990) + "@b>" }, ErrBadFrom},
		{"From with LF", func(p *Params) { p.From = "x@y\nBcc: z@w" }, ErrBadFrom},
		{"From not ASCII", func(p *Params) { p.From = "Zustellsystem für Mail <m@x>" }, ErrBadFrom},
		{"empty ID", func(p *Params) { p.NewID = func() string { return "" } }, ErrBadID},
		{"ID with @", func(p *Params) { p.NewID = func() string { return "a@b" } }, ErrBadID},
		{"ID with ..", func(p *Params) { p.NewID = func() string { return "a..b" } }, ErrBadID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			tc.change(p)
			dst := []byte("prefix")
			out, _, err := Build(dst, p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if string(out) != "prefix" {
				t.Fatalf("dst changed to %q", out)
			}
		})
	}
}

// TestBuildAppends keeps what dst held and gives the same DSN after it.
func TestBuildAppends(t *testing.T) {
	alone, _ := mustBuild(t, testParams())
	out, _, err := Build([]byte("prefix"), testParams())
	if err != nil || !bytes.Equal(out, append([]byte("prefix"), alone...)) {
		t.Fatalf("Build after a prefix: %v\n%q", err, out)
	}
}

// TestBuildDefaults fills From, Date and Message-ID when not given.
func TestBuildDefaults(t *testing.T) {
	p := testParams()
	p.Now, p.NewID = nil, nil
	before := time.Now().Add(-time.Second)
	a, _ := mustBuild(t, p)
	b, _ := mustBuild(t, p)
	da, db := mustParse(t, a), mustParse(t, b)
	if da.header.Get("Message-Id") == db.header.Get("Message-Id") || da.params["boundary"] == db.params["boundary"] {
		t.Error("two DSNs share a Message-ID or boundary")
	}
	if date, err := da.header.Date(); err != nil || date.Before(before) {
		t.Errorf("Date %v, %v", date, err)
	}
	p.From = `"Postmaster" <postmaster@example.net>`
	c, _ := mustBuild(t, p)
	if got := mustParse(t, c).header.Get("From"); got != p.From {
		t.Errorf("custom From %q", got)
	}
}

// TestBuildBoundaryCollision moves to another boundary when the content
// holds the first one.
func TestBuildBoundaryCollision(t *testing.T) {
	p := testParams()
	plain, _ := mustBuild(t, p)
	bd := mustParse(t, plain).params["boundary"]
	p.Original = []byte("Subject: tricky\r\nX-Quote: --" + bd + "\r\n\r\nbody\r\n--" + bd + "--\r\n")
	p.Outcomes[0].Diagnostic = "550 5.1.1 --" + bd
	out, _ := mustBuild(t, p)
	d := mustParse(t, out)
	if d.params["boundary"] == bd {
		t.Fatal("boundary not changed")
	}
	if len(d.parts) != 3 || !bytes.Contains(d.parts[2].body, []byte("X-Quote: --"+bd)) {
		t.Fatalf("parts %v:\n%s", d.types(), out)
	}
}

// TestBuildHeaderInjection keeps CR and LF in remote text from starting
// header lines or fields of their own.
func TestBuildHeaderInjection(t *testing.T) {
	p := testParams()
	p.Message.EnvID = "id\r\nX-Injected: 1"
	o := &p.Outcomes[0]
	o.Diagnostic = "smtp; 550 no\r\nX-Injected: 2\r\n\r\nX-Injected: 3"
	o.RemoteMTA = "mx\nX-Injected: 4"
	o.Recipient.ORCPT = "rfc822;a@b\r\nX-Injected: 5"
	p.Outcomes = append(p.Outcomes, Outcome{Recipient: spool.Recipient{Addr: "x@y\rX-Injected: 6"}, Action: ActionFailed})
	out, _ := mustBuild(t, p)
	d := mustParse(t, out)
	for _, h := range append([]map[string][]string{d.perMsg}, toMaps(d.perRcpt)...) {
		if _, ok := h["X-Injected"]; ok {
			t.Fatalf("injected field in %v\n%s", h, out)
		}
	}
	if len(d.perRcpt) != 2 {
		t.Fatalf("%d recipient blocks", len(d.perRcpt))
	}
	if got := d.perRcpt[1].Get("Final-Recipient"); got != `utf-8; x@y\x{0D}X-Injected:\x{20}6` {
		t.Errorf("Final-Recipient %q", got)
	}
}

func toMaps[H ~map[string][]string](hs []H) []map[string][]string {
	var ms []map[string][]string
	for _, h := range hs {
		ms = append(ms, h)
	}
	return ms
}

// TestBuildLines builds DSNs from hostile input and checks each line: CRLF
// only, 998 octets at most.
func TestBuildLines(t *testing.T) {
	long := strings.Repeat("x", 3000)
	words := strings.Repeat("word ", 800)
	cases := map[string]func(*Params){
		"long diagnostic word": func(p *Params) { p.Outcomes[0].Diagnostic = "smtp; 550 " + long },
		"long diagnostic":      func(p *Params) { p.Outcomes[0].Diagnostic = "smtp; 550 " + words },
		"long remote MTA":      func(p *Params) { p.Outcomes[0].RemoteMTA = long },
		"long address":         func(p *Params) { p.Outcomes[0].Recipient.Addr = long + "@example.com" },
		"long ORCPT":           func(p *Params) { p.Outcomes[0].Recipient.ORCPT = "rfc822;" + long },
		"long utf-8 ORCPT":     func(p *Params) { p.Outcomes[0].Recipient.ORCPT = "utf-8;" + strings.Repeat("é\x01", 500) },
		"long envid":           func(p *Params) { p.Message.EnvID = long },
		"long header line":     func(p *Params) { p.Original = []byte("Subject: " + long + "\r\n\r\nbody\r\n") },
		"long body line, full": func(p *Params) {
			p.Message.Ret = spool.RetFull
			p.Original = []byte("Subject: x\r\n\r\n" + long + "\r\n")
		},
		"LF original, full":     func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte("Subject: x\n\nline 1\nline 2\n") },
		"LF original":           func(p *Params) { p.Original = []byte("Subject: x\nTo: y\n\nline 1\n") },
		"CR in original":        func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte("Subject: a\rb\r\n\r\nc\rd\r\n") },
		"no final CRLF":         func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte("Subject: x\r\n\r\nend") },
		"headers only, no CRLF": func(p *Params) { p.Original = []byte("Subject: x") },
		"NUL in original":       func(p *Params) { p.Message.Ret = spool.RetFull; p.Original = []byte("Subject: \x00\r\n\r\n\x00\r\n") },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p := testParams()
			change(p)
			out, _ := mustBuild(t, p)
			mustParse(t, out)
		})
	}
}
