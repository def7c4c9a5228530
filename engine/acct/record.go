package acct

import (
	"net/netip"
	"time"
)

// Type is an accounting record type (reference §4, record-type semantics).
type Type uint8

// The record types, in the order of the reference table.
const (
	TypeInvalid    Type = iota
	Delivered           // d: successful hand-off (or discard) of one recipient
	Bounced             // b: bounce generated here (sync failure, expiry, admin delete)
	Transient           // t: one recipient's transient failure, per attempt
	TransientQueue      // tq: queue-level transient failure (connect, greeting, TLS), per attempt
	Received            // r: reception (injection) of one recipient
	RemoteBounce        // rb: asynchronous bounce parsed by the bounce processor
	RemoteStatus        // rs: remote status report (positive DSN, delay)
	Feedback            // f: feedback-loop complaint
	typeCount
)

var typeNames = [typeCount]string{"", "d", "b", "t", "tq", "r", "rb", "rs", "f"}

// String returns the short name written in the type column ("d", "tq", ...).
func (t Type) String() string {
	if t < typeCount {
		return typeNames[t]
	}
	return "?"
}

// ParseType maps a short name (as in the type column and the records directive) to its
// Type; ok is false for anything else.
func ParseType(s string) (t Type, ok bool) {
	for i := Delivered; i < typeCount; i++ {
		if typeNames[i] == s {
			return i, true
		}
	}
	return TypeInvalid, false
}

// Pair is one named value of a record's open-ended fields: a copied header (column
// header_NAME), an ARF field (arf_NAME), or, when reading, a column this package does not
// know.
type Pair struct {
	Name, Value string
}

// Record is one accounting record: one row of an accounting file. Fields follow the
// reference §4 table in its order, then Volley's own columns; the comment names the
// column. The zero value of a field is written as an empty column (TotalSecondsQueued:
// see there).
//
// A Record passed to Writer.Log is copied, but the Headers, ARF and Extra slices are
// shared with the copy: the caller must not modify their elements afterwards.
type Record struct {
	Type               Type      // type
	TimeLogged         time.Time // timeLogged; Writer.Log sets it to Options.Now when zero
	TimeQueued         time.Time // timeQueued: when the message was spooled
	TimeFirstAttempt   time.Time // timeFirstAttempt (PowerMTA 5.5+)
	TotalSecondsQueued int64     // totalSecondsQueued; when 0, written as TimeLogged-TimeQueued if both are set
	Orig               string    // orig: envelope sender (MAIL FROM)
	Rcpt               string    // rcpt: envelope recipient (RCPT TO)
	Orcpt              string    // orcpt: DSN ORCPT, e.g. "rfc822;a@example.com"
	DSNAction          string    // dsnAction: relayed, delivered, failed, delayed
	DSNStatus          string    // dsnStatus, e.g. "2.0.0 (success)"
	DSNDiag            string    // dsnDiag, e.g. "smtp;250 2.0.0 ok"
	DSNMTA             string    // dsnMta: remote MTA, e.g. "mx.example.com (192.0.2.1)"
	DSNReportingMTA    string    // dsnReportingMta (rb)
	BounceCat          string    // bounceCat: category (reference §4.1)
	SrcType            string    // srcType: smtp, api, pickup
	SrcMTA             string    // srcMta: the feeder's HELO name and IP
	RcvSourceIP        netip.Addr
	RcvDestinationIP   netip.Addr
	DlvType            string     // dlvType: smtp, pipe, discard, file
	DlvSourceIP        netip.Addr // dlvSourceIp: local source IP (f: sender of the report)
	DlvDestinationIP   netip.Addr // dlvDestinationIp: remote IP
	DlvESMTPAvailable  string     // dlvEsmtpAvailable: the remote EHLO extensions
	DlvSize            int64      // dlvSize: bytes
	DlvTLSProtocol     string     // dlvTlsProtocol, e.g. "TLSv1.3"
	DlvTLSCipher       string     // dlvTlsCipher
	VMTA               string     // vmta (r: the pool name if a pool was chosen)
	VMTAPool           string     // vmtaPool
	Queue              string     // queue: "domain/vmta"
	JobID              string     // jobId
	EnvID              string     // envId (column envid in f records)
	RcvSMTPUser        string     // rcvSmtpUser: the feeder's AUTH user
	Headers            []Pair     // header_NAME columns; names compare case-insensitively
	UserString         string     // userString; when empty, the acct-file's user-string
	Format             string     // format (rb, rs, f): dsn, arf, jmrp ...
	FeedbackType       string     // feedbackType (f)
	UserAgent          string     // userAgent (f)
	ReportingMTA       string     // reportingMTA (f)
	ReportedDomain     string     // reportedDomain (f)
	RepSourceIP        netip.Addr // repSourceIp (f)
	QueueMode          string     // queueMode (Volley; d, b, t, tq): normal or backoff; empty when no queue decided
	DlvWarmup          float64    // dlvWarmup (Volley; d, t, tq): the warm-up share, 0 to 1, of its rate the source was held to; 0: none
	ARF                []Pair     // arf_NAME columns (f)
	Extra              []Pair     // read only: columns of a file that this package does not know
}

// Header returns the value of the copied header name (the part after "header_"),
// compared case-insensitively, and whether it is present.
func (r *Record) Header(name string) (string, bool) { return lookup(r.Headers, name) }

func lookup(l []Pair, name string) (string, bool) {
	for i := range l {
		if equalFold(l[i].Name, name) {
			return l[i].Value, true
		}
	}
	return "", false
}

// equalFold compares ASCII case-insensitively without allocating; header and field names
// are ASCII.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
