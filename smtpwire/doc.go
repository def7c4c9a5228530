// Package smtpwire is Volley's SMTP codec: commands, replies, EHLO extensions, the DATA
// and BDAT body framing, and the server and client session machines built on them.
//
// # Responsibility
//
// Turn bytes into parsed commands, replies and message bodies, and parsed values back into
// bytes, for both directions of SMTP. Parsers are incremental (ErrNeedMore asks for more
// input) and fill caller-owned structs whose byte slices point into the input; encoders
// append to a caller's buffer. The session machines (Server, Client) keep the protocol's
// state and sequence rules and report the few decisions an MTA must make as events.
//
// # Not responsible for
//
// Sockets, TLS, timers, DNS, policy (who may relay, which password is right) and
// durability: the engine around the machines owns them. This package imports no I/O.
//
// # Concurrency
//
// None inside. A Server or Client belongs to the goroutine that owns its connection (a
// shard loop); the fixed configs they point to are shared read-only.
//
// # Standards
//
// RFC 5321 (SMTP), RFC 2920 (PIPELINING), RFC 3030 (CHUNKING, BINARYMIME), RFC 1870 (SIZE),
// RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN parameters, xtext), RFC 3463 and
// RFC 2034 (enhanced status codes), RFC 3207 (STARTTLS), RFC 4954 and RFC 4616 (AUTH, PLAIN).
//
// # Failure behaviour
//
// Bad input never panics and never ends a session by itself: every malformed command gets
// the reply RFC 5321 asks for, as an *Error carrying that reply, and the session goes on.
// Only QUIT, a configured error limit or a 421 ends one. The DATA decoder accepts the end
// of data only as CRLF "." CRLF and refuses (or, by option, normalises) bare CR and LF,
// which closes the SMTP smuggling hole.
//
// Hot paths (command parsing, reply parsing, body unstuffing and stuffing, a whole server or
// client transaction) do not allocate once buffers have grown; tests assert it.
package smtpwire
