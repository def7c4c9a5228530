package smtpwire

import "errors"

// ErrNeedMore reports that the input ends before a complete line, reply or
// command; call again with more bytes appended.
var ErrNeedMore = errors.New("smtpwire: need more input")

// Code is a three-digit SMTP reply code (RFC 5321 §4.2).
type Code uint16

// Reply codes used by Volley, named number first so that they grep (RFC 5321 §4.2.2, §4.2.3).
const (
	C211SystemStatus        Code = 211
	C214Help                Code = 214
	C220ServiceReady        Code = 220
	C221Closing             Code = 221
	C235AuthSucceeded       Code = 235 // RFC 4954 §6
	C250OK                  Code = 250
	C251UserNotLocal        Code = 251
	C252CannotVerify        Code = 252
	C334AuthContinue        Code = 334 // RFC 4954 §4
	C354StartData           Code = 354
	C421ServiceUnavail      Code = 421
	C450MailboxUnavail      Code = 450
	C451LocalError          Code = 451
	C452InsufficientStorage Code = 452
	C454TempAuthFailure     Code = 454 // RFC 4954 §6 (also TLS not available, RFC 3207 §4)
	C455ParamsUnaccepted    Code = 455 // RFC 5321 §4.2.2
	C500SyntaxError         Code = 500
	C501ParamSyntax         Code = 501
	C502NotImplemented      Code = 502
	C503BadSequence         Code = 503
	C504ParamNotImpl        Code = 504
	C530AuthRequired        Code = 530 // RFC 4954 §6 (also STARTTLS required, RFC 3207 §4)
	C534AuthMechTooWeak     Code = 534 // RFC 4954 §6
	C535AuthInvalid         Code = 535 // RFC 4954 §6
	C538EncryptionRequired  Code = 538 // RFC 4954 §6
	C550MailboxUnavail      Code = 550
	C551UserNotLocal        Code = 551
	C552StorageExceeded     Code = 552
	C553MailboxNameInvalid  Code = 553
	C554TransactionFailed   Code = 554
	C555ParamsUnrecognized  Code = 555 // RFC 5321 §4.2.2
)

// Class returns the first digit of the code: 2, 3, 4 or 5.
func (c Code) Class() uint8 { return uint8(c / 100) }

// Positive reports a 2xx or 3xx code.
func (c Code) Positive() bool { return c >= 200 && c < 400 }

// Transient reports a 4xx code: the client may try again later.
func (c Code) Transient() bool { return c >= 400 && c < 500 }

// Permanent reports a 5xx code: the same command will fail again.
func (c Code) Permanent() bool { return c >= 500 && c < 600 }

// Enhanced is an RFC 3463 enhanced status code, class.subject.detail.
// The zero value means "no enhanced code".
type Enhanced struct {
	Class, Subject, Detail uint16
}

// IsZero reports whether e carries no enhanced code.
func (e Enhanced) IsZero() bool { return e.Class == 0 }

// Enhanced codes used by Volley (RFC 3463 §3; RFC 3207, RFC 4954, RFC 6531, RFC 7504).
var (
	E200Other               = Enhanced{2, 0, 0}
	E210OtherAddress        = Enhanced{2, 1, 0}
	E215DestinationValid    = Enhanced{2, 1, 5}
	E236MessageAccepted     = Enhanced{2, 6, 0}
	E270AuthSucceeded       = Enhanced{2, 7, 0}
	E400Other               = Enhanced{4, 0, 0}
	E430SystemOther         = Enhanced{4, 3, 0}
	E431SystemFull          = Enhanced{4, 3, 1}
	E452TooManyRecipients   = Enhanced{4, 5, 3}
	E470SecurityOther       = Enhanced{4, 7, 0}
	E471DeliveryNotAuth     = Enhanced{4, 7, 1}
	E500Other               = Enhanced{5, 0, 0}
	E510OtherAddress        = Enhanced{5, 1, 0}
	E513BadDestSyntax       = Enhanced{5, 1, 3}
	E517BadSenderSyntax     = Enhanced{5, 1, 7}
	E534MessageTooBig       = Enhanced{5, 3, 4}
	E550InvalidCommand      = Enhanced{5, 5, 0}
	E551InvalidCommand      = Enhanced{5, 5, 1}
	E552SyntaxError         = Enhanced{5, 5, 2}
	E553TooManyRecipients   = Enhanced{5, 5, 3}
	E554InvalidArguments    = Enhanced{5, 5, 4}
	E555WrongProtocol       = Enhanced{5, 5, 5}
	E560MediaOther          = Enhanced{5, 6, 0}
	E567UTF8Required        = Enhanced{5, 6, 7} // RFC 6531 §3.7.4.2
	E570SecurityOther       = Enhanced{5, 7, 0}
	E571DeliveryNotAuth     = Enhanced{5, 7, 1}
	E578AuthInvalid         = Enhanced{5, 7, 8}
	E579AuthMechTooWeak     = Enhanced{5, 7, 9}
	E5711EncryptionRequired = Enhanced{5, 7, 11}
)

// Reply is an SMTP reply to be encoded by AppendReply. Text may hold several
// lines separated by '\n'; each becomes one line of a multi-line reply
// (RFC 5321 §4.2.1), and each line carries Enh when it is set (RFC 2034 §4).
type Reply struct {
	Code Code
	Enh  Enhanced
	Text string
}

// Transient reports a 4xx reply.
func (r Reply) Transient() bool { return r.Code.Transient() }

// Permanent reports a 5xx reply.
func (r Reply) Permanent() bool { return r.Code.Permanent() }

// Error is a parse or protocol failure that maps to the reply the peer must see.
// Errors are pre-built package values, so returning one never allocates.
type Error struct {
	Reply Reply
	msg   string
}

func (e *Error) Error() string { return e.msg }

func newError(code Code, enh Enhanced, text, msg string) *Error {
	return &Error{Reply: Reply{Code: code, Enh: enh, Text: text}, msg: "smtpwire: " + msg}
}

// replyLocalError answers an error that carries no reply of its own.
var replyLocalError = Reply{C451LocalError, E430SystemOther, "Local error in processing"}

// ReplyOf returns the reply the peer must see for err: an *Error's own reply, or 451 4.3.0
// for any other error (the peer may try again; the detail belongs in the log).
func ReplyOf(err error) Reply {
	if e, ok := err.(*Error); ok {
		return e.Reply
	}
	return replyLocalError
}
