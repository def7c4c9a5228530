// Package spool is Volley's durable message store: once Append returns, the
// message survives a crash, and nothing else in the MTA keeps state that a
// restart cannot rebuild from it.
//
// Responsibility: storing each message's envelope, compressed body and one
// record per recipient in Pebble; group commit (concurrent writes share one
// batch and one fsync); recipient state updates and deletes; the ordered scan that rebuilds every queue at start; typed errors
// for a full or failing disk.
//
// Not responsible for: scheduling, routing, retries (engine/queue decides;
// the spool records what it decided), the pickup directory (engine/pickup)
// or mapping errors to SMTP replies (engine/inbound: ErrFull and ErrIO give
// 452 4.3.1).
//
// Key schema. Every key starts with a one-byte kind; IDs are 16 bytes,
// big-endian, time-ordered (id.go), so byte order is arrival order:
//
//	'q' ID 0x00           meta: envelope, job, vMTA, origin, times, size, recipient count
//	'q' ID 0x01 INDEX(2)  recipient INDEX: address, ORCPT, NOTIFY, attempts, next attempt, last reply
//	'b' ID                body: codec tag (1 byte) + compressed body
//
// A message's meta record sorts immediately before its recipients, so one
// forward pass over 'q' (Scan) yields each message with its live recipients:
// that is the whole restart. Bodies live apart under 'b' so the scan never
// reads them; delivery fetches one with Body. Records are versioned (first
// byte) varint encodings (record.go). A message is written in one atomic
// batch (body, meta, recipients), so it is never half-present.
//
// Concurrency: every method is safe for concurrent use. One committer
// goroutine merges the waiting batches, applies them with one fsync and
// answers their callers (commit.go).
//
// Durability: every write returns after its group's fsync. A crash between a
// delivery and the FinishRecipient that records it retries that recipient
// once (at-least-once, never zero). Every group is synced rather than only
// those with an Append because Pebble reports a failed unsynced write only
// by panicking later (commit.go).
//
// Failure behaviour: a failed write or fsync is sticky (Pebble's WAL cannot
// continue after one): every later write returns the same ErrFull or ErrIO,
// and Unhealthy reports it without I/O, until the process restarts on a
// repaired disk. Reads go on working. Pebble itself may still end the
// process if the disk fails during a memtable rotation or a background
// flush (it panics, or calls Fatalf); nothing acknowledged is lost then, as
// the crash test shows, and the restart recovers.
package spool
