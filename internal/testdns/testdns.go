// Package testdns runs a real DNS server for tests: Debian's unbound on a
// free port of 127.0.0.1, answering from local data only. Every name
// outside the test zones is refused, so a test can never make it recurse
// to the Internet.
package testdns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/volleymta/volley/internal/testpeer"
)

// Server is a running unbound.
type Server struct {
	Addr   netip.AddrPort
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	once   sync.Once
	log    bytes.Buffer
}

// Zones are the static local zones to serve: zone name ("test.") to its
// SOA record ("" for none).
type Zones map[string]string

// Need returns the unbound binary (internal/testpeer: skips without it,
// fails under VOLLEY_REQUIRE_PEERS).
func Need(t testing.TB) string {
	t.Helper()
	return testpeer.Need(t, "unbound", "unbound", "/usr/sbin/unbound")
}

// Start runs unbound in the foreground serving zones and records (lines in
// zone-file syntax), waits until it answers the SOA of probe (a zone of
// zones), and stops it when the test ends.
func Start(t testing.TB, zones Zones, records []string, probe string) *Server {
	t.Helper()
	bin := Need(t)
	var err error
	for range 3 { // a free port can be taken between probing and binding
		var s *Server
		if s, err = try(t, bin, zones, records, probe); err == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatal(err)
	return nil
}

func try(t testing.TB, bin string, zones Zones, records []string, probe string) (*Server, error) {
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(config(dir, port, zones, records)), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}
	s.cmd = exec.Command(bin, "-d", "-c", conf)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("unbound exited: %s", s.log.String())
		default:
		}
		if s.answers(probe) {
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("unbound did not answer within 10s: %s", s.log.String())
}

// answers reports whether unbound answers the SOA of zone yet.
func (s *Server) answers(zone string) bool {
	m := new(mdns.Msg)
	m.SetQuestion(zone, mdns.TypeSOA)
	c := mdns.Client{Timeout: 200 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, s.Addr.String())
	return err == nil && r.Rcode == mdns.RcodeSuccess
}

// Stop kills unbound; the test's cleanup calls it too, so it runs once.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
}

func config(dir string, port uint16, zones Zones, records []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `server:
	interface: 127.0.0.1
	port: %d
	do-ip6: no
	do-daemonize: no
	chroot: ""
	username: ""
	directory: %q
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 0
	num-threads: 1
	so-reuseport: no
	edns-buffer-size: 1232
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	local-zone: "." refuse
`, port, dir)
	for z, soa := range zones {
		fmt.Fprintf(&b, "\tlocal-zone: %q static\n", z)
		if soa != "" {
			fmt.Fprintf(&b, "\tlocal-data: %q\n", soa)
		}
	}
	for _, rr := range records {
		fmt.Fprintf(&b, "\tlocal-data: '%s'\n", rr)
	}
	return b.String()
}

// FreePort returns a port of 127.0.0.1 free for both UDP and TCP just now.
func FreePort(t testing.TB) uint16 {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return uint16(port)
		}
	}
	t.Fatal("no free port on 127.0.0.1")
	return 0
}
