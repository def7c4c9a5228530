//go:build linux

package main

import (
	"io"
	"os/exec"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/volleymta/volley/bench/internal/launch"
	"github.com/volleymta/volley/bench/internal/procstat"
)

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

// daemon is a running volleyd and what its log said so far.
type daemon struct {
	*launch.Proc
	start time.Time // just before the process was started

	mu        sync.Mutex
	listen    launch.Listening
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
	d := &daemon{indexed: make(chan struct{})}
	d.start = time.Now()
	p, err := launch.Start(cmd, logw, func(line string) { d.follow(cmd, line) })
	if err != nil {
		return nil, err
	}
	d.Proc = p
	return d, nil
}

// follow reads one line of volleyd's log, timing the lines the benchmark
// needs. It takes cmd rather than d.Proc, which is set only after the log
// has started.
func (d *daemon) follow(cmd *exec.Cmd, line string) {
	at := time.Since(d.start)
	if strings.Contains(line, "too many open files") {
		d.mu.Lock()
		d.emfile++
		d.mu.Unlock()
	}
	if l, ok := launch.ParseListening(line); ok {
		d.mu.Lock()
		d.listen, d.listenAt = l, at
		d.mu.Unlock()
		return
	}
	if q, ok, err := parseQueued(line); ok {
		rss, _ := procstat.StatusBytes(cmd.Process.Pid, "VmRSS")
		d.mu.Lock()
		d.queued, d.queuedAt, d.rssAtIdx, d.logErr = q, at, rss, err
		d.mu.Unlock()
		close(d.indexed)
		return
	}
	if msg, ok := parseScanFailed(line); ok {
		d.mu.Lock()
		d.scanError = msg
		d.mu.Unlock()
		close(d.indexed)
	}
}
