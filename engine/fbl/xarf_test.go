package fbl

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Synthetic XARF documents, one per dialect.
const (
	abusixSpam = `{
  "Version": "3",
  "ReporterInfo": {"ReporterOrg": "Mailbox Provider", "ReporterOrgDomain": "isp.example", "ReporterOrgEmail": "fbl@isp.example"},
  "Disclosure": true,
  "Report": {
    "ReportClass": "Activity", "ReportType": "Spam",
    "Date": "2025-03-01T09:00:00Z",
    "SourceIp": "192.0.2.25", "SourcePort": 25,
    "SmtpMailFromAddress": "bounces+1234@news.volley.example",
    "SmtpRcptToAddress": "jane@mail.example",
    "Samples": [{"ContentType": "message/rfc822", "Base64Encoded": true, "Payload": "ORIGINAL"}]
  }
}`
	v4Spam = `{
  "xarf_version": "4.2.0",
  "report_id": "6f1c3a9e-0c55-4b6e-9d3f-2a7e1b4c8d90",
  "timestamp": "2025-03-01T09:00:00Z",
  "reporter": {"org": "Mailbox Provider", "contact": "fbl@isp.example", "domain": "isp.example"},
  "sender": {"org": "Mailbox Provider", "contact": "fbl@isp.example", "domain": "isp.example"},
  "source_identifier": "192.0.2.25",
  "source_port": 25,
  "category": "messaging",
  "type": "spam",
  "evidence_source": "user_complaint",
  "protocol": "smtp",
  "smtp_from": "bounces+1234@news.volley.example",
  "smtp_to": "jane@mail.example",
  "evidence": [{"content_type": "message/rfc822", "payload": "ORIGINAL"}]
}`
	legacySpam = `{
  "Version": "3.0",
  "ReporterInfo": {"ReporterOrg": "Mailbox Provider", "ReporterOrgEmail": "fbl@isp.example"},
  "Report": {"ReportClass": "Activity", "ReportType": "Spam", "Date": "2025-03-01T09:00:00Z",
    "SourceIp": "192.0.2.25", "Protocol": "smtp", "SmtpRcptToAddress": "jane@mail.example"}
}`
)

// withOriginal puts testOriginal, base64, where a document says ORIGINAL.
func withOriginal(doc string) []byte {
	return []byte(strings.Replace(doc, "ORIGINAL", base64.StdEncoding.EncodeToString([]byte(testOriginal)), 1))
}

func TestParseXARF(t *testing.T) {
	common := Report{
		Format: FormatXARF, FeedbackType: FeedbackAbuse,
		Complainers: []string{"jane@mail.example"}, Suppress: true,
		MailFrom: "bounces+1234@news.volley.example", MessageID: "20250301.0001@news.volley.example",
		Job: "spring-sale", VirtualMTA: "pool-a",
		SourceIP: netip.MustParseAddr("192.0.2.25"), Arrival: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Reporter: "isp.example",
	}
	abusix := common
	abusix.RawType = "Activity/Spam"
	v4 := common
	v4.RawType = "messaging/spam"
	legacy := Report{Format: FormatXARF, FeedbackType: FeedbackAbuse, RawType: "Activity/Spam",
		Complainers: []string{"jane@mail.example"}, Suppress: true, SourceIP: netip.MustParseAddr("192.0.2.25"),
		Arrival: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), Reporter: "Mailbox Provider"}
	for _, tc := range []struct {
		name string
		doc  []byte
		want Report
	}{
		{"abusix", withOriginal(abusixSpam), abusix},
		{"v4", withOriginal(v4Spam), v4},
		{"v3 legacy", []byte(legacySpam), legacy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateXARF(tc.doc); err != nil {
				t.Fatalf("ValidateXARF: %v", err)
			}
			for _, form := range xarfForms(tc.doc) {
				r, err := Parse(form.msg)
				if err != nil {
					t.Fatalf("%s: %v", form.name, err)
				}
				compareReport(t, r, tc.want)
			}
		})
	}
}

type namedMessage struct {
	name string
	msg  []byte
}

