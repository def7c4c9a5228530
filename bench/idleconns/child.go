//go:build linux

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The client side runs in child processes (this binary re-executed with
// -child first), because each process may hold only RLIMIT_NOFILE
// descriptors and the hard limit may be out of reach: a child holds up to
// -per-child connections. A child reports on stdout, one line at a time:
//
//	PROGRESS HELD FAILED
//	DONE HELD FAILED FIRST-ERROR
//
// and holds its connections until its stdin closes.

// childFlag starts a child's command line.
const childFlag = "-child"

// firstSource is the source address of connection 0; connection g binds
// firstSource + g/perSource, so each address carries at most perSource
// connections and ephemeral ports never run out.
var firstSource = netip.AddrFrom4([4]byte{127, 0, 0, 2})

// sourceFor returns the source address of connection g, or false when it
// would leave 127.0.0.0/8.
func sourceFor(g, perSource int) (netip.Addr, bool) {
	b := firstSource.As4()
	v := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
	v += uint64(g / perSource)
	if v>>24 != 127 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// childOptions are a child's command line.
type childOptions struct {
	addr                  netip.AddrPort
	first, count          int
	perSource             int
	concurrency           int
	ehlo                  bool
	maxFailures           int
	progressEvery         time.Duration
	dialTimeout, deadline time.Duration
}

func parseChildFlags(args []string) (childOptions, error) {
	fs := flag.NewFlagSet("idleconns child", flag.ContinueOnError)
	var o childOptions
	addr := fs.String("addr", "", "volleyd's SMTP address")
	fs.IntVar(&o.first, "first", 0, "global index of this child's first connection")
	fs.IntVar(&o.count, "count", 0, "connections to open")
	fs.IntVar(&o.perSource, "per-source", 10000, "connections per source address")
	fs.IntVar(&o.concurrency, "concurrency", 64, "connections being set up at once")
	fs.BoolVar(&o.ehlo, "ehlo", true, "send EHLO after the banner")
	fs.DurationVar(&o.dialTimeout, "dial-timeout", 10*time.Second, "bound on each connection's setup")
	fs.DurationVar(&o.deadline, "deadline", 3*time.Minute, "bound on the whole setup")
	fs.IntVar(&o.maxFailures, "max-failures", 200, "stop opening after this many failures")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil {
		return o, err
	}
	o.addr = ap
	if o.count < 0 || o.perSource < 1 || o.concurrency < 1 {
		return o, errors.New("bad -count, -per-source or -concurrency")
	}
	o.progressEvery = time.Second
	return o, nil
}

// childMain is a child process: it opens its connections, reports, and
// holds them until stdin closes. It returns the exit status.
func childMain(args []string) int {
	o, err := parseChildFlags(args)
	if err != nil {
		fmt.Printf("DONE 0 0 %s\n", oneLine(err.Error()))
		return 2
	}
	h := &holder{o: o, report: os.Stdout}
	h.open()
	fmt.Printf("DONE %d %d %s\n", h.held.Load(), h.failed.Load(), h.firstErr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	h.closeAll()
	return 0
}

// holder opens and keeps one child's connections.
type holder struct {
	o      childOptions
	report io.Writer // PROGRESS lines
	held   atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	conns  []net.Conn
	errMsg string
}

func (h *holder) firstErr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.errMsg == "" {
		return "-"
	}
	return h.errMsg
}

// closeAll closes every connection held.
func (h *holder) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
}

// open sets up the connections with o.concurrency workers, reporting
// progress every second, until all are open, too many failed or the
// deadline passed.
func (h *holder) open() {
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(h.o.deadline)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(h.o.progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(h.report, "PROGRESS %d %d\n", h.held.Load(), h.failed.Load())
			case <-done:
				return
			}
		}
	}()
	for range h.o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for {
				i := int(next.Add(1) - 1)
				if i >= h.o.count || h.failed.Load() >= int64(h.o.maxFailures) || time.Now().After(stop) {
					return
				}
				c, err := h.connect(h.o.first+i, buf)
				if err != nil {
					h.failed.Add(1)
					h.mu.Lock()
					if h.errMsg == "" {
						h.errMsg = oneLine(err.Error())
					}
					h.mu.Unlock()
					continue
				}
				h.mu.Lock()
				h.conns = append(h.conns, c)
				h.mu.Unlock()
				h.held.Add(1)
			}
		}()
	}
	wg.Wait()
	close(done)
}

