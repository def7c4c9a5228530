// Package fbl reads feedback reports: the complaints that mailbox
// providers send back to a <feedback-loop-processor> address about mail
// Volley delivered, as ARF or XARF.
//
// Responsibility: take one received message and say what it reports
// (Parse): the form (ARF, XARF, a forwarded original, an unsubscribe
// request), the feedback type, the complaining recipients, the original's
// envelope sender, Message-ID, job and virtual MTA (from the copy of the
// original the report carries), the reported domain, source IP, arrival
// time and reporter, and whether the complainers are to be suppressed (the
// whitelist rule, documented on Parse). Check a XARF document against the
// rules of its published schema (ValidateXARF): the abusix schemas
// (alpha, 1, 2, 3, development) in full, the XARF v3 legacy schema, and
// XARF v4's core, category and type pairs and messaging types.
//
// Not responsible for: receiving the message (inbound routes mail for a
// <feedback-loop-processor> address here), writing the f accounting
// record, adding to the suppression list, counting complaints per job,
// virtual MTA and domain (the engine does each from the Report), telling a
// genuine report from a forged one (the reporter's DKIM signature is
// engine/msgauth's to check).
//
// Concurrency: the package has no mutable state; Parse and ValidateXARF
// may run on any goroutine at once. The XARF rules are built once, on
// first use, and only read after.
//
// Standards: RFC 5965 (ARF), RFC 6591 (authentication failure reports),
// RFC 6522 (multipart/report), RFC 2045 and RFC 2046 (MIME), RFC 5322
// (message format, dates, addresses), RFC 3339 (XARF dates), RFC 3986
// (URIs), RFC 1123 (host names); XARF v4 (xarf.org) and the abusix XARF
// schemas, whose rules are written here as Go (the schema files are test
// data only).
//
// Failure behaviour: Parse returns ErrNotFeedback for a message that is no
// report (a DSN, an ordinary message) and ErrMalformed for one that claims
// a form and breaks it; it never panics on any input. Damage short of that
// is read around: an unreadable date is the zero time, an invalid address
// is left out, a XARF document that breaks its schema is still read, with
// the violation in Report.SchemaErr. Work per message is bounded (header
// fields, MIME parts and nesting depth are capped).
package fbl
