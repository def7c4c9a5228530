// Package iouring is Volley's event loop: one Reactor per shard, over
// io_uring where the kernel allows and over epoll otherwise, with the same
// events and the same semantics on both.
//
// Responsibility: listening sockets (SO_REUSEPORT, so every shard binds the
// same address), accepting, connecting from a chosen source address,
// receiving, sending with partial writes continued, idle timeouts and timers,
// half-close, closing, running functions posted from other goroutines, and a
// net.Conn adapter (NetConn) for code that must block, such as crypto/tls.
//
// Not responsible for: protocols (smtpwire and engine/inbound, outbound),
// starting goroutines (engine/shard starts the loops), DNS, or the spool.
//
// Concurrency: a Reactor belongs to the goroutine that calls Run, which
// should be locked to its OS thread; every callback runs there, never inside
// a Reactor method call. Post, Stop, Stats and Done are the only methods safe
// from other goroutines. Post goes through a lock-free MPSC ring (ringbuf)
// and wakes the loop through an eventfd, coalesced so that a burst of posts
// costs one write (STYLE.md §4).
//
// Engines: New with EngineAuto calls ProbeIOUring (kernel.io_uring_disabled,
// ring setup, every opcode used, Linux 6.0 for multishot receive) and falls
// back to epoll with one log line saying why. Under qemu-user, io_uring_setup
// answers ENOSYS, so emulated arm64 runs epoll. The io_uring engine uses
// multishot accept, multishot receive from a provided buffer ring, linked
// timeouts on connect, batched submission (one io_uring_enter per loop
// iteration submits and waits) and a single-issuer ring with deferred task
// running where the kernel has them. giouring reaches syscall.mmap through
// go:linkname, so builds need -ldflags=-checklinkname=0.
//
// Failure behaviour: I/O errors end the connection they belong to and reach
// its OnClose (ECONNRESET, EPIPE); a failed Connect reaches OnOpen; a panic
// in a callback closes that connection only and is counted in Stats.Panics;
// an accept failure such as EMFILE pauses that listener for 100 ms.
package iouring
