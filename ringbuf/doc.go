// Package ringbuf provides the bounded lock-free rings that carry work between
// Volley's shards, and the wake-up flag a shard sleeps on.
//
// # Responsibility
//
// SPSC is a single-producer single-consumer ring with a power-of-two capacity,
// head and tail on separate cache lines and cached copies of the other side's
// index. MPSC is a multi-producer single-consumer ring with sequence-numbered
// slots (Vyukov's bounded MPMC queue specialised to one consumer). Both
// publish batches with one release store per batch where the algorithm allows
// it. Waker implements the coalesced cross-shard wake-up of STYLE.md §4.
//
// # Not responsible for
//
// Allocation of the values carried (entries are small values or slab indices;
// ownership moves with the push), timers, and the kernel signal itself
// (eventfd or MSG_RING), which the reactor supplies through Signal.
//
// # Concurrency
//
// An SPSC has exactly one producer goroutine (Push, PushBatch) and one
// consumer goroutine (Pop, PopBatch) at a time. An MPSC accepts any number of
// producers and exactly one consumer. Len and Cap may be called from anywhere;
// Len is a snapshot. A Waker's Wake may be called by any goroutine; Prepare,
// Sleep and Chan belong to the consumer.
//
// # Standards
//
// None (no wire protocol). The memory-ordering arguments rely on the Go memory
// model: sync/atomic operations are sequentially consistent, and a value read
// by an atomic Load synchronises with the Store that wrote it.
//
// # Failure behaviour
//
// Rings never block and never allocate after construction: a full ring makes
// Push return false (PushBatch returns how many it pushed), an empty ring makes
// Pop return false. The caller decides whether to retry, count or shed.
package ringbuf