// xarfForms returns a XARF document in each form Parse reads it from.
func xarfForms(doc []byte) []namedMessage {
	const head = "From: fbl@isp.example\r\nTo: fbl@volley.example\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
	mixed := func(partHeader string) []byte {
		return []byte(head + "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n" +
			"--m\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n" +
			"--m\r\n" + partHeader + "\r\n" + string(doc) + "\r\n--m--\r\n")
	}
	return []namedMessage{
		{"bare", doc},
		{"bare with space", append([]byte("\r\n  "), doc...)},
		{"ARF xarf", xarfMail(doc)},
		{"application/json part", mixed("Content-Type: application/json\r\n")},
		{"json attachment", mixed("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"report.json\"\r\n")},
		{"json name", mixed("Content-Type: text/plain; name=report.json\r\n")},
		{"application/json body", []byte(head + "Content-Type: application/json\r\n\r\n" + string(doc))},
		{"text/plain body", []byte(head + "Content-Type: text/plain\r\n\r\n" + string(doc))},
	}
}

// TestParseXARFSchemaErr: a document that breaks its schema is still read,
// with the violation kept.
func TestParseXARFSchemaErr(t *testing.T) {
	doc := strings.Replace(abusixSpam, `"Disclosure": true,`, "", 1)
	r, err := Parse(withOriginal(doc))
	if err != nil {
		t.Fatal(err)
	}
	var se *SchemaError
	if !errors.As(r.SchemaErr, &se) || se.Path != "Disclosure" {
		t.Errorf("SchemaErr %v, want Disclosure required", r.SchemaErr)
	}
	if !r.Suppress || r.Job != "spring-sale" {
		t.Errorf("report not read: %+v", r)
	}
}

// TestParseXARFMapping maps XARF classes and types to feedback types.
func TestParseXARFMapping(t *testing.T) {
	for _, tc := range []struct {
		category, typ string
		want          FeedbackType
	}{
		{"messaging", "spam", FeedbackAbuse},
		{"messaging", "bulk_messaging", FeedbackAbuse},
		{"content", "phishing", FeedbackFraud},
		{"content", "fraud", FeedbackFraud},
		{"content", "malware", FeedbackVirus},
		{"connection", "ddos", FeedbackOther},
	} {
		if got := v4Feedback(tc.category, tc.typ); got != tc.want {
			t.Errorf("v4Feedback(%s, %s) = %s, want %s", tc.category, tc.typ, got, tc.want)
		}
	}
	for typ, want := range map[string]FeedbackType{"Spam": FeedbackAbuse, "spam": FeedbackAbuse,
		"Phishing": FeedbackFraud, "Malware": FeedbackVirus, "DOS": FeedbackOther} {
		if got := reportTypeFeedback(typ); got != want {
			t.Errorf("reportTypeFeedback(%s) = %s, want %s", typ, got, want)
		}
	}
}

