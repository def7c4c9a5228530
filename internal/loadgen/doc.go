// Package loadgen is Volley's SMTP load loadgen: Blast, a load generator
// that sends many messages over many connections and measures them, and
// Sink, an SMTP server that counts or saves what it receives and answers
// with scripted replies, so that tests and users can imitate a receiver that
// throttles (Gmail's 421 4.7.28, Yahoo's 421 4.7.0 [TSS04]) or refuses
// recipients. `volley blast` and `volley sink` are thin commands over it.
//
// # Responsibility
//
// Blast: open Connections connections to one server, say EHLO (STARTTLS when
// asked and offered), and send Messages messages of Size body bytes to Rcpts
// recipients each, pipelining MAIL, RCPT and DATA when the server offers
// PIPELINING, at most Rate messages a second over all connections. Every
// message ends with one final reply code (the refusal of MAIL, of every RCPT
// or of DATA, else the reply after the data); Blast counts those codes and
// times each message from writing MAIL to reading its final reply.
//
// Sink: accept SMTP on one listener, with PIPELINING, 8BITMIME, SIZE,
// ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING (BDAT) and DSN, and accept every
// message unless a rule says otherwise; count connections, messages,
// recipients, bytes and replies; optionally save each accepted message.
//
// # Scripted replies
//
// A rule is written
//
//	[STAGE:]SELECTOR=CODE [TEXT]
//
// STAGE is the event the rule answers: connect (the greeting), ehlo (EHLO
// or HELO), mail (MAIL FROM), rcpt (RCPT TO) or data (the reply after the
// message's final dot or last BDAT chunk); the default is data. SELECTOR
// picks which events of that stage get the reply:
//
//	N%       that share of the events (0 to 100, decimals allowed), chosen by
//	         a generator seeded with SinkOptions.Seed: the same seed picks the
//	         same event numbers, whatever the connections' interleaving
//	/RE/     events whose argument matches the Go regular expression RE: the
//	         client's IP at connect, the EHLO name, the MAIL FROM or RCPT TO
//	         address (without angle brackets), the message's header section
//	         at data; a '/' inside RE is written \/
//	after:N  every event from the N+1th on (a receiver that starts
//	         throttling after N messages)
//	every:N  each Nth event (the Nth, the 2Nth, ...)
//	*        every event
//
// CODE is a three-digit reply code of class 2, 4 or 5 and TEXT the rest of
// the reply line, which may start with an enhanced status code (RFC 3463)
// of the same class: `451 4.7.1 try later`. Events are numbered per stage
// over the whole sink, not per connection. Rules are tried in order and the
// first match wins; no match means the sink's normal answer. A 421 reply
// closes the connection once it is sent (RFC 5321 §3.8); a 4xx or 5xx rule
// at connect sends that greeting and closes (RFC 5321 §3.1: 554, or 421).
// Examples:
//
//	5%=451 4.7.1 try later
//	rcpt:/^bad/=550 5.1.1 no such user
//	data:after:100=421 4.7.0 [TSS04] try again later
//	connect:every:3=421 4.7.0 too many connections
//
// # Not responsible for
//
// Being an MTA: the sink queues nothing, relays nothing, checks no
// authentication and offers no AUTH. Blast does not retry: a refused or
// failed message is counted, not sent again. The benchmark suite's own load
// client and sink (bench/e2e, bench/coldstart) stay separate because they
// stamp and tally per-message benchmark headers on a path kept minimal.
//
// # Concurrency
//
// Blast runs one goroutine per connection plus one for Progress, which is
// called from that one goroutine only. The Sink runs one goroutine per
// connection; its counters are atomics, read with Counters at any time.
//
// # Standards
//
// RFC 5321 (SMTP), RFC 2920 (PIPELINING), RFC 3030 (CHUNKING), RFC 1870
// (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN
// parameters, accepted and ignored), RFC 3463 and RFC 2034 (enhanced status
// codes), RFC 3207 (STARTTLS).
//
// # Failure behaviour
//
// Blast reports rather than stops: a refused message is counted by its code,
// a broken connection is counted as a connection error (by reason), its
// message in flight as failed, and the connection is opened again; a
// connection that fails ten times in a row without finishing a message gives
// up, and messages nobody sent are reported as unsent. The Sink answers bad
// commands with the RFC 5321 reply and goes on; it closes a connection only
// on QUIT, a 421, an I/O error or Close.
package loadgen
