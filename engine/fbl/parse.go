package fbl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Parse reads one received message (RFC 5322) that is a feedback report
// and returns what it says. It reads, in this order:
//
//   - a bare XARF JSON document (the message is the JSON, as an HTTP
//     endpoint would receive it);
//   - an ARF report (RFC 5965): a message/feedback-report part anywhere
//     in the MIME tree, normally the second part of multipart/report;
//     report-type=feedback-report, with the original message or its
//     headers (message/rfc822, text/rfc822-headers) beside it. A
//     Feedback-Type of "xarf" (the abusix convention) makes the report
//     XARF, read from the JSON part that follows;
//   - a XARF document in an application/json part, a *.json attachment, or
//     the whole body of a single-part message;
//   - a multipart message (not multipart/report) that forwards the
//     original as message/rfc822 with no machine-readable part;
//   - an unsubscribe request marked X-Apple-Unsubscribe: true.
//
// Anything else, a DSN (report-type=delivery-status) included, is
// ErrNotFeedback. A report that claims a form but breaks it is
// ErrMalformed.
//
// Whitelist rule: Suppress is true only for a complaint (abuse, fraud,
// virus, other, opt-out) that names a complainer. It is false when:
//   - the ARF Feedback-Type is "not-spam" (RFC 6430: the message was
//     mistakenly marked as spam; ARF's way to correct, that is retract, a
//     complaint) or the ARF drafts' "miscategorized";
//   - the Feedback-Type is "auth-failure" (RFC 6591; DMARC failure
//     reports): it is about the sender's authentication, not the
//     recipient's wishes;
//   - the report names no recipient.
//
// Nothing else retracts: neither the abusix XARF schemas nor XARF v4
// define a not-spam or retraction type, and free text (Subject, the
// human-readable part) is not read, since it is written for people, in
// any language, and says nothing the reporter commits to.
func Parse(msg []byte) (Report, error) {
	if trimmed := bytes.TrimSpace(msg); len(trimmed) > 0 && trimmed[0] == '{' {
		return parseXARF(trimmed, nil, nil)
	}
	h, body := splitHeader(msg)
	if len(h) == 0 {
		return Report{}, fmt.Errorf("%w: no header", ErrNotFeedback)
	}
	var w walker
	if err := w.walk(h, body, 0); err != nil {
		return Report{}, err
	}
	mt, params := contentType(h.get("Content-Type"))
	switch {
	case w.feedback != nil && w.json != nil && strings.EqualFold(w.feedback.get("Feedback-Type"), "xarf"):
		return parseXARF(w.json, w.feedback, w.original)
	case w.feedback != nil:
		return parseARF(w.feedback, w.original)
	case w.json != nil:
		return parseXARF(w.json, nil, w.original)
	case isFeedbackReport(h):
		return Report{}, fmt.Errorf("%w: feedback-report without a message/feedback-report part", ErrMalformed)
	case mt == "multipart/report":
		return Report{}, fmt.Errorf("%w: report-type %q", ErrNotFeedback, params["report-type"])
	case w.original != nil && strings.HasPrefix(mt, "multipart/") && !w.delivery:
		return parseForwarded(w.original), nil
	case strings.EqualFold(h.get("X-Apple-Unsubscribe"), "true"):
		return parseUnsubscribe(h), nil
	}
	return Report{}, fmt.Errorf("%w: content type %s", ErrNotFeedback, mt)
}

// walker collects the parts of a message that Parse reads.
type walker struct {
	feedback header // the message/feedback-report fields
	original header // the header of the copy of the original
	json     []byte // the first XARF candidate
	delivery bool   // a DSN's message/delivery-status part was seen
	parts    int
}

// walk visits one entity (RFC 2045 §2.4) and, for a multipart, its parts.
// The first part of each kind wins.
func (w *walker) walk(h header, body []byte, depth int) error {
	w.parts++
	mt, params := contentType(h.get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			return nil
		}
		parts, ok := splitMultipart(body, params["boundary"])
		if !ok {
			return fmt.Errorf("%w: %s without its boundary", ErrMalformed, mt)
		}
		for _, part := range parts {
			if w.parts >= maxParts {
				return nil
			}
			ph, pb := splitHeader(part)
			_ = w.walk(ph, pb, depth+1) // a broken nested multipart: the other parts may still be read
		}
		return nil
	}
	body = decodeBody(body, h.get("Content-Transfer-Encoding"))
	switch mt {
	case "message/feedback-report":
		if w.feedback == nil {
			w.feedback, _ = splitHeader(body)
			if w.feedback == nil {
				w.feedback = header{}
			}
		}
	case "message/rfc822", "message/global", "text/rfc822-headers", "text/rfc822-header",
		"message/rfc822-headers", "message/global-headers":
		oh, ob := splitHeader(body)
		if w.feedback == nil && isFeedbackReport(oh) {
			return w.walk(oh, ob, depth+1) // a report forwarded as an attachment: read the report
		}
		if w.original == nil {
			w.original = oh
		}
	case "message/delivery-status", "message/global-delivery-status":
		w.delivery = true
	case "application/json":
		w.takeJSON(body)
	default:
		if depth > 0 && isJSONName(h, params) {
			w.takeJSON(body)
		} else if depth == 0 && mt == "text/plain" && json.Valid(bytes.TrimSpace(body)) {
			w.takeJSON(body) // the whole body is the document
		}
	}
	return nil
}

