//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// confTemplate is volleyd's config for the drain. Nothing leaves
// 127.0.0.1: every domain goes to the sink's address literal, DANE (TLSA
// lookups) is off, and name-server is a loopback port where nothing
// answers. The delivery limits are PowerMTA's defaults, written out: a
// PowerMTA user draining a backlog keeps them (20 connections per queue,
// unlimited messages per connection, 1,200 connections in all); the flags
// change them.
var confTemplate = template.Must(template.New("volley.conf").Parse(`# bench/coldstart: drain a prebuilt spool into a loopback sink.
smtp-listener 127.0.0.1:0

<spool {{.Spool}}>
</spool>

io-engine {{.Engine}}
shards    auto

name-server 127.0.0.1:{{.DNSPort}}

total-max-smtp-out {{.TotalMaxSMTPOut}}

<domain *>
    smtp-hosts             [127.0.0.1]:{{.SinkPort}}
    use-dane               no
    max-smtp-out           {{.MaxSMTPOut}}
    max-msg-per-connection {{.MaxMsgPerConn}}
</domain>
`))

// confValues fill confTemplate.
type confValues struct {
	Spool, Engine                              string
	DNSPort, SinkPort                          int
	MaxSMTPOut, TotalMaxSMTPOut, MaxMsgPerConn int
}

func writeConf(path string, v confValues) error {
	var b bytes.Buffer
	if err := confTemplate.Execute(&b, v); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// deadUDPPort returns a loopback UDP port that nothing listens on (it was
// free a moment ago), for name-server: a query there is refused at once.
func deadUDPPort() (int, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// daemon is a running volleyd and what its log said so far.
type daemon struct {
	cmd    *exec.Cmd
	start  time.Time // just before the process was started
	exited chan struct{}

	mu        sync.Mutex
	listen    listening
	listenAt  time.Duration // offsets from start
	queued    queued
	queuedAt  time.Duration
	rssAtIdx  int64
	indexed   chan struct{} // closed when the queued line (or a scan failure) arrived
	scanError string
	logErr    error
	emfile    int // lines reporting EMFILE
}

// startDaemon starts volleyd with conf (and the profile flags that are
// set) and follows its log; stderr lines are copied to logw.
func startDaemon(bin, conf, cpuprofile, memprofile string, logw io.Writer) (*daemon, error) {
	args := []string{"--config", conf}
	if cpuprofile != "" {
		args = append(args, "--cpuprofile", cpuprofile)
	}
	if memprofile != "" {
		args = append(args, "--memprofile", memprofile)
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	d := &daemon{cmd: cmd, exited: make(chan struct{}), indexed: make(chan struct{})}
	d.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		d.follow(stderr, logw)
	}()
	go func() {
		<-logDone // Wait closes the pipe: read it to the end first
		_ = cmd.Wait()
		close(d.exited)
	}()
	return d, nil
}

// follow reads volleyd's log, timing the lines the benchmark needs.
func (d *daemon) follow(r io.Reader, logw io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		at := time.Since(d.start)
		line := sc.Text()
		fmt.Fprintln(logw, line)
		if strings.Contains(line, "too many open files") {
			d.mu.Lock()
			d.emfile++
			d.mu.Unlock()
		}
		if l, ok := parseListening(line); ok {
			d.mu.Lock()
			d.listen, d.listenAt = l, at
			d.mu.Unlock()
			continue
		}
		if q, ok, err := parseQueued(line); ok {
			rss, _ := procStatusBytes(d.cmd.Process.Pid, "VmRSS")
			d.mu.Lock()
			d.queued, d.queuedAt, d.rssAtIdx, d.logErr = q, at, rss, err
			d.mu.Unlock()
			close(d.indexed)
			continue
		}
		if msg, ok := parseScanFailed(line); ok {
			d.mu.Lock()
			d.scanError = msg
			d.mu.Unlock()
			close(d.indexed)
		}
	}
}

// stop sends SIGTERM and waits up to timeout for the exit; then SIGKILL.
// It returns the CPU time volleyd used.
func (d *daemon) stop(timeout time.Duration) (cpu time.Duration, err error) {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(timeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		err = fmt.Errorf("volleyd did not exit within %v of SIGTERM; killed", timeout)
	}
	if ps := d.cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
		if err == nil && !ps.Success() {
			err = fmt.Errorf("volleyd exited with %v", ps)
		}
	}
	return cpu, err
}

// procStatusBytes returns a "NAME: N kB" field of /proc/PID/status (VmRSS,
// VmHWM) in bytes.
func procStatusBytes(pid int, name string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return statusField(b, name)
}

// statusField finds "NAME: N kB" in the text of a /proc status file.
func statusField(status []byte, name string) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte(name+":"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			break
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}
