package bounce

import (
	"slices"
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

// TestBuildORCPT carries the stored ORCPT ("type;addr", decoded from xtext)
// into Original-Recipient and leaves it out when there is none.
func TestBuildORCPT(t *testing.T) {
	for _, tc := range []struct {
		orcpt, want string
	}{
		{"rfc822;User+tag@Example.com", "rfc822; User+tag@Example.com"},
		{"RFC822;a=b@example.com", "RFC822; a=b@example.com"},
		{"rfc822; spaced@example.com", "rfc822; spaced@example.com"},
		{"x400;c=US;a=ATT;s=Smith", "x400; c=US;a=ATT;s=Smith"},
		{"plain@example.com", "rfc822; plain@example.com"},
		{`utf-8;user\x{E9}@example.com`, `utf-8; user\x{E9}@example.com`}, // RFC 6533 §3 utf-8-addr-xtext, kept
		{"utf-8;usér@example.com", `utf-8; us\x{E9}r@example.com`},        // unitext made xtext for a 7-bit report
		{"rfc822;usér+x@example.com", `utf-8; us\x{E9}r\x{2B}x@example.com`},
		{"rfc822;bad\xffbyte@example.com", `utf-8; bad\x{FFFD}byte@example.com`},
		{"rfc822;back\\slash@example.com", `rfc822; back\slash@example.com`},
		{"utf-8;back\\slash@example.com", `utf-8; back\x{5C}slash@example.com`},
		{"", ""},
	} {
		p := testParams()
		p.Outcomes[0].Recipient.ORCPT = tc.orcpt
		d := mustParse(t, first(mustBuild(t, p)))
		got, present := d.perRcpt[0]["Original-Recipient"]
		if tc.want == "" {
			if present {
				t.Errorf("ORCPT %q: Original-Recipient %q, want none", tc.orcpt, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("ORCPT %q: Original-Recipient %q, want %q", tc.orcpt, got, tc.want)
		}
	}
}

// TestBuildSMTPUTF8 uses RFC 6533's global types when the original had
// SMTPUTF8 and the report carries UTF-8, and the classic ones otherwise.
func TestBuildSMTPUTF8(t *testing.T) {
	utf8Orig := "From: Jöran <jöran@example.de>\r\nTo: 用户@example.cn\r\nSubject: 你好\r\n\r\nbody ü\r\n"
	global := func(p *Params) {
		p.Message.SMTPUTF8, p.Message.Body = true, spool.Body8BitMIME
		p.Message.From = "jöran@example.de"
		o := &p.Outcomes[0]
		o.Recipient = spool.Recipient{Addr: "用户@example.cn", ORCPT: "utf-8;用户@example.cn"}
		o.Diagnostic = "smtp; 550 5.1.1 用户 unknown"
		p.Original = []byte(utf8Orig)
	}
	for _, tc := range []struct {
		name       string
		change     func(*Params)
		reportType string
		types      []string
		final      string
		mail       Mail
	}{
		{"global, headers", global, "global-delivery-status",
			[]string{"text/plain", "message/global-delivery-status", "message/global-headers"},
			"utf-8; 用户@example.cn", Mail{Body: spool.Body8BitMIME, SMTPUTF8: true}},
		{"global, full", func(p *Params) { global(p); p.Message.Ret = spool.RetFull }, "global-delivery-status",
			[]string{"text/plain", "message/global-delivery-status", "message/global"},
			"utf-8; 用户@example.cn", Mail{Body: spool.Body8BitMIME, SMTPUTF8: true}},
		{"global, UTF-8 headers only", func(p *Params) { p.Message.SMTPUTF8 = true; p.Original = []byte(utf8Orig) },
			"global-delivery-status", []string{"text/plain", "message/global-delivery-status", "message/global-headers"},
			"rfc822; user@example.com", Mail{Body: spool.Body8BitMIME, SMTPUTF8: true}},
		{"SMTPUTF8 but all ASCII", func(p *Params) { p.Message.SMTPUTF8 = true }, "delivery-status",
			[]string{"text/plain", "message/delivery-status", "text/rfc822-headers"},
			"rfc822; user@example.com", Mail{}},
		{"UTF-8 address without SMTPUTF8", func(p *Params) { p.Outcomes[0].Recipient.Addr = "usér@example.com" },
			"delivery-status", []string{"text/plain", "message/delivery-status", "text/rfc822-headers"},
			`utf-8; us\x{E9}r@example.com`, Mail{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			tc.change(p)
			out, ml := mustBuild(t, p)
			d := mustParse(t, out)
			if d.params["report-type"] != tc.reportType || !slices.Equal(d.types(), tc.types) {
				t.Fatalf("report-type %q, parts %v; want %q, %v", d.params["report-type"], d.types(), tc.reportType, tc.types)
			}
			if got := d.perRcpt[0].Get("Final-Recipient"); got != tc.final {
				t.Errorf("Final-Recipient %q, want %q", got, tc.final)
			}
			if ml != tc.mail {
				t.Errorf("Mail %+v, want %+v", ml, tc.mail)
			}
			if tc.mail.Body == spool.Body7Bit && !ascii(out) {
				t.Errorf("7-bit DSN has 8-bit octets:\n%s", out)
			}
			if tc.reportType == "delivery-status" {
				return
			}
			if d.header.Get("Content-Transfer-Encoding") != "8bit" ||
				d.parts[0].header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("global DSN: top CTE %q, text part %q", d.header.Get("Content-Transfer-Encoding"), d.parts[0].header.Get("Content-Type"))
			}
		})
	}

	p := testParams()
	global(p)
	d := mustParse(t, first(mustBuild(t, p)))
	if got := d.header.Get("To"); got != "<jöran@example.de>" {
		t.Errorf("To %q", got)
	}
	if got := d.perRcpt[0].Get("Original-Recipient"); got != "utf-8; 用户@example.cn" {
		t.Errorf("Original-Recipient %q", got)
	}
	if got := d.perRcpt[0].Get("Diagnostic-Code"); got != "smtp; 550 5.1.1 用户 unknown" {
		t.Errorf("Diagnostic-Code %q", got)
	}
	if text := string(d.parts[0].body); !strings.Contains(text, "<用户@example.cn>") || !strings.Contains(text, "用户 unknown") {
		t.Errorf("text part:\n%s", text)
	}
	if !strings.Contains(string(d.parts[2].body), "Subject: 你好\r\n") {
		t.Errorf("returned headers:\n%s", d.parts[2].body)
	}
}

// TestBuildNonASCIIText keeps 8-bit octets of remote text out of a 7-bit
// report: one '?' per character.
func TestBuildNonASCIIText(t *testing.T) {
	p := testParams()
	p.Outcomes[0].Diagnostic = "smtp; 550 5.1.1 Empfänger unbekannt \xff"
	p.Outcomes[0].RemoteMTA = "mx.bücher.de"
	out, ml := mustBuild(t, p)
	d := mustParse(t, out)
	if ml.Body != spool.Body7Bit || !ascii(out) {
		t.Fatalf("8-bit octets in a 7-bit DSN:\n%s", out)
	}
	if got := d.perRcpt[0].Get("Diagnostic-Code"); got != "smtp; 550 5.1.1 Empf?nger unbekannt ?" {
		t.Errorf("Diagnostic-Code %q", got)
	}
	if got := d.perRcpt[0].Get("Remote-Mta"); got != "dns; mx.b?cher.de" {
		t.Errorf("Remote-MTA %q", got)
	}
}

func TestTyped(t *testing.T) {
	for _, tc := range []struct {
		in, def, want string
	}{
		{"smtp; 550 x", "smtp", "smtp; 550 x"},
		{"smtp;550 x", "smtp", "smtp; 550 x"},
		{"  X-Postfix ;x", "X-Volley", "X-Volley; X-Postfix ;x"}, // not an atom before ';'
		{"X-Postfix; host not found", "X-Volley", "X-Postfix; host not found"},
		{"550 5.1.1 user;unknown", "smtp", "smtp; 550 5.1.1 user;unknown"},
		{"mx.example.com", "dns", "dns; mx.example.com"},
		{"dns; mx.example.com (192.0.2.1)", "dns", "dns; mx.example.com (192.0.2.1)"},
	} {
		w := lineWriter{width: 78, indent: " "}
		w.typed(tc.in, tc.def)
		if string(w.b) != tc.want {
			t.Errorf("typed(%q, %q) = %q, want %q", tc.in, tc.def, w.b, tc.want)
		}
	}
	for in, want := range map[string]bool{
		"550 x": true, " 550-x": true, "550": true, "250 ok": true, "5500 x": false, "650 x": false, "55 x": false, "x": false,
	} {
		if replyCode(in) != want {
			t.Errorf("replyCode(%q) = %v", in, !want)
		}
	}
}

func TestEmbeddedChar(t *testing.T) {
	for in, want := range map[string]int{
		`\x{E9}a`: 6, `\x{1F600}`: 9, `\x{}`: 0, `\x{G1}`: 0, `\x{E9`: 0, `\y{E9}`: 0, `\x{12345678}`: 0, `\`: 0,
	} {
		if got := embeddedChar(in); got != want {
			t.Errorf("embeddedChar(%q) = %d, want %d", in, got, want)
		}
	}
}
