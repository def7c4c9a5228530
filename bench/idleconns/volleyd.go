//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// buildVolleyd builds cmd/volleyd into dir. -checklinkname=0 because
// giouring reaches syscall.mmap through go:linkname, which the linker
// refuses by default.
func buildVolleyd(dir string) (string, error) {
	out := filepath.Join(dir, "volleyd")
	cmd := exec.Command("go", "build", "-ldflags=-checklinkname=0", "-o", out, "github.com/volleymta/volley/cmd/volleyd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/volleyd: %w", err)
	}
	return out, nil
}

// confTemplate is volleyd's config for holding idle clients. It listens on
// 127.0.0.1 only; every loopback client may connect, with no cap per
// client IP and a total cap above the load (total-max-smtp-in defaults to
// 100); the command timeout outlasts the run so volleyd never closes an
// idle session itself. Nothing is injected, so nothing is delivered; the
// domain block keeps any lookup on loopback all the same.
var confTemplate = template.Must(template.New("volley.conf").Parse(`# bench/idleconns: hold many idle SMTP clients.
smtp-listener 127.0.0.1:0

<spool {{.Spool}}>
</spool>

io-engine {{.Engine}}
shards    auto

name-server 127.0.0.1:{{.DNSPort}}

total-max-smtp-in {{.MaxIn}}

<source 127.0.0.0/8>
    smtp-service         yes
    max-smtp-in          {{.MaxIn}}
    smtp-command-timeout {{.IdleTimeout}}
</source>

<domain *>
    smtp-hosts [127.0.0.1]:{{.DNSPort}}
    use-dane   no
</domain>
`))

// confValues fill confTemplate.
type confValues struct {
	Spool, Engine, IdleTimeout string
	DNSPort, MaxIn             int
}

func writeConf(path string, v confValues) error {
	var b bytes.Buffer
	if err := confTemplate.Execute(&b, v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// deadUDPPort returns a loopback UDP port that nothing listens on (it was
// free a moment ago): a DNS query there is refused at once.
func deadUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// listening is volleyd's start-up line: "volleyd: N shards on ENGINE,
// listening on [ADDR ...], spool DIR".
type listening struct {
	shards int
	engine string
	addr   netip.AddrPort
}

func parseListening(line string) (listening, bool) {
	_, rest, ok := strings.Cut(line, "volleyd: ")
	if !ok {
		return listening{}, false
	}
	n, rest, ok := strings.Cut(rest, " shards on ")
	if !ok {
		return listening{}, false
	}
	shards, err := strconv.Atoi(n)
	if err != nil {
		return listening{}, false
	}
	engine, rest, ok := strings.Cut(rest, ", listening on [")
	if !ok {
		return listening{}, false
	}
	addrs, _, ok := strings.Cut(rest, "]")
	if !ok {
		return listening{}, false
	}
	first, _, _ := strings.Cut(addrs, " ")
	ap, err := netip.ParseAddrPort(first)
	if err != nil {
		return listening{}, false
	}
	return listening{shards: shards, engine: engine, addr: ap}, true
}

// daemon is a running volleyd.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startDaemon starts volleyd with conf, copies its log to logw and waits
// (at most timeout) for its listening line.
func startDaemon(bin, conf string, logw io.Writer, timeout time.Duration) (*daemon, listening, error) {
	cmd := exec.Command(bin, "--config", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, listening{}, err
	}
	if err := cmd.Start(); err != nil {
		return nil, listening{}, err
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{})}
	found := make(chan listening, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(logw, sc.Text())
			if l, ok := parseListening(sc.Text()); ok {
				select {
				case found <- l:
				default:
				}
			}
		}
	}()
	go func() {
		<-logDone // Wait closes the pipe: read it to the end first
		_ = cmd.Wait()
		close(d.exited)
	}()
	select {
	case l := <-found:
		return d, l, nil
	case <-d.exited:
		return nil, listening{}, fmt.Errorf("volleyd exited at start: %v", cmd.ProcessState)
	case <-time.After(timeout):
		_, _ = d.stop(5 * time.Second)
		return nil, listening{}, fmt.Errorf("volleyd: no listening line within %v", timeout)
	}
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// stop sends SIGTERM and waits up to timeout for the exit; then SIGKILL.
// It returns the CPU time volleyd used.
func (d *daemon) stop(timeout time.Duration) (time.Duration, error) {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-d.exited:
	case <-time.After(timeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		err = fmt.Errorf("volleyd did not exit within %v of SIGTERM; killed", timeout)
	}
	ps := d.cmd.ProcessState
	if ps == nil {
		return 0, errors.Join(err, errors.New("volleyd: no exit status"))
	}
	if err == nil && !ps.Success() {
		err = fmt.Errorf("volleyd exited with %v", ps)
	}
	return ps.UserTime() + ps.SystemTime(), err
}