// connect opens connection g from its source address, reads the banner
// and, if asked, sends EHLO and reads the reply. The connection then
// stays idle: volleyd holds a greeted session waiting for a command.
func (h *holder) connect(g int, buf []byte) (net.Conn, error) {
	src, ok := sourceFor(g, h.o.perSource)
	if !ok {
		return nil, fmt.Errorf("connection %d: no source address left in 127.0.0.0/8", g)
	}
	d := net.Dialer{
		LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0)),
		Timeout:   h.o.dialTimeout,
		// IP_BIND_ADDRESS_NO_PORT: pick the port at connect, by the whole
		// 4-tuple, instead of at bind, where each port is taken for
		// every destination.
		Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
			})
			return errors.Join(err, serr)
		},
	}
	c, err := d.Dial("tcp", h.o.addr.String())
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(h.o.dialTimeout))
	if err := expect(c, buf, "220"); err != nil {
		c.Close()
		return nil, fmt.Errorf("banner: %w", err)
	}
	if h.o.ehlo {
		if _, err := c.Write([]byte("EHLO idle" + strconv.Itoa(g) + ".test\r\n")); err != nil {
			c.Close()
			return nil, err
		}
		if err := expect(c, buf, "250"); err != nil {
			c.Close()
			return nil, fmt.Errorf("EHLO: %w", err)
		}
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// expect reads one SMTP reply (its last line starts "NNN ") and checks
// its code.
func expect(c net.Conn, buf []byte, code string) error {
	n := 0
	for {
		if n == len(buf) {
			return errors.New("reply too long")
		}
		m, err := c.Read(buf[n:])
		n += m
		if last, ok := finalLine(buf[:n]); ok {
			if !strings.HasPrefix(last, code) {
				return fmt.Errorf("%q", last)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// finalLine returns the last line of a complete SMTP reply in b: the
// first CRLF-terminated line whose fourth byte is a space.
func finalLine(b []byte) (string, bool) {
	for len(b) > 0 {
		i := strings.Index(string(b), "\r\n")
		if i < 0 {
			return "", false
		}
		line := b[:i]
		if len(line) < 4 || line[3] == ' ' {
			return string(line), true
		}
		b = b[i+2:]
	}
	return "", false
}

// oneLine makes an error fit the one-line child protocol.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// child is the parent's handle on a running child.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	held   atomic.Int64
	failed atomic.Int64
	done   chan struct{} // closed when the DONE line arrived or stdout ended
	err    string        // the DONE line's first error; set before done closes
}

// startChild runs a child for connections first..first+count-1.
func startChild(addr netip.AddrPort, first, count int, o options) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, childFlag, "-addr", addr.String(), "-first", strconv.Itoa(first),
		"-count", strconv.Itoa(count), "-per-source", strconv.Itoa(o.perSource),
		"-concurrency", strconv.Itoa(o.concurrency), "-ehlo="+strconv.FormatBool(o.ehlo),
		"-deadline", o.connectTimeout.String())
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go ch.follow(stdout)
	return ch, nil
}

// follow reads the child's report lines.
func (ch *child) follow(r io.Reader) {
	defer func() {
		select {
		case <-ch.done:
		default:
			ch.err = "child exited before reporting"
			close(ch.done)
		}
	}()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		kind, held, failed, msg, ok := parseChildLine(sc.Text())
		if !ok {
			continue
		}
		ch.held.Store(int64(held))
		ch.failed.Store(int64(failed))
		if kind == "DONE" {
			if msg != "-" {
				ch.err = msg
			}
			close(ch.done)
		}
	}
}

// parseChildLine parses "PROGRESS HELD FAILED" or "DONE HELD FAILED ERR".
func parseChildLine(line string) (kind string, held, failed int, msg string, ok bool) {
	f := strings.SplitN(line, " ", 4)
	if len(f) < 3 || (f[0] != "PROGRESS" && f[0] != "DONE") {
		return "", 0, 0, "", false
	}
	h, err1 := strconv.Atoi(f[1])
	fl, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return "", 0, 0, "", false
	}
	if len(f) == 4 {
		msg = f[3]
	}
	return f[0], h, fl, msg, true
}

// release closes the child's stdin: it closes its connections and exits.
func (ch *child) release() { _ = ch.stdin.Close() }

// wait waits for the child to exit, killing it after timeout.
func (ch *child) wait(timeout time.Duration) {
	exited := make(chan struct{})
	go func() {
		_ = ch.cmd.Wait()
		close(exited)
	}()
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = ch.cmd.Process.Kill()
		<-exited
	}
}