// TestValidateXARFRules checks rules the corpus samples do not reach.
func TestValidateXARFRules(t *testing.T) {
	v4 := string(withOriginal(v4Spam))
	for _, tc := range []struct {
		name, doc string
		path      string // "" for valid
	}{
		{"v4 spam", v4, ""},
		{"v4 smtp needs smtp_from", strings.Replace(v4, `"smtp_from": "bounces+1234@news.volley.example",`, "", 1), "smtp_from"},
		{"v4 sms does not", strings.NewReplacer(`"smtp_from": "bounces+1234@news.volley.example",`, "",
			`"protocol": "smtp"`, `"protocol": "sms"`).Replace(v4), ""},
		{"v4 protocol required", strings.Replace(v4, `"protocol": "smtp",`, "", 1), "protocol"},
		{"v4 bad smtp_to", strings.Replace(v4, `"jane@mail.example"`, `"jane"`, 1), "smtp_to"},
		{"v4 type outside its category", strings.Replace(v4, `"type": "spam"`, `"type": "ddos"`, 1), "type"},
		{"v4 unknown category", strings.Replace(v4, `"category": "messaging"`, `"category": "email"`, 1), "category"},
		{"v4 bad version", strings.Replace(v4, `"4.2.0"`, `"5.0.0"`, 1), "xarf_version"},
		{"v4 bad uuid", strings.Replace(v4, `6f1c3a9e-`, `6f1c3a9e`, 1), "report_id"},
		{"v4 contact closed", strings.Replace(v4, `"domain": "isp.example"}`, `"domain": "isp.example", "x": 1}`, 1), "reporter.x"},
		{"v4 evidence hash", strings.Replace(v4, `"content_type": "message/rfc822",`, `"content_type": "message/rfc822", "hash": "crc:00",`, 1), "evidence[0].hash"},
		{"v4 port 0", strings.Replace(v4, `"source_port": 25`, `"source_port": 0`, 1), "source_port"},
		{"v4 other type, core only", strings.NewReplacer(`"category": "messaging"`, `"category": "connection"`,
			`"type": "spam"`, `"type": "ddos"`).Replace(v4), ""},
		{"abusix 3", string(withOriginal(abusixSpam)), ""},
		{"abusix integer as 25.0", strings.Replace(abusixSpam, `"SourcePort": 25`, `"SourcePort": 25.0`, 1), ""},
		{"abusix port fraction", strings.Replace(abusixSpam, `"SourcePort": 25`, `"SourcePort": 25.5`, 1), "Report.SourcePort"},
		{"abusix 2", strings.Replace(abusixSpam, `"Version": "3"`, `"Version": "2"`, 1), ""},
		{"abusix alpha names", strings.NewReplacer(`"Version": "3",`, "", `SmtpRcptToAddress": "jane@`, `ToAddress": "jane@`).
			Replace(abusixSpam), ""},
		{"abusix alpha email", strings.NewReplacer(`"Version": "3",`, "", `SmtpRcptToAddress": "jane@mail.example"`,
			`ToAddress": "jane"`).Replace(abusixSpam), "Report.ToAddress"},
		{"abusix 3 person", strings.Replace(abusixSpam, `{"ReporterOrg": "Mailbox Provider", "ReporterOrgDomain": "isp.example", "ReporterOrgEmail": "fbl@isp.example"}`,
			`{"ReporterType": "Person", "ReporterContactName": "Jane"}`, 1), ""},
		{"abusix 3 org needs its fields", strings.Replace(abusixSpam, `{"ReporterOrg": "Mailbox Provider", "ReporterOrgDomain": "isp.example", "ReporterOrgEmail": "fbl@isp.example"}`,
			`{"ReporterType": "Org", "ReporterContactName": "Jane"}`, 1), "ReporterInfo.ReporterOrg"},
		{"abusix leap second", strings.Replace(abusixSpam, `09:00:00Z`, `23:59:60Z`, 1), ""},
		{"abusix false leap second", strings.Replace(abusixSpam, `09:00:00Z`, `22:59:60Z`, 1), "Report.Date"},
		{"legacy 3.0", legacySpam, ""},
		{"legacy as 3", strings.Replace(legacySpam, `"3.0"`, `"3"`, 1), ""},
		{"legacy closed", strings.Replace(legacySpam, `"Protocol": "smtp",`, `"Protocol": "smtp", "Extra": 1,`, 1), "Report.Extra"},
		{"unknown version", strings.Replace(abusixSpam, `"Version": "3"`, `"Version": "4"`, 1), "Version"},
		{"not an object", `"text"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateXARF([]byte(tc.doc))
			var se *SchemaError
			switch {
			case tc.name == "not an object":
				if !errors.As(err, &se) || se.Path != "" {
					t.Errorf("ValidateXARF = %v, want a document error", err)
				}
			case tc.path == "":
				if err != nil {
					t.Errorf("ValidateXARF = %v, want valid", err)
				}
			case !errors.As(err, &se) || se.Path != tc.path:
				t.Errorf("ValidateXARF = %v, want an error at %s", err, tc.path)
			}
		})
	}
	if err := ValidateXARF([]byte(`{"a": 1} {}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("two documents: %v", err)
	}
}
