// Package shard runs Volley's shard-per-core event loops.
//
// Responsibility: start one shard per core (or the configured count), each a
// goroutine locked to its OS thread that owns one iouring reactor, every
// connection that reactor accepts or opens, and an inbox through which other
// shards and helper goroutines hand it work; stop them all.
//
// Not responsible for: what runs on a shard (inbound sessions, queues and
// outbound delivery are wired in by the engine through Setup and Post).
//
// Concurrency: a Shard's reactor and everything reached from its callbacks
// belong to that shard's goroutine. The only cross-goroutine entry points are
// Post (the reactor's lock-free MPSC inbox with a coalescing eventfd wake-up)
// and Stop.
//
// Failure behaviour: the io engine is probed once for the group; when
// io_uring is unavailable under `io-engine auto` every shard uses epoll and
// one line says why. A shard whose loop fails stops the group and Wait
// returns its error.
package shard
