package iouring

import (
	"fmt"
)

// New returns a reactor of the engine opts asks for. EngineAuto probes
// io_uring (the kernel's io_uring_disabled switch, ring setup, every opcode
// the engine uses) and falls back to epoll, logging one line that says why.
func New(opts Options) (Reactor, error) {
	opts = opts.withDefaults()
	switch opts.Engine {
	case EngineEpoll:
		return newEpoll(opts)
	case EngineIOUring:
		if err := ProbeIOUring(); err != nil {
			return nil, err
		}
		return newURing(opts)
	case EngineAuto:
		if err := ProbeIOUring(); err != nil {
			if opts.Logf != nil {
				opts.Logf("io engine: epoll (%v)", err)
			}
			return newEpoll(opts)
		}
		r, err := newURing(opts)
		if err != nil {
			if opts.Logf != nil {
				opts.Logf("io engine: epoll (io_uring setup: %v)", err)
			}
			return newEpoll(opts)
		}
		if opts.Logf != nil {
			opts.Logf("io engine: io_uring")
		}
		return r, nil
	}
	return nil, fmt.Errorf("iouring: %w: %v", ErrUnavailable, opts.Engine)
}
