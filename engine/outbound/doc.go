// Package outbound delivers queued recipients over SMTP: one Session per
// connection, on the shard that owns the queue, speaking through
// smtpwire's client machine over the shard's reactor.
//
// Responsibility: open a connection from a virtual MTA's source address to
// one MX address, run transactions the Feeder hands it (pipelined where
// the server allows), reuse the connection up to max-msg-per-connection,
// and report each recipient's outcome: delivered (2xx), deferred (4xx, a
// timeout, a dropped connection) or bounced (5xx).
//
// Not responsible for: choosing hosts, limits and retry times (the
// shard's deliverer and engine/queue), DNS (engine/dns), writing outcomes
// to the spool and accounting (the settler).
//
// Concurrency: a Session lives on its reactor's loop; every method and
// Feeder call runs there.
//
// Failure behaviour: a recipient without a reply when the connection fails
// is deferred, never lost and never guessed delivered: at-least-once.
package outbound
