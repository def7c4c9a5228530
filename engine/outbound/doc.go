// Package outbound delivers queued recipients over SMTP, on the shard that
// owns their queue.
//
// Responsibility: per shard, a Deliverer finds each queue's route (through
// the engine's resolver: smtp-hosts or MX), moves a domain's mail to its MX
// rollup's queue (<mx-rollup-list>, mx-rollup-auto), and opens Sessions
// within the queue's limits (max-smtp-out, max-connect-rate,
// max-msg-rate, the source-ip-* limits, and the vMTA and pool caps of
// Slots, shared by every shard) from the virtual MTA's source addresses.
// A Session speaks through smtpwire's client machine over the reactor:
// pipelined transactions, BDAT where offered, STARTTLS (engine/tlspipe),
// reuse up to max-msg-per-connection, idle for new mail up to
// connection-idle-timeout. Each recipient's outcome is delivered (2xx),
// deferred (4xx, a timeout, a lost connection; retried after
// retry-after, bounced past bounce-after) or bounced (5xx), stamped with
// the queue's mode and the source's warm-up share for accounting
// (attempt.go).
//
// Not responsible for: DNS (engine/dns), the queues' data structures
// (engine/queue), writing outcomes to the spool and to accounting, and
// DSNs (the engine's settler).
//
// Concurrency: a Deliverer and its Sessions live on their reactor's loop;
// every method and Feeder call runs there. Route lookups and spool reads
// run on goroutines the engine supplies and come back through Post. Slots
// is safe from every shard at once.
//
// Failure behaviour: a recipient without a reply when the connection fails
// is deferred, never lost and never guessed delivered: at-least-once.
package outbound
