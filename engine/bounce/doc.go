// Package bounce handles delivery status notifications: it decides when a
// DSN is due and builds it, and it reads the bounces others send.
//
// Responsibility: decide from the envelope, the recipient's NOTIFY set and
// the delivery outcome whether a DSN is due (Needed); build the DSN as an
// RFC 3464 multipart/report message (Build) with a human-readable part, the
// machine-readable message/delivery-status part and the original message or
// its headers as RET asks; say which MAIL parameters the DSN itself needs.
// Classify a received bounce (an RFC 3464 DSN or the free-form text the
// big providers and MTAs send: Classify) or one SMTP reply (ClassifyReply)
// into PowerMTA's categories, a status code and hard or soft, with a
// config's <bounce-category-patterns> tried before the built-in rules.
//
// Not responsible for: sending the DSN (the caller spools it like any other
// message, with the null reverse path: MAIL FROM:<>, RFC 5321 §4.5.5, and
// the Mail parameters Build returns), dot-stuffing (the SMTP layer's), when
// to send delay notices (notify-of-delay-every is the queue's), grouping
// recipients into one DSN (the caller passes the outcomes it wants in one),
// reading the original from the spool (the caller passes its bytes),
// receiving bounces (a <bounce-processor>'s, the queue's).
//
// Concurrency: the package has no state. Build and Needed may run on any
// goroutine; Build reads Params and appends to the caller's buffer only.
//
// Standards: RFC 3461 (NOTIFY, RET, ENVID, ORCPT), RFC 3464 (the
// delivery-status fields), RFC 6522 (multipart/report, text/rfc822-headers),
// RFC 3463 (enhanced status codes), RFC 6533 (UTF-8 addresses,
// message/global-delivery-status, message/global-headers), RFC 2045 and RFC
// 2046 (MIME, boundaries, transfer encodings), RFC 5322 (dates, line length,
// folding), RFC 3834 (Auto-Submitted).
//
// Failure behaviour: Build returns an error, and appends nothing, only for
// input no DSN can be built from (no outcomes, a null sender, a bad action,
// an empty address, no reporting MTA, a From header or ID that would break
// the header). Everything that comes from the network or the original message
// is made safe instead of rejected: control characters become spaces, 8-bit
// octets that the envelope did not allow become '?', over-long lines are
// folded or the original is returned as headers only, a malformed status
// code falls back to the action's default (5.0.0, 4.0.0, 2.0.0).
package bounce
