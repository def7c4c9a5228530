package spool

import "time"

// Notify is a recipient's DSN NOTIFY set (RFC 3461 §4.1). Zero means the
// parameter was absent, which RFC 3461 §4.1 treats as FAILURE (and DELAY at
// the MTA's option).
type Notify uint8

const (
	NotifyNever   Notify = 1 << iota // NOTIFY=NEVER
	NotifySuccess                    // NOTIFY=SUCCESS
	NotifyFailure                    // NOTIFY=FAILURE
	NotifyDelay                      // NOTIFY=DELAY
)

// Ret is the DSN RET parameter (RFC 3461 §4.3).
type Ret uint8

const (
	RetDefault Ret = iota // absent
	RetFull               // RET=FULL
	RetHdrs               // RET=HDRS
)

// BodyType is the MAIL BODY parameter (RFC 6152, RFC 3030).
type BodyType uint8

const (
	Body7Bit BodyType = iota
	Body8BitMIME
	BodyBinaryMIME
)

// Recipient is one envelope recipient and its delivery state.
type Recipient struct {
	// Index is the recipient's position in the message, fixed at Append;
	// UpdateRecipient and FinishRecipient name the recipient by it.
	Index uint16
	// Addr is the RCPT TO address (without angle brackets).
	Addr string
	// ORCPT is the DSN original recipient, "type;addr" (RFC 3461 §4.2), or "".
	ORCPT string
	// Notify is the DSN NOTIFY set.
	Notify Notify
	// Attempts counts delivery attempts so far.
	Attempts uint32
	// NextAttempt is when the recipient is due; zero means at once.
	NextAttempt time.Time
	// LastReply is the last remote or local reply for this recipient.
	LastReply string
}

// Message is a spooled message's envelope and metadata; the body is stored
// and read separately (Append, Body).
type Message struct {
	// ID is assigned by Append.
	ID ID
	// From is the MAIL FROM reverse path; "" is the null sender.
	From string
	// EnvID is the DSN ENVID (RFC 3461 §4.4), or "".
	EnvID string
	// Ret is the DSN RET parameter.
	Ret Ret
	// Body is the MAIL BODY parameter; SMTPUTF8 is the RFC 6531 flag.
	Body     BodyType
	SMTPUTF8 bool
	// Job is the job id (x-job, X-Job), or "".
	Job string
	// VMTA is the virtual MTA or pool the message was injected for, or "".
	VMTA string
	// Origin says how the message arrived, e.g. "smtp 192.0.2.1" or "pickup".
	Origin string
	// Received is when the message was accepted; Append sets it if zero.
	Received time.Time
	// Size is the body's uncompressed size in bytes, set by Append.
	Size int64
	// Recipients are the live recipients (Scan omits finished ones).
	Recipients []Recipient
}

// Recipient returns the live recipient with the given Index, or nil.
// Recipients are kept in Index order (Append numbers them by position,
// Scan and Get return them in key order), so it is a direct look when
// none has finished, a binary search otherwise.
func (m *Message) Recipient(index uint16) *Recipient {
	rs := m.Recipients
	if int(index) < len(rs) && rs[index].Index == index {
		return &rs[index]
	}
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi) / 2
		if rs[mid].Index < index {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(rs) && rs[lo].Index == index {
		return &rs[lo]
	}
	return nil
}
