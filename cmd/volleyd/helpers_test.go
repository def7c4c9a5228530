package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
	"github.com/volleymta/volley/internal/testpeer"
	"github.com/volleymta/volley/spool"
)

// The interop tests run the real daemon: the test binary re-executes itself
// with childEnv set, and TestMain then runs volleyd's own run() instead of
// the tests. The peers (swaks, Python's smtplib, haproxy) are separate
// processes too, so everything crosses real sockets.

const (
	childEnv    = "VOLLEYD_CHILD"
	peerTimeout = 10 * time.Second // start, stop, and one peer's round trip
	// python is Debian's interpreter by its exact path: the python3 first
	// on PATH may be another build.
	python = "/usr/bin/python3"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// process is a started child whose exit is awaited in the background.
type process struct {
	cmd    *exec.Cmd
	logs   *testpeer.Buffer
	exited chan struct{} // closed once err is set
	err    error
}

// startProcess starts cmd with its output going to a buffer. The child is
// killed if the test binary dies first.
func startProcess(cmd *exec.Cmd) (*process, error) {
	p := &process{cmd: cmd, logs: &testpeer.Buffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop sends sig and waits for the exit, killing the child past peerTimeout.
func (p *process) stop(sig os.Signal) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(peerTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("no exit within %v of %v: killed", peerTimeout, sig)
	}
}

// waitListening polls addr until it accepts a connection, or the process
// exits, or peerTimeout passes.
func (p *process) waitListening(addr string) error {
	deadline := time.Now().Add(peerTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited before listening on %s: %v", addr, p.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after %v: %v", addr, peerTimeout, err)
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// daemon is a running volleyd.
type daemon struct {
	*process
	addr  string // its smtp-listener, 127.0.0.1:PORT
	spool string // its spool directory
	done  bool
}

// noDelivery keeps the daemon's mail on this machine: no DNS question
// leaves loopback (a name server that refuses), and every domain's mail
// goes to a closed loopback port, so it stays queued (deferred).
const noDelivery = "name-server 127.0.0.1:1\n<domain *>\n    smtp-hosts [127.0.0.1]:1\n</domain>\n"

// withoutNameServer is noDelivery for a config with its own name-server
// line (a loopback DNS server of the test's).
func withoutNameServer(conf string) string {
	if strings.HasPrefix(conf, "name-server ") || strings.Contains(conf, "\nname-server ") {
		return strings.TrimPrefix(noDelivery, "name-server 127.0.0.1:1\n")
	}
	return noDelivery
}

// startVolleyd runs volleyd with conf (the config after the lines it writes
// itself: host-name test.example, the spool in a temporary directory, two
// shards, and smtp-listener on a free loopback port with source=NAME when
// source is set), and waits until the listener accepts. The daemon is
// stopped at cleanup if the test has not stopped it.
func startVolleyd(t *testing.T, source, conf string) *daemon {
	t.Helper()
	dir := t.TempDir()
	spoolDir := filepath.Join(dir, "spool")
	listenerSource := ""
	if source != "" {
		listenerSource = " source=" + source
	}
	// The port was free when picked, but another process may take it before
	// volleyd binds it: then volleyd exits and we try another.
	var lastErr error
	for range 5 {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		text := "host-name test.example\n" +
			"shards 2\n" +
			"smtp-listener " + addr + listenerSource + "\n" +
			"<spool " + spoolDir + ">\n</spool>\n" + conf + withoutNameServer(conf)
		path := filepath.Join(dir, "volley.conf")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := emul.Command(os.Args[0], "--config", path)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Dir = dir
		p, err := startProcess(cmd)
		if err != nil {
			t.Fatalf("start volleyd: %v", err)
		}
		if err := p.waitListening(addr); err != nil {
			_ = p.stop(syscall.SIGKILL)
			lastErr = fmt.Errorf("volleyd: %v\n%s", err, p.logs)
			if strings.Contains(p.logs.String(), "address already in use") {
				continue
			}
			t.Fatal(lastErr)
		}
		d := &daemon{process: p, addr: addr, spool: spoolDir}
		t.Cleanup(func() { d.stop(t) })
		return d
	}
	t.Fatal(lastErr)
	return nil
}

// stop ends volleyd with SIGTERM, as an init system would, and checks that
// it exits with status 0 within peerTimeout (under -race a data race in
// the daemon would make it 66).
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if d.done {
		return
	}
	d.done = true
	if err := d.process.stop(syscall.SIGTERM); err != nil {
		t.Errorf("volleyd did not exit cleanly after SIGTERM: %v\n%s", err, d.logs)
	}
}

// stored is one spooled message.
type stored struct {
	*spool.Message
	body []byte
}

// rcpts returns the recipients' addresses.
func (m stored) rcpts() []string {
	var out []string
	for _, r := range m.Recipients {
		out = append(out, r.Addr)
	}
	return out
}

// received returns the message's first header field, unfolded, which
// volleyd's Received field must be.
func (m stored) received() string {
	lines := strings.Split(string(m.body), "\r\n")
	field := lines[0]
	for _, l := range lines[1:] {
		if l == "" || (l[0] != ' ' && l[0] != '\t') {
			break
		}
		field += " " + strings.TrimSpace(l)
	}
	return field
}

// checkReceived checks that m's Received field names the client: its HELO
// name and its address literal, and this host.
func checkReceived(t *testing.T, m stored, helo, ip string) {
	t.Helper()
	got := m.received()
	for _, want := range []string{"Received: from " + helo + " ", "[" + ip + "]", "by test.example"} {
		if !strings.Contains(got, want) {
			t.Errorf("first header %q lacks %q", got, want)
		}
	}
	if want := "smtp " + ip; m.Origin != want {
		t.Errorf("origin %q, want %q", m.Origin, want)
	}
}

// readSpool stops d and returns every message in its spool, in arrival
// order. (Pebble locks the directory, so volleyd must be gone first.)
func readSpool(t *testing.T, d *daemon) []stored {
	t.Helper()
	d.stop(t)
	sp, err := spool.Open(d.spool, spool.Options{})
	if err != nil {
		t.Fatalf("open spool: %v", err)
	}
	defer sp.Close()
	var out []stored
	err = sp.Scan(func(m *spool.Message) error {
		body, err := sp.Body(m.ID)
		if err != nil {
			return fmt.Errorf("body of %s: %w", m.ID, err)
		}
		out = append(out, stored{m, body})
		return nil
	})
	if err != nil {
		t.Fatalf("scan spool: %v", err)
	}
	return out
}

// peerResult is how a peer run ended.
type peerResult struct {
	out  string
	code int // exit status; -1 if it did not exit by itself
}

// runPeer runs a client to completion within a minute.
func runPeer(t *testing.T, name string, args []string, stdin string) peerResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = t.TempDir()
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	p, err := startProcess(cmd)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		_ = p.stop(syscall.SIGKILL)
		t.Fatalf("%s did not finish within a minute:\n%s", name, p.logs)
	}
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(p.err, &ee):
		code = ee.ExitCode()
	case p.err != nil:
		t.Fatalf("%s: %v", name, p.err)
	}
	return peerResult{out: p.logs.String(), code: code}
}

// swaks runs swaks against server with a fixed sender and HELO name; extra
// adds options (recipients, AUTH, ...); data is the message.
func swaks(t *testing.T, server string, data string, extra ...string) peerResult {
	t.Helper()
	bin := testpeer.Need(t, "swaks", "swaks", "/usr/bin/swaks")
	args := append([]string{"--server", server, "--helo", "swaks.test", "--from", "sender@swaks.test",
		"--data", "-", "--timeout", "20"}, extra...)
	return runPeer(t, bin, args, data)
}

// pyScript runs testdata/NAME with Debian's Python and wants it to print "ok".
func pyScript(t *testing.T, name string, args ...string) {
	t.Helper()
	py := testpeer.Need(t, "python3", python)
	script, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r := runPeer(t, py, append([]string{script}, args...), "")
	if r.code != 0 || !strings.HasSuffix(r.out, "ok\n") {
		t.Fatalf("%s exited %d:\n%s", name, r.code, r.out)
	}
}

// hostPort splits a daemon address for the Python scripts.
func hostPort(addr string) (string, string) {
	h, p, _ := strings.Cut(addr, ":")
	return h, p
}
