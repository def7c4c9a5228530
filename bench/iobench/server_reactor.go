//go:build linux

package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"runtime"

	"github.com/volleymta/volley/iouring"
)

// serveReactor starts one reactor per shard, each on its own locked OS
// thread, all listening on one port through SO_REUSEPORT: the first shard
// binds addr (port 0 picks one) and the others bind the port it got, so the
// kernel spreads connections over the shards the way volleyd will. It
// returns once every shard listens; the shards run until the process exits.
func serveReactor(engine iouring.Engine, addr netip.AddrPort, shards int) (netip.AddrPort, error) {
	type ready struct {
		addr netip.AddrPort
		err  error
	}
	bound := addr
	for i := 0; i < shards; i++ {
		ch := make(chan ready, 1)
		go func(want netip.AddrPort) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			r, err := iouring.New(iouring.Options{Engine: engine})
			if err != nil {
				ch <- ready{err: err}
				return
			}
			got, err := r.Listen(want, acceptSMTP)
			if err != nil {
				ch <- ready{err: err}
				return
			}
			ch <- ready{addr: got}
			_ = r.Run()
		}(bound)
		res := <-ch
		if res.err != nil {
			return netip.AddrPort{}, fmt.Errorf("%s shard %d: %w", engine, i, res.err)
		}
		bound = res.addr
	}
	return bound, nil
}

// acceptSMTP gives each connection its own small state.
func acceptSMTP(iouring.Reactor, iouring.Conn, netip.AddrPort, netip.AddrPort) iouring.ConnHandler {
	return &smtpConn{}
}

// smtpConn is the reactor server's per-connection state. An idle connection
// holds only this struct: partial stays nil until a line is split across two
// reads, and the reactor keeps no per-connection receive buffer.
type smtpConn struct {
	iouring.Base
	// partial holds the start of a line whose end has not arrived yet.
	partial []byte
	// dataLeft counts payload bytes still expected after "DATA <n>".
	dataLeft int
}

func (s *smtpConn) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
	for len(p) > 0 {
		if s.dataLeft > 0 {
			n := min(s.dataLeft, len(p))
			s.dataLeft -= n
			p = p[n:]
			if s.dataLeft == 0 {
				_ = r.Send(c, replyQueued)
			}
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.partial)+len(p) > maxLine {
				return iouring.Close
			}
			s.partial = append(s.partial, p...) // p is borrowed: keep a copy
			return iouring.Continue
		}
		line := p[:i+1]
		p = p[i+1:]
		if len(s.partial) > 0 {
			if len(s.partial)+len(line) > maxLine {
				return iouring.Close
			}
			s.partial = append(s.partial, line...)
			line = s.partial
		}
		s.command(r, c, line)
		s.partial = s.partial[:0]
	}
	return iouring.Continue
}

// command answers one complete line.
func (s *smtpConn) command(r iouring.Reactor, c iouring.Conn, line []byte) {
	n, isData, ok := parseLine(line)
	switch {
	case !ok:
		_ = r.Send(c, replySyntax)
	case isData && n > 0:
		s.dataLeft = n
	case isData:
		_ = r.Send(c, replyQueued)
	default:
		_ = r.Send(c, replyOK)
	}
}
