package fbl

import (
	"errors"
	"net/netip"
	"strings"
	"time"
)

// JobHeader and VMTAHeader name the headers that carry a message's job and
// virtual MTA through delivery, for the sending side to add, so that a
// report's copy of the original traces the complaint back to both. X-Job
// and X-Virtual-MTA, PowerMTA's names that injectors set, are removed
// before delivery and so are seldom in a report; Parse reads them too.
const (
	JobHeader  = "X-Volley-Job"
	VMTAHeader = "X-Volley-VMTA"
)

// Errors Parse returns. Both are wrapped with detail; compare with errors.Is.
var (
	// ErrNotFeedback: the message is not a feedback report in any form
	// Parse reads (a DSN, a reply, an ordinary message).
	ErrNotFeedback = errors.New("fbl: not a feedback report")
	// ErrMalformed: the message claims to be a report but cannot be read
	// as one (no MIME boundary, no Feedback-Type, JSON that does not parse).
	ErrMalformed = errors.New("fbl: malformed report")
)

// Format is the form a report came in.
type Format uint8

const (
	FormatNone Format = iota
	// FormatARF is RFC 5965: multipart/report; report-type=feedback-report.
	FormatARF
	// FormatXARF is a XARF JSON document: the whole message, its body, a
	// MIME part or attachment, or the third part of an ARF report whose
	// Feedback-Type is "xarf".
	FormatXARF
	// FormatForwarded is a message that carries the complained-about
	// message as a message/rfc822 part with no machine-readable report
	// (Hotmail's older complaint mails). It counts as an abuse complaint.
	FormatForwarded
	// FormatUnsubscribe is a mail client's unsubscribe request sent to a
	// List-Unsubscribe mailto address (Apple Mail marks it with
	// X-Apple-Unsubscribe: true). It counts as an opt-out.
	FormatUnsubscribe
	formatCount
)

var formatNames = [formatCount]string{"none", "arf", "xarf", "forwarded", "unsubscribe"}

func (f Format) String() string {
	if f < formatCount {
		return formatNames[f]
	}
	return "format(?)"
}

// FeedbackType is what a report says about the message: RFC 5965's
// Feedback-Type, or the type a XARF report maps to.
type FeedbackType uint8

const (
	FeedbackNone FeedbackType = iota
	FeedbackAbuse
	FeedbackFraud
	FeedbackVirus
	// FeedbackOther: "other", and any Feedback-Type this package does not
	// know; a report from a feedback loop about a message is a complaint
	// unless it says otherwise.
	FeedbackOther
	// FeedbackOptOut: the recipient asks for no more mail ("opt-out",
	// "opt-out-list" of the ARF drafts, unsubscribe requests).
	FeedbackOptOut
	// FeedbackNotSpam: the reporter says the message is not spam (RFC 6430
	// "not-spam"; the ARF drafts' "miscategorized").
	FeedbackNotSpam
	// FeedbackAuthFailure: an authentication failure report (RFC 6591
	// "auth-failure", DMARC failure reports; the drafts' "dkim"). It says
	// nothing about what the recipient wants.
	FeedbackAuthFailure
	feedbackTypeCount
)

var feedbackTypeNames = [feedbackTypeCount]string{"none", "abuse", "fraud", "virus", "other", "opt-out",
	"not-spam", "auth-failure"}

func (t FeedbackType) String() string {
	if t < feedbackTypeCount {
		return feedbackTypeNames[t]
	}
	return "feedback(?)"
}

// Complaint reports whether the type is a recipient's complaint or opt-out,
// the types that suppress the recipient.
func (t FeedbackType) Complaint() bool {
	switch t {
	case FeedbackAbuse, FeedbackFraud, FeedbackVirus, FeedbackOther, FeedbackOptOut:
		return true
	}
	return false
}

// feedbackTypeOf maps an ARF Feedback-Type value: RFC 5965 §7.3's abuse,
// fraud, other and virus, RFC 6430's not-spam, RFC 6591's auth-failure,
// and the names of the drafts before RFC 5965.
func feedbackTypeOf(v string) FeedbackType {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "abuse":
		return FeedbackAbuse
	case "fraud":
		return FeedbackFraud
	case "virus":
		return FeedbackVirus
	case "not-spam", "miscategorized":
		return FeedbackNotSpam
	case "auth-failure", "dkim":
		return FeedbackAuthFailure
	case "opt-out", "opt-out-list":
		return FeedbackOptOut
	}
	return FeedbackOther
}

// Report is what Parse reads from one feedback report. Strings are copies;
// none points into the message. Fields the report does not carry are
// empty.
type Report struct {
	Format       Format
	FeedbackType FeedbackType
	// RawType is the report's own word for it: the ARF Feedback-Type as
	// written, or the XARF class and type ("Activity/Spam",
	// "messaging/spam").
	RawType string

	// Complainers are the recipients the report is about, in order: ARF
	// Original-Rcpt-To (one or more), else Removal-Recipient; XARF
	// SmtpRcptToAddress (ToAddress in the alpha schema) or smtp_to; else,
	// from the copy of the original, X-HmXmrOriginalRecipient, else its
	// To when that holds exactly one address. Domains are lower-cased.
	Complainers []string
	// Suppress says the complainers should go on the suppression list:
	// the report is a complaint (FeedbackType.Complaint) and names at
	// least one. See Parse for the whitelist rule.
	Suppress bool

	// MailFrom is the original's envelope sender: ARF Original-Mail-From,
	// XARF SmtpMailFromAddress/FromAddress/smtp_from, else the Return-Path
	// of the copy of the original.
	MailFrom string
	// MessageID is the original's Message-ID without angle brackets (XARF
	// v4 message_id when the report has no copy of the original).
	MessageID string
	// Job and VirtualMTA come from the copy of the original: X-Volley-Job
	// and X-Volley-VMTA (JobHeader, VMTAHeader), else X-Job and
	// X-Virtual-MTA.
	Job, VirtualMTA string

	// ReportedDomain is ARF Reported-Domain (the first), or a XARF v4
	// source_identifier that is a host name rather than an address.
	ReportedDomain string
	// SourceIP is where the reporter received the message from: ARF
	// Source-IP, XARF SourceIp / Source.IP / source_identifier.
	SourceIP netip.Addr
	// Arrival is when the reporter received the message: ARF Arrival-Date
	// (or the drafts' Received-Date), XARF Date / timestamp. Zero when
	// absent or unreadable.
	Arrival time.Time
	// Reporter names who sent the report: ARF User-Agent; for XARF the
	// reporter's domain, else its organisation.
	Reporter string
	// Incidents is ARF Incidents (RFC 5965 §3.2): how many times the
	// reporter saw the message. 0 when absent.
	Incidents int
	// AuthFailure is the RFC 6591 Auth-Failure field of an auth-failure
	// report ("dkim", "spf", "dmarc", ...).
	AuthFailure string

	// SchemaErr is, for XARF, why the document does not meet its
	// published schema (see ValidateXARF), nil when it does. Parse still
	// fills the report from a document that does not, so that a complaint
	// is not lost to a reporter's sloppy JSON; the caller decides.
	SchemaErr error
}

// settle applies the whitelist rule once every field is read.
func (r *Report) settle() {
	r.Suppress = r.FeedbackType.Complaint() && len(r.Complainers) > 0
}
