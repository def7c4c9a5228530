package dns

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
)

// zone is the test data unbound serves. Everything lives under test., which
// unbound answers from local data; every other name is refused, so a test
// can never make unbound recurse to the Internet. TTLs are distinct where a
// test checks which one a route's expiry came from.
var zone = []string{
	"test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30", // negative TTL 30 s

	// Two MX hosts, dual-stack; the route expires with the AAAA of a (100 s).
	"mx.test. 300 IN MX 10 a.mx.test.",
	"mx.test. 300 IN MX 20 b.mx.test.",
	"a.mx.test. 120 IN A 127.0.0.2",
	"a.mx.test. 100 IN AAAA ::1",
	"b.mx.test. 200 IN A 127.0.0.3",
	"b.mx.test. 250 IN AAAA ::1",

	// Three hosts share preference 10, behind one at 5.
	"equal.test. 300 IN MX 5 first.equal.test.",
	"equal.test. 300 IN MX 10 e1.equal.test.",
	"equal.test. 300 IN MX 10 e2.equal.test.",
	"equal.test. 300 IN MX 10 e3.equal.test.",
	"first.equal.test. 300 IN A 127.0.0.10",
	"e1.equal.test. 300 IN A 127.0.0.11",
	"e2.equal.test. 300 IN A 127.0.0.12",
	"e3.equal.test. 300 IN A 127.0.0.13",

	"null.test. 300 IN MX 0 .",                   // RFC 7505
	"implicit.test. 300 IN A 127.0.0.5",          // no MX: implicit MX
	"cname.test. 300 IN MX 10 alias.cname.test.", // MX host behind a CNAME
	"alias.cname.test. 60 IN CNAME real.cname.test.",
	"real.cname.test. 300 IN A 127.0.0.4",
	"domalias.test. 300 IN CNAME mx.test.", // the domain itself is a CNAME
	"short.test. 2 IN MX 10 a.short.test.", // short TTLs
	"a.short.test. 2 IN A 127.0.0.6",
	"a.short.test. 2 IN AAAA ::1",
	"nohost.test. 300 IN MX 10 missing.nohost.test.",   // the only host does not exist
	"partial.test. 300 IN MX 10 missing.partial.test.", // the first host does not exist
	"partial.test. 300 IN MX 20 ok.partial.test.",
	"ok.partial.test. 300 IN A 127.0.0.7",
	"ok.partial.test. 300 IN AAAA ::1",
	`noaddr.test. 300 IN TXT "no MX, no A"`, // exists, nothing to deliver to
	"upper.test. 300 IN MX 10 MiXeD.Upper.TEST.",
	"mixed.upper.test. 300 IN A 127.0.0.8",
	"mixed.upper.test. 300 IN AAAA ::1",
}

// bigZone holds a host with 100 A records: more than 1232 bytes, so the UDP
// answer is truncated and the resolver must retry over TCP.
func bigZone() []string {
	var z []string
	for i := 1; i <= 100; i++ {
		z = append(z, fmt.Sprintf("big.test. 300 IN A 127.0.1.%d", i))
	}
	return z
}

// Zones with their own SOA for the negative-TTL bounds.
var negZones = map[string]string{
	"neg1.test.": "neg1.test. 1 IN SOA ns.test. admin.test. 1 3600 600 86400 1",         // below the 5 s floor
	"neg2.test.": "neg2.test. 86400 IN SOA ns.test. admin.test. 1 3600 600 86400 86400", // above the 5 min cap
}

// unbound is a running unbound serving zone on 127.0.0.1.
type unbound struct {
	addr   netip.AddrPort
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	once   sync.Once
	log    bytes.Buffer
}

// needUnbound returns the unbound binary, skipping the test when it is not
// installed, unless VOLLEY_REQUIRE_PEERS is set (CI installs it: the
// Debian package is "unbound"), which makes a missing unbound a failure.
func needUnbound(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"unbound", "/usr/sbin/unbound"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
		t.Fatal("unbound not installed (apt-get install unbound)")
	}
	t.Skip("unbound not installed (apt-get install unbound); skipping the DNS tests")
	return ""
}

// startUnbound runs unbound in the foreground on a free port of 127.0.0.1,
// waits until it answers, and stops it when the test ends.
func startUnbound(t testing.TB) *unbound {
	t.Helper()
	bin := needUnbound(t)
	var err error
	for range 3 { // a free port can be taken between probing and binding
		var u *unbound
		if u, err = tryUnbound(t, bin); err == nil {
			t.Cleanup(u.stop)
			return u
		}
	}
	t.Fatal(err)
	return nil
}

func tryUnbound(t testing.TB, bin string) (*unbound, error) {
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(conf, []byte(unboundConf(dir, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	u := &unbound{addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}
	u.cmd = exec.Command(bin, "-d", "-c", conf)
	u.cmd.Stdout, u.cmd.Stderr = &u.log, &u.log
	if err := u.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	u.exited = make(chan struct{})
	go func() { u.cmd.Wait(); close(u.exited) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		select {
		case <-u.exited:
			return nil, fmt.Errorf("unbound exited: %s", u.log.String())
		default:
		}
		if u.answers() {
			return u, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	u.stop()
	return nil, fmt.Errorf("unbound did not answer within 10s: %s", u.log.String())
}

// answers reports whether unbound answers the SOA of test. yet.
func (u *unbound) answers() bool {
	m := new(mdns.Msg)
	m.SetQuestion("test.", mdns.TypeSOA)
	c := mdns.Client{Timeout: 200 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r, _, err := c.ExchangeContext(ctx, m, u.addr.String())
	return err == nil && r.Rcode == mdns.RcodeSuccess
}

// stop kills unbound; the test's cleanup calls it too, so it runs once.
func (u *unbound) stop() {
	u.once.Do(func() {
		u.cmd.Process.Kill()
		<-u.exited
	})
}

func unboundConf(dir string, port uint16) string {
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
	local-zone: "test." static
`, port, dir)
	for z, soa := range negZones {
		fmt.Fprintf(&b, "\tlocal-zone: %q static\n\tlocal-data: %q\n", z, soa)
	}
	for _, rr := range append(zone, bigZone()...) {
		fmt.Fprintf(&b, "\tlocal-data: '%s'\n", rr)
	}
	return b.String()
}

// freePort returns a port of 127.0.0.1 free for both UDP and TCP just now.
func freePort(t testing.TB) uint16 {
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
