//go:build linux

package main

import (
	"bufio"
	"net"
	"net/netip"
)

// serveGonet is the baseline: the ordinary Go server, one goroutine per
// connection with a bufio.Reader and a bufio.Writer, the runtime's netpoller
// underneath. It returns once listening; the accept loop runs until the
// process exits.
func serveGonet(addr netip.AddrPort) (netip.AddrPort, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
	if err != nil {
		return netip.AddrPort{}, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					continue
				}
				return
			}
			go serveGonetConn(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort(), nil
}

// serveGonetConn answers one connection. It flushes when no more input is
// buffered, as a careful hand-written server does, so a pipelining client
// gets its replies in one write.
func serveGonetConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	bw := bufio.NewWriter(c)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return // EOF, reset, or a line longer than the buffer
		}
		n, isData, ok := parseLine(line)
		switch {
		case !ok:
			_, err = bw.Write(replySyntax)
		case isData:
			if _, err = br.Discard(n); err == nil {
				_, err = bw.Write(replyQueued)
			}
		default:
			_, err = bw.Write(replyOK)
		}
		if err == nil && br.Buffered() == 0 {
			err = bw.Flush()
		}
		if err != nil {
			return
		}
	}
}
