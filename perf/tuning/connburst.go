//go:build ignore

// Command connburst measures what the kernel's connection settings do to an SMTP
// client or server, over loopback only. It is not part of the build (the ignore
// constraint); perf/tuning/run.sh builds it by file name and runs it inside a private
// network namespace, so the sysctls it measures never change on the host:
//
//	go build -o connburst ./perf/tuning/connburst.go
//
// Three modes:
//
//	connburst burst -addr 127.0.0.1:2525 -n 1000
//	    opens n connections at once, reads each greeting, sends QUIT, reads the reply
//	    and closes; prints how many connected and greeted, the connect and greeting
//	    times (p50, p99, max) and how many took 1 s or more (a SYN the listener dropped
//	    and the client sent again after the kernel's initial 1 s retransmission timeout).
//	    -src IP binds each socket to a source address first (as a virtual MTA does),
//	    -noport adds IP_BIND_ADDRESS_NO_PORT (as volleyd does), -hold 5s keeps every
//	    connection open for 5 s once all are up (to count descriptors), -close
//	    client|server says who closes first (client: close at once without QUIT).
//
//	connburst listen -addr 127.0.0.1:2526 -backlog 128 -accept-after 2s
//	    a listener with the given listen(2) backlog that starts accepting only after
//	    the given delay (a busy or stalled daemon); it greets each connection with 220,
//	    answers QUIT with 221 and closes. It runs until killed.
//
//	connburst churn -addr 127.0.0.1:2526 -n 5000 -for 30s
//	    opens n short connections one after another, each closed by the client first
//	    (so each leaves a TIME_WAIT socket on the client side); a connect refused for
//	    want of a local port (EADDRNOTAVAIL) is retried every 10 ms until -for runs
//	    out. Prints how many succeeded, the retries, other errors and the connections
//	    per second.
//
// Every mode refuses an address outside 127.0.0.0/8 and ::1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: connburst burst|listen|churn [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:2525", "address to connect to or listen on (loopback only)")
	n := fs.Int("n", 1000, "connections (burst, churn)")
	src := fs.String("src", "", "source address to bind before connecting (loopback only)")
	noPort := fs.Bool("noport", false, "set IP_BIND_ADDRESS_NO_PORT before binding -src")
	hold := fs.Duration("hold", 0, "burst: once every connection is up, keep them all open this long")
	closer := fs.String("close", "server", "burst: who closes first, client (no QUIT) or server (QUIT, 221)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-connection timeout")
	backlog := fs.Int("backlog", 4096, "listen: listen(2) backlog")
	acceptAfter := fs.Duration("accept-after", 0, "listen: start accepting after this delay")
	churnFor := fs.Duration("for", 30*time.Second, "churn: give up after this long")
	_ = fs.Parse(os.Args[2:])

	ap, err := netip.ParseAddrPort(*addr)
	if err != nil || !ap.Addr().IsLoopback() {
		fatal("-addr must be a loopback address and port: %q", *addr)
	}
	var local netip.Addr
	if *src != "" {
		if local, err = netip.ParseAddr(*src); err != nil || !local.IsLoopback() {
			fatal("-src must be a loopback address: %q", *src)
		}
	}
	d := dialer{local: local, noPort: *noPort, timeout: *timeout}
	switch os.Args[1] {
	case "burst":
		burst(ap, d, *n, *hold, *closer == "client")
	case "listen":
		listen(ap, *backlog, *acceptAfter)
	case "churn":
		churn(ap, d, *n, *churnFor)
	default:
		fatal("unknown mode %q", os.Args[1])
	}
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "connburst: "+format+"\n", args...)
	os.Exit(1)
}

type dialer struct {
	local   netip.Addr
	noPort  bool
	timeout time.Duration
}

func (d dialer) dial(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.timeout}
	if d.local.IsValid() {
		nd.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(d.local, 0))
		if d.noPort {
			// Control runs before bind(2): the port is chosen at connect(2), per 4-tuple.
			nd.Control = func(_, _ string, c syscall.RawConn) error {
				var serr error
				err := c.Control(func(fd uintptr) {
					serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
				})
				return errors.Join(err, serr)
			}
		}
	}
	return nd.DialContext(ctx, "tcp", to.String())
}

// result is one connection's outcome in burst mode.
type result struct {
	connect, greet time.Duration
	code           string // first three bytes of the greeting
	err            string
}

