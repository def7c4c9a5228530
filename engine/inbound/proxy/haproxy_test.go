package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testpeer"
)

// The real-peer test: a private haproxy relays a client connection from
// 127.0.0.5 to a Go listener, prefixing it with a PROXY header (send-proxy-v2
// on one backend, send-proxy on the other). The listener parses the header
// incrementally, in small reads, as the shard would.

const peerTimeout = 10 * time.Second

// peerResult is what the backend listener saw on one relayed connection.
type peerResult struct {
	h     Header
	after []byte // the stream after the header, to EOF
	reads int    // Parse calls that returned ErrNeedMore
	got   int    // bytes received
	err   error
}

// serveHeaders accepts on ln until it closes; each connection's header and
// the bytes after it go to out.
func serveHeaders(ln net.Listener, out chan<- peerResult) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			r := readProxied(c)
			select {
			case out <- r:
			default: // a readiness probe nobody waits for
			}
		}()
	}
}

// readProxied reads c in 7-byte pieces, calling Parse on the bytes so far
// until it decides, then reads the rest to EOF.
func readProxied(c net.Conn) peerResult {
	_ = c.SetDeadline(time.Now().Add(peerTimeout))
	var r peerResult
	var buf []byte
	piece := make([]byte, 7)
	for {
		k, err := c.Read(piece)
		buf = append(buf, piece[:k]...)
		r.got = len(buf)
		h, n, perr := Parse(buf)
		if errors.Is(perr, ErrNeedMore) {
			r.reads++
			if err != nil {
				r.err = fmt.Errorf("read after %d bytes: %w", len(buf), err)
				return r
			}
			continue
		}
		if perr != nil {
			r.err = perr
			return r
		}
		r.h = h
		rest := bytes.NewBuffer(append([]byte(nil), buf[n:]...))
		if err == nil {
			_, err = rest.ReadFrom(c)
		}
		if err != nil && !errors.Is(err, os.ErrClosed) && err.Error() != "EOF" {
			r.err = err
		}
		r.after = rest.Bytes()
		return r
	}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	tcheck(t, err, "listen")
	t.Cleanup(func() { ln.Close() })
	return ln
}

// freePort returns a loopback port that was free a moment ago, for
// haproxy's frontends.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	tcheck(t, err, "listen")
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

const haproxyConfig = `global
    maxconn 64
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fe_v2
    bind 127.0.0.1:%d
    unique-id-format volley-%%cp
    default_backend be_v2
backend be_v2
    server s2 127.0.0.1:%d send-proxy-v2 proxy-v2-options unique-id
frontend fe_v1
    bind 127.0.0.1:%d
    default_backend be_v1
backend be_v1
    server s1 127.0.0.1:%d send-proxy
`

// startHAProxy runs haproxy in the foreground (-db) with cfg and waits until
// every port in ports accepts connections.
func startHAProxy(t *testing.T, bin, cfg string, ports ...int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	tcheck(t, os.WriteFile(path, []byte(cfg), 0o600), "write config")
	var logs testpeer.Buffer
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	tcheck(t, cmd.Start(), "start haproxy")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(peerTimeout):
			t.Errorf("haproxy did not exit after kill")
		}
	})
	deadline := time.Now().Add(peerTimeout)
	for _, p := range ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("haproxy exited (%v):\n%s", err, logs.String())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("haproxy not listening on %d: %v\n%s", p, err, logs.String())
			}
		}
	}
}

func TestHAProxyPeer(t *testing.T) {
	bin := testpeer.Need(t, "haproxy", "haproxy", "/usr/sbin/haproxy")
	ln2, ln1 := listenLoopback(t), listenLoopback(t)
	got2, got1 := make(chan peerResult, 8), make(chan peerResult, 8)
	go serveHeaders(ln2, got2)
	go serveHeaders(ln1, got1)
	fe2, fe1 := freePort(t), freePort(t)
	cfg := fmt.Sprintf(haproxyConfig, fe2, ln2.Addr().(*net.TCPAddr).Port, fe1, ln1.Addr().(*net.TCPAddr).Port)
	startHAProxy(t, bin, cfg, fe2, fe1)

	for _, tc := range []struct {
		name    string
		version int
		port    int
		got     chan peerResult
	}{
		{"send-proxy-v2", 2, fe2, got2},
		{"send-proxy", 1, fe1, got1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The readiness probes from 127.0.0.1 may have left results; the
			// client's comes from 127.0.0.5.
			drain(tc.got)
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 5)}, Timeout: peerTimeout}
			c, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tc.port))
			tcheck(t, err, "dial through haproxy from 127.0.0.5")
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(peerTimeout))
			smtp := "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nDATA\r\n\x00\xff binary-safe\r\n.\r\n"
			_, err = c.Write([]byte(smtp))
			tcheck(t, err, "write")
			tcheck(t, c.(*net.TCPConn).CloseWrite(), "close write")

			client := netip.MustParseAddrPort(c.LocalAddr().String())
			r := waitFrom(t, tc.got, client.Addr())
			tcheck(t, r.err, "backend")
			h := r.h
			if h.Version != tc.version || h.Command != Proxy {
				t.Fatalf("header %s, want v%d PROXY", fmtHeader(h), tc.version)
			}
			if h.Source != client {
				t.Errorf("Source %v, want the client's %v", h.Source, client)
			}
			if want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(tc.port)); h.Dest != want {
				t.Errorf("Dest %v, want the frontend %v", h.Dest, want)
			}
			if string(r.after) != smtp {
				t.Errorf("stream after the header %q, want %q", r.after, smtp)
			}
			if r.reads == 0 {
				t.Errorf("header parsed in one read; the 7-byte reads should have needed more")
			}
			if tc.version == 2 {
				wantID := "volley-" + strconv.Itoa(int(client.Port()))
				if !hasTLV(h, TypeUniqueID, wantID) {
					t.Errorf("TLVs %s lack unique-id %q", fmtHeader(h), wantID)
				}
			}
		})
	}
}

func drain(ch chan peerResult) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitFrom returns the first result whose source is from, skipping probes.
func waitFrom(t *testing.T, ch chan peerResult, from netip.Addr) peerResult {
	t.Helper()
	timeout := time.After(peerTimeout)
	for {
		select {
		case r := <-ch:
			// A readiness probe shows up as a header from 127.0.0.1 (maybe
			// followed by a reset when the probe closed) or, when haproxy
			// dropped it before connecting out, as nothing at all.
			parsed := r.h.Version != 0
			if (parsed && r.h.Source.Addr() != from) || (!parsed && r.got == 0) {
				continue
			}
			return r
		case <-timeout:
			t.Fatalf("no connection from %v reached the backend within %v", from, peerTimeout)
		}
	}
}

func hasTLV(h Header, typ byte, val string) bool {
	for _, tlv := range h.TLVs {
		if tlv.Type == typ && string(tlv.Value) == val {
			return true
		}
	}
	return false
}