// isFeedbackReport reports a multipart/report; report-type=feedback-report
// header (RFC 5965 §2).
func isFeedbackReport(h header) bool {
	mt, params := contentType(h.get("Content-Type"))
	return mt == "multipart/report" && strings.EqualFold(params["report-type"], "feedback-report")
}

func (w *walker) takeJSON(b []byte) {
	if w.json == nil {
		if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
			w.json = b
		}
	}
}

// isJSONName reports an attachment named *.json (Content-Type name or
// Content-Disposition filename), whatever its declared type.
func isJSONName(h header, params map[string]string) bool {
	_, disp := contentType(h.get("Content-Disposition"))
	for _, n := range []string{params["name"], disp["filename"]} {
		if strings.HasSuffix(strings.ToLower(n), ".json") {
			return true
		}
	}
	return false
}

// parseARF reads the RFC 5965 §3 fields and the copy of the original.
func parseARF(fb, orig header) (Report, error) {
	raw := fb.get("Feedback-Type")
	if raw == "" {
		return Report{}, fmt.Errorf("%w: feedback report without Feedback-Type", ErrMalformed)
	}
	r := Report{Format: FormatARF, FeedbackType: feedbackTypeOf(raw), RawType: raw}
	r.arfFields(fb)
	r.fromOriginal(orig)
	r.settle()
	return r, nil
}

// arfFields fills the report from the machine-readable part's fields.
// Fields already set (by a XARF document) are kept.
func (r *Report) arfFields(fb header) {
	if len(r.Complainers) == 0 {
		for _, v := range fb.all("Original-Rcpt-To") { // RFC 5965 §3.3: may repeat
			r.addComplainer(v)
		}
	}
	if len(r.Complainers) == 0 {
		for _, v := range fb.all("Removal-Recipient") { // the ARF drafts' opt-out field
			r.addComplainer(v)
		}
	}
	if r.MailFrom == "" {
		r.MailFrom = cleanAddress(fb.get("Original-Mail-From"))
	}
	if r.ReportedDomain == "" {
		r.ReportedDomain = strings.ToLower(fb.get("Reported-Domain"))
	}
	if !r.SourceIP.IsValid() {
		r.SourceIP = parseIP(fb.get("Source-IP"))
	}
	if r.Arrival.IsZero() {
		r.Arrival = parseDate(fb.get("Arrival-Date"))
		if r.Arrival.IsZero() {
			r.Arrival = parseDate(fb.get("Received-Date"))
		}
	}
	if r.Reporter == "" {
		r.Reporter = fb.get("User-Agent")
	}
	if n, err := strconv.Atoi(fb.get("Incidents")); err == nil && n > 0 {
		r.Incidents = n
	}
	r.AuthFailure = strings.ToLower(fb.get("Auth-Failure"))
}

// fromOriginal fills what the report itself left out from the header of
// its copy of the original message.
func (r *Report) fromOriginal(orig header) {
	if orig == nil {
		return
	}
	if len(r.Complainers) == 0 {
		r.addComplainer(orig.get("X-HmXmrOriginalRecipient")) // Hotmail's record of the recipient
	}
	if len(r.Complainers) == 0 {
		// Only a To with one address says who received the message.
		if to := headerAddresses(orig.get("To")); len(to) == 1 {
			r.Complainers = to
		}
	}
	if r.MailFrom == "" {
		r.MailFrom = cleanAddress(orig.get("Return-Path"))
	}
	if r.MessageID == "" {
		r.MessageID = messageID(orig.get("Message-ID"))
	}
	r.Job = firstOf(orig.get(JobHeader), orig.get("X-Job"))
	r.VirtualMTA = firstOf(orig.get(VMTAHeader), orig.get("X-Virtual-MTA"))
}

// addComplainer adds the address in v, once, if it is one.
func (r *Report) addComplainer(v string) {
	if a := cleanAddress(v); a != "" && !slices.Contains(r.Complainers, a) {
		r.Complainers = append(r.Complainers, a)
	}
}

// parseForwarded reads a complaint that only forwards the original.
func parseForwarded(orig header) Report {
	r := Report{Format: FormatForwarded, FeedbackType: FeedbackAbuse, RawType: "abuse"}
	r.fromOriginal(orig)
	r.settle()
	return r
}

// parseUnsubscribe reads a mail client's unsubscribe request: the message
// itself comes from the recipient who wants no more mail.
func parseUnsubscribe(h header) Report {
	r := Report{Format: FormatUnsubscribe, FeedbackType: FeedbackOptOut, RawType: "unsubscribe",
		Arrival: parseDate(h.get("Date"))}
	if from := headerAddresses(h.get("From")); len(from) == 1 {
		r.Complainers = from
	}
	r.settle()
	return r
}

func parseIP(v string) netip.Addr {
	v = strings.Trim(strings.TrimSpace(v), "[]")
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// parseDate reads an RFC 5322 §3.3 date, obsolete zones and trailing
// comments included; the zero time if it cannot.
func parseDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := mail.ParseDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
