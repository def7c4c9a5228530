// Package queue holds Volley's queues: which shard owns a recipient's queue,
// the inbox ring through which the accepting shard hands a recipient to that
// owner, and the owner's index of queued recipients.
//
// Responsibility: map a recipient to its queue key (routing domain, virtual
// MTA) and the key to its owning shard (DESIGN.md, step 3); carry Ready
// records across shards on lock-free rings; keep, per shard, the queues it
// owns with their recipients ready, waiting (a heap by due time) or in
// flight, and wake the queues whose waiting recipients come due (a hashed
// timing wheel); shape rates (Limiter, GCRA).
//
// Not responsible for: delivery and its limits (engine/outbound reads and
// drives the Table), making messages durable (the spool does, before any
// hand-off), deciding MX rollups (engine/outbound moves a domain's
// recipients to the rollup's key once its MX hosts are known).
//
// Concurrency: a Table belongs to its shard's loop. An Inbox has many
// producers (every shard's Router, the pickup goroutine) and one consumer,
// its owner's loop; producers wake the owner with one coalesced Post. A
// Router belongs to one goroutine.
//
// Failure behaviour: rings are bounded. When an owner's inbox is full the
// Router keeps the records in its backlog and retries (Flush); nothing is
// dropped, and the recipients are in the spool regardless, so a crash
// meanwhile only delays them until the spool is scanned at start.
package queue
