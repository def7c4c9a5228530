// Package inbound is volleyd's SMTP injection service: the sessions that
// senders open to hand Volley their mail.
//
// Responsibility: one session per accepted connection, on the shard that
// accepted it, driven by the smtpwire server machine over an iouring
// reactor: the greeting, the per-client policy of the matching <source>
// (smtp-service, relaying, require-auth, max-message-size, recipients per
// message, command and data timeouts), a Received header, and the durable
// commit: a message is answered 250 only after the spool has fsynced it;
// a spool failure answers 452 4.3.1 and the session goes on.
//
// Not responsible for: the spool's group commit (spool), running the commit
// off the loop (the engine gives a Committer that runs it on a worker and
// calls back), routing recipients to queues (engine/queue, later),
// delivery.
//
// Concurrency: a session belongs to its shard's loop: every method runs
// there. The only other goroutine it meets is the Committer's worker, which
// hands the outcome back through the reactor's Post. While a message is
// being committed the session reads no further input (PauseRecv), so a
// pipelining client cannot grow its buffer without bound.
//
// Standards: RFC 5321 §4.1 (commands and sequence, through smtpwire),
// §4.4 (Received header), §4.5.3.2 (timeouts), RFC 3463 enhanced codes,
// RFC 2920 pipelining (replies flushed when input runs out).
//
// Failure behaviour: a bad command gets smtpwire's RFC 5321 reply and the
// session goes on; relaying to a domain the source may not reach gets
// 550 5.7.1; a full or failing spool gets 452 4.3.1; an idle client past
// smtp-command-timeout (or smtp-data-timeout inside DATA) gets 421 4.4.2
// and is disconnected; a handler panic closes only that connection.
package inbound