func burst(to netip.AddrPort, d dialer, n int, hold time.Duration, clientCloses bool) {
	results := make([]result, n)
	var up, done sync.WaitGroup
	up.Add(n)
	release := make(chan struct{})
	start := time.Now()
	for i := range results {
		done.Add(1)
		go func(r *result) {
			defer done.Done()
			c, err := d.dial(context.Background(), to)
			r.connect = time.Since(start)
			if err != nil {
				r.err = errText(err)
				up.Done()
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(d.timeout))
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			r.greet = time.Since(start)
			if err != nil {
				r.err = "greeting: " + errText(err)
				up.Done()
				return
			}
			r.code = line[:min(3, len(line))]
			up.Done()
			if hold > 0 {
				<-release
			}
			if clientCloses {
				return
			}
			if _, err := c.Write([]byte("QUIT\r\n")); err == nil {
				_, _ = br.ReadString('\n')
				_, _ = br.ReadString('\n') // EOF once the server has closed
			}
		}(&results[i])
	}
	up.Wait()
	elapsed := time.Since(start)
	if hold > 0 {
		fmt.Printf("held=%d ", count(results, func(r result) bool { return r.err == "" }))
		time.Sleep(hold)
		close(release)
	}
	done.Wait()
	report(results, elapsed)
}

func report(results []result, elapsed time.Duration) {
	var conn, greet []time.Duration
	errs := map[string]int{}
	codes := map[string]int{}
	for _, r := range results {
		if r.err != "" {
			errs[r.err]++
		}
		if r.code != "" {
			codes[r.code]++
			greet = append(greet, r.greet)
		}
		if r.err == "" || strings.HasPrefix(r.err, "greeting") {
			conn = append(conn, r.connect)
		}
	}
	slow := 0
	for _, g := range conn {
		if g >= time.Second {
			slow++
		}
	}
	fmt.Printf("n=%d connected=%d greeted=%d codes=%s connect_1s_or_more=%d connect=%s greet=%s wall=%s errors=%s\n",
		len(results), len(conn), len(greet), mapText(codes), slow, pct(conn), pct(greet),
		elapsed.Round(time.Millisecond), mapText(errs))
}

func count(rs []result, f func(result) bool) int {
	n := 0
	for _, r := range rs {
		if f(r) {
			n++
		}
	}
	return n
}

// pct renders p50/p99/max of ds.
func pct(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	slices.Sort(ds)
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	r := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	return r(at(0.50)) + "/" + r(at(0.99)) + "/" + r(ds[len(ds)-1])
}

func mapText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", k, m[k])
	}
	return b.String()
}

// errText shortens an error to its errno or a stable phrase, so outcomes group.
func errText(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return unix.ErrnoName(errno)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return err.Error()
}

// listen serves a raw listening socket, so the backlog is exactly the one asked for
// (Go's net.Listen always asks for net.core.somaxconn).
func listen(at netip.AddrPort, backlog int, acceptAfter time.Duration) {
	fam := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Port: int(at.Port()), Addr: at.Addr().As4()}
	if at.Addr().Is6() {
		fam, sa = unix.AF_INET6, &unix.SockaddrInet6{Port: int(at.Port()), Addr: at.Addr().As16()}
	}
	fd, err := unix.Socket(fam, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		err = unix.Bind(fd, sa)
	}
	if err == nil {
		err = unix.Listen(fd, backlog)
	}
	if err != nil {
		fatal("listen %v: %v", at, err)
	}
	fmt.Printf("listening on %v backlog=%d accept-after=%v\n", at, backlog, acceptAfter)
	time.Sleep(acceptAfter)
	for {
		nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		if err != nil {
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			fatal("accept: %v", err)
		}
		go serve(os.NewFile(uintptr(nfd), "conn"))
	}
}

// serve is a minimal SMTP-shaped peer: 220, then 221 and close on QUIT (or on EOF).
func serve(f *os.File) {
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.Write([]byte("220 connburst ready\r\n")); err != nil {
		return
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(strings.ToUpper(line), "QUIT") {
			_, _ = c.Write([]byte("221 bye\r\n"))
			return
		}
		_, _ = c.Write([]byte("250 ok\r\n"))
	}
}

// churn opens n connections one after another; the client closes each first, right
// after the greeting, so every one leaves a client-side TIME_WAIT socket. A connect that
// fails for want of a local port (EADDRNOTAVAIL) is retried every 10 ms until the
// -for deadline, so the rate shows how fast TIME_WAIT ports come back.
func churn(to netip.AddrPort, d dialer, n int, deadline time.Duration) {
	errs := map[string]int{}
	ok, waits := 0, 0
	start := time.Now()
	for ok < n && time.Since(start) < deadline {
		c, err := d.dial(context.Background(), to)
		if err != nil {
			if errors.Is(err, unix.EADDRNOTAVAIL) {
				waits++
				time.Sleep(10 * time.Millisecond)
				continue
			}
			errs[errText(err)]++
			continue
		}
		_ = c.SetDeadline(time.Now().Add(d.timeout))
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			errs["greeting: "+errText(err)]++
		} else {
			ok++
		}
		c.Close()
	}
	el := time.Since(start)
	fmt.Printf("n=%d ok=%d eaddrnotavail_retries=%d errors=%s wall=%s conns_per_s=%.0f\n", n, ok, waits,
		mapText(errs), el.Round(time.Millisecond), float64(ok)/el.Seconds())
}
