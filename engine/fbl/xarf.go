package fbl

import (
	"fmt"
	"strings"
	"time"
)

// parseXARF reads one XARF document. fb and orig, when the document came
// inside an ARF report, fill what the document leaves out; a copy of the
// original among the document's own samples comes first.
//
// Three dialects are read: XARF v4 ("xarf_version"; category, type,
// smtp_to, smtp_from, evidence), the abusix schemas ("Version" 1, 2, 3,
// development or none; Report.ReportClass, ReportType, SmtpRcptToAddress,
// Samples) and the XARF v3 legacy form (Report.Source, Attachment,
// AdditionalInfo). The YAML-based X-ARF 0.1/0.2 is not read.
func parseXARF(doc []byte, fb, orig header) (Report, error) {
	v, err := decodeJSON(doc)
	if err != nil {
		return Report{}, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return Report{}, fmt.Errorf("%w: xarf: not a JSON object", ErrMalformed)
	}
	r := Report{Format: FormatXARF, SchemaErr: validateXARF(root)}
	var sample []byte
	if _, ok := root["xarf_version"]; ok {
		sample = r.fromV4(root)
	} else if rep, ok := root["Report"].(map[string]any); ok {
		sample = r.fromReport(root, rep)
	} else {
		return Report{}, fmt.Errorf("%w: xarf: no xarf_version and no Report object", ErrMalformed)
	}
	if fb != nil {
		r.arfFields(fb)
	}
	if sample != nil {
		if h, _ := splitHeader(sample); len(h) > 0 {
			orig = h
		}
	}
	r.fromOriginal(orig)
	r.settle()
	return r, nil
}

// fromV4 reads a XARF v4 report and returns the first copy of the original
// among its evidence, if any.
func (r *Report) fromV4(doc map[string]any) []byte {
	category, typ := text(doc["category"]), text(doc["type"])
	r.RawType = category + "/" + typ
	r.FeedbackType = v4Feedback(category, typ)
	r.addComplainer(text(doc["smtp_to"]))
	r.MailFrom = cleanAddress(text(doc["smtp_from"]))
	r.MessageID = messageID(text(doc["message_id"]))
	src := text(doc["source_identifier"])
	if ip := parseIP(src); ip.IsValid() {
		r.SourceIP = ip
	} else if isHostname(src) {
		r.ReportedDomain = strings.ToLower(src)
	}
	r.Arrival = parseRFC3339(text(doc["timestamp"]))
	if rep, ok := doc["reporter"].(map[string]any); ok {
		r.Reporter = firstOf(text(rep["domain"]), text(rep["org"]))
	}
	items, _ := doc["evidence"].([]any)
	for _, it := range items {
		if e, ok := it.(map[string]any); ok && isMessageType(text(e["content_type"])) {
			if b, ok := decodeBase64([]byte(text(e["payload"]))); ok { // v4 payloads are base64
				return b
			}
		}
	}
	return nil
}

// fromReport reads an abusix or v3 legacy report and returns the first
// copy of the original among its samples, if any.
func (r *Report) fromReport(root, rep map[string]any) []byte {
	typ := text(rep["ReportType"])
	r.RawType = text(rep["ReportClass"]) + "/" + typ
	r.FeedbackType = reportTypeFeedback(typ)
	r.addComplainer(firstOf(text(rep["SmtpRcptToAddress"]), text(rep["ToAddress"])))
	from := firstOf(text(rep["SmtpMailFromAddress"]), text(rep["FromAddress"]))
	if info, ok := rep["AdditionalInfo"].(map[string]any); ok {
		from = firstOf(from, text(info["SMTPFrom"]))
	}
	r.MailFrom = cleanAddress(from)
	ip := text(rep["SourceIp"])
	if src, ok := rep["Source"].(map[string]any); ok {
		ip = firstOf(ip, text(src["IP"]))
	}
	r.SourceIP = parseIP(ip)
	r.Arrival = parseRFC3339(text(rep["Date"]))
	if info, ok := root["ReporterInfo"].(map[string]any); ok {
		r.Reporter = firstOf(text(info["ReporterOrgDomain"]), text(info["ReporterOrg"]))
	}
	samples, _ := rep["Samples"].([]any)
	for _, it := range samples {
		s, ok := it.(map[string]any)
		if !ok || !isMessageType(text(s["ContentType"])) {
			continue
		}
		payload := []byte(text(s["Payload"]))
		if encoded, _ := s["Base64Encoded"].(bool); !encoded {
			return payload
		}
		if b, ok := decodeBase64(payload); ok {
			return b
		}
	}
	attachments, _ := rep["Attachment"].([]any) // the v3 legacy form: base64 Data
	for _, it := range attachments {
		if a, ok := it.(map[string]any); ok && isMessageType(text(a["ContentType"])) {
			data := []byte(text(a["Data"]))
			if b, ok := decodeBase64(data); ok {
				return b
			}
			return data
		}
	}
	return nil
}

// isMessageType reports a media type that holds a message or its header.
func isMessageType(mt string) bool {
	mt, _ = contentType(mt)
	switch mt {
	case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers":
		return true
	}
	return false
}

// v4Feedback maps a XARF v4 category and type: messaging reports (spam,
// unwanted bulk mail) are abuse complaints, phishing and fraud fraud,
// malware virus, the rest other.
func v4Feedback(category, typ string) FeedbackType {
	switch {
	case category == "messaging":
		return FeedbackAbuse
	case category == "content" && (typ == "phishing" || typ == "fraud"):
		return FeedbackFraud
	case category == "content" && typ == "malware":
		return FeedbackVirus
	}
	return FeedbackOther
}

// reportTypeFeedback maps an abusix or v3 legacy ReportType the same way.
func reportTypeFeedback(typ string) FeedbackType {
	switch strings.ToLower(typ) {
	case "spam":
		return FeedbackAbuse
	case "phishing":
		return FeedbackFraud
	case "malware":
		return FeedbackVirus
	}
	return FeedbackOther
}

// text returns v if it is a JSON string, else "".
func text(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

func parseRFC3339(v string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}
	}
	return t
}
