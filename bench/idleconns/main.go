//go:build linux

// Command idleconns measures what idle inbound SMTP connections cost
// volleyd: it starts volleyd on 127.0.0.1, opens as many of the requested
// connections as volleyd can hold, each greeted (and, by default, past
// EHLO) and then left idle, and reports volleyd's resident memory before
// and after, per connection. The clients run in child processes (this
// binary re-executed), spread over source addresses 127.0.0.2 and up.
//
// A process holds at most RLIMIT_NOFILE descriptors, volleyd included; the
// benchmark tries to raise that limit, sizes the load to what volleyd can
// hold, and says in limit_reason what stopped it short of the request.
//
// Progress goes to stderr; the result to stdout, as one JSON object with
// -json (the benchmark report reads it) or as a short summary.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/volleymta/volley/bench/internal/benchout"
	"github.com/volleymta/volley/bench/internal/launch"
	"github.com/volleymta/volley/bench/internal/procstat"
)

// options are the command line.
type options struct {
	conns, perChild, perSource, concurrency, prewarm int
	engine, volleyd                                  string
	ehlo, noCap, keep, json                          bool
	settle, connectTimeout                           time.Duration
}

func parseFlags(args []string, errw io.Writer) (options, error) {
	fs := flag.NewFlagSet("idleconns", flag.ContinueOnError)
	fs.SetOutput(errw)
	var o options
	fs.IntVar(&o.conns, "conns", 100000, "idle connections requested")
	fs.StringVar(&o.engine, "engine", "auto", "volleyd's io-engine: auto, io_uring or epoll")
	fs.StringVar(&o.volleyd, "volleyd", "", "prebuilt volleyd binary (default: go build ./cmd/volleyd into the temp dir)")
	fs.IntVar(&o.perChild, "per-child", 15000, "connections per client process (each is bound by its own RLIMIT_NOFILE)")
	fs.IntVar(&o.perSource, "per-source", 10000, "connections per source address (127.0.0.2, 127.0.0.3, ...)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "connections each client process sets up at once")
	fs.BoolVar(&o.ehlo, "ehlo", true, "send EHLO after the banner before going idle")
	fs.IntVar(&o.prewarm, "prewarm", 200, "connections opened and closed before the baseline, so lazily made structures count in it")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait after the last connection before reading volleyd's memory")
	fs.DurationVar(&o.connectTimeout, "connect-timeout", 3*time.Minute, "bound on opening the connections")
	fs.BoolVar(&o.noCap, "no-cap", false, "attempt every requested connection even past volleyd's descriptor limit")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (config, spool)")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.conns < 1 || o.perChild < 1 || o.perSource < 1 || o.concurrency < 1 || o.prewarm < 0:
		return o, errors.New("-conns, -per-child, -per-source and -concurrency must be positive")
	case o.engine != "auto" && o.engine != "io_uring" && o.engine != "epoll":
		return o, fmt.Errorf("-engine %q: want auto, io_uring or epoll", o.engine)
	}
	if _, ok := sourceFor(o.conns-1, o.perSource); !ok {
		return o, fmt.Errorf("-conns %d at -per-source %d needs more addresses than 127.0.0.0/8 has", o.conns, o.perSource)
	}
	return o, nil
}

// result is the JSON object on stdout.
type result struct {
	Requested int `json:"requested"`
	// Attempted is the connections opened: the request, or fewer when
	// volleyd's descriptor limit cannot hold it.
	Attempted int `json:"attempted"`
	Held      int `json:"held"`
	Failed    int `json:"failed"`
	// LimitReason says why held < requested; "" when all were held.
	LimitReason string `json:"limit_reason"`

	RSSBase    int64 `json:"rss_base_bytes"`
	RSSHeld    int64 `json:"rss_held_bytes"`
	RSSPerConn int64 `json:"rss_per_conn_bytes"`
	// KernelTCPMem is the change in the host's TCP buffer memory
	// (sockstat), both ends of every loopback connection together.
	KernelTCPMem int64 `json:"kernel_tcp_mem_delta_bytes"`

	// ReleaseS is how long volleyd took to close its side after every
	// client hung up at once, ReleaseCPUS the CPU it spent on that.
	ReleaseS    float64 `json:"release_s"`
	ReleaseCPUS float64 `json:"release_cpu_s"`
	ReleaseNote string  `json:"release_note,omitempty"`

	SetupS   float64 `json:"setup_s"`
	ConnRate float64 `json:"conns_per_s"`
	EHLO     bool    `json:"ehlo"`
	Children int     `json:"client_processes"`
	Sources  int     `json:"source_addresses"`

	VolleydNofileSoft uint64        `json:"volleyd_nofile_soft"`
	VolleydNofileHard uint64        `json:"volleyd_nofile_hard"`
	VolleydFDsBase    int           `json:"volleyd_fds_base"`
	VolleydFDsHeld    int           `json:"volleyd_fds_held"`
	VolleydCPUS       float64       `json:"volleyd_cpu_s"`
	Limits            *limitsReport `json:"limits"`

	Engine      string `json:"engine"`
	EngineAsked string `json:"engine_requested"`
	Shards      int    `json:"shards"`
	Error       string `json:"error"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == childFlag {
		os.Exit(childMain(os.Args[2:]))
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		benchout.ExitUsage("idleconns", err)
	}
	r := run(o, os.Stderr)
	os.Exit(benchout.Finish("idleconns", o.json, r, func(w io.Writer) { printSummary(w, &r) }, r.Error != ""))
}

// run does the whole benchmark; a failure ends up in r.Error with what was
// measured before it.
func run(o options, logw io.Writer) (r result) {
	r = result{Requested: o.conns, EngineAsked: o.engine, EHLO: o.ehlo}
	logf := func(format string, a ...any) { fmt.Fprintf(logw, "idleconns: "+format+"\n", a...) }
	r.Limits = raiseLimits(o.conns)
	defer func() {
		if err := r.Limits.restore(); err != nil {
			r.Error = strings.TrimPrefix(r.Error+"; ", "; ") + "restoring fs.nr_open: " + err.Error()
		}
	}()
	if r.Limits.RaiseError != "" {
		logf("%s", r.Limits.RaiseError)
	}
	tmp, remove, err := launch.WorkDir("idleconns", o.keep, logf)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer remove()
	if err := hold(o, tmp, &r, logf, logw); err != nil {
		r.Error = err.Error()
	}
	return r
}

// hold starts volleyd, takes the baseline, opens the connections and
// measures.
func hold(o options, tmp string, r *result, logf func(string, ...any), logw io.Writer) error {
	bin, err := launch.Binary(o.volleyd, tmp, logf)
	if err != nil {
		return err
	}
	dnsPort, err := launch.FreeUDPPort()
	if err != nil {
		return err
	}
	conf := filepath.Join(tmp, "volley.conf")
	// The idle timeout outlasts everything the run may take.
	idle := (o.connectTimeout + o.settle + 10*time.Minute).Round(time.Minute)
	if err := launch.WriteConf(conf, confTemplate, confValues{Spool: filepath.Join(tmp, "spool"), Engine: o.engine, DNSPort: dnsPort,
		MaxIn: o.conns + o.prewarm + 1000, IdleTimeout: fmt.Sprintf("%dm", int(idle.Minutes()))}); err != nil {
		return err
	}
	d, l, err := startDaemon(bin, conf, logw, 30*time.Second)
	if err != nil {
		return err
	}
	r.Engine, r.Shards = l.Engine, l.Shards
	var cerr error
	defer func() {
		cpu, err := d.Stop(time.Minute)
		r.VolleydCPUS = cpu.Seconds()
		if err != nil && cerr == nil {
			logf("%v", err)
		}
	}()
	cerr = measure(o, d, l, r, logf)
	return cerr
}

// measure takes volleyd's baseline, sizes the load to its descriptor
// limit, opens the connections from child processes, and reads volleyd's
// memory once they have settled.
func measure(o options, d *launch.Proc, l launch.Listening, r *result, logf func(string, ...any)) error {
	pid := d.Pid()
	if o.prewarm > 0 {
		h := &holder{o: childOptions{addr: l.Addr, count: o.prewarm, perSource: o.perSource, concurrency: 16, ehlo: o.ehlo,
			dialTimeout: 10 * time.Second, deadline: time.Minute, maxFailures: 10, progressEvery: time.Hour}, report: io.Discard}
		h.open()
		h.closeAll()
		if f := h.failed.Load(); f > 0 {
			return fmt.Errorf("prewarm: %d of %d connections failed: %s", f, o.prewarm, h.firstErr())
		}
	}
	time.Sleep(2 * time.Second)
	var err error
	if r.RSSBase, err = procstat.StatusBytes(pid, "VmRSS"); err != nil {
		return err
	}
	if r.VolleydFDsBase, err = openFDs(pid); err != nil {
		return err
	}
	if r.VolleydNofileSoft, r.VolleydNofileHard, err = nofileOf(pid); err != nil {
		return err
	}
	tcpBase := tcpMemBytes()
	capacity := int(min(r.VolleydNofileSoft, 1<<40)) - r.VolleydFDsBase - fdMargin
	r.Attempted = o.conns
	var reasons []string
	if capacity < o.conns {
		reasons = append(reasons, capReason(r, capacity))
		if !o.noCap {
			r.Attempted = max(capacity, 0)
		}
	}
	logf("volleyd (pid %d, %s): RSS %d KiB, %d descriptors open, RLIMIT_NOFILE %d/%d; opening %d of %d connections",
		pid, l.Engine, r.RSSBase>>10, r.VolleydFDsBase, r.VolleydNofileSoft, r.VolleydNofileHard, r.Attempted, o.conns)
	start := time.Now()
	children, err := openAll(o, l, r.Attempted, logf)
	released := false
	defer func() {
		if !released {
			for _, ch := range children {
				ch.release()
			}
		}
		for _, ch := range children {
			ch.wait(10 * time.Second)
		}
	}()
	setup := time.Since(start)
	r.SetupS = setup.Seconds()
	r.Children = len(children)
	r.Sources = 0
	if r.Attempted > 0 {
		r.Sources = (r.Attempted-1)/o.perSource + 1
	}
	var firstErr string
	for _, ch := range children {
		r.Held += int(ch.held.Load())
		r.Failed += int(ch.failed.Load())
		if firstErr == "" {
			firstErr = ch.err
		}
	}
	r.ConnRate = float64(r.Held) / setup.Seconds()
	if err != nil {
		return err
	}
	if r.Held < r.Attempted {
		reasons = append(reasons, fmt.Sprintf("%d of %d connections not held (%d failed; first error: %s)",
			r.Attempted-r.Held, r.Attempted, r.Failed, firstErr))
	}
	r.LimitReason = strings.Join(reasons, "; ")
	logf("%d connections held after %.1fs; settling for %v", r.Held, r.SetupS, o.settle)
	time.Sleep(o.settle)
	if r.RSSHeld, err = procstat.StatusBytes(pid, "VmRSS"); err != nil {
		return err
	}
	r.VolleydFDsHeld, _ = openFDs(pid)
	r.KernelTCPMem = tcpMemBytes() - tcpBase
	if r.Held > 0 {
		r.RSSPerConn = (r.RSSHeld - r.RSSBase) / int64(r.Held)
	}
	released = true
	return measureRelease(pid, children, r, logf)
}

// releaseTimeout bounds the wait for volleyd to close the sessions of
// clients that hung up.
const releaseTimeout = 2 * time.Minute

// measureRelease has every client hang up at once and times volleyd
// closing its side: its descriptors back to the idle count, and the CPU
// that took. Hung-up idle clients are the common way such connections end.
func measureRelease(pid int, children []*child, r *result, logf func(string, ...any)) error {
	cpu0, err := procstat.CPUTime(pid)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, ch := range children {
		ch.release()
	}
	for {
		n, err := openFDs(pid)
		if err != nil {
			return err
		}
		if n <= r.VolleydFDsBase+fdMargin/8 {
			break
		}
		if time.Since(start) > releaseTimeout {
			r.ReleaseNote = fmt.Sprintf("volleyd still had %d descriptors open %v after the clients hung up", n, releaseTimeout)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.ReleaseS = time.Since(start).Seconds()
	cpu1, err := procstat.CPUTime(pid)
	if err != nil {
		return err
	}
	r.ReleaseCPUS = (cpu1 - cpu0).Seconds()
	logf("volleyd closed the sessions of %d hung-up clients in %.1fs (CPU %.1fs)", r.Held, r.ReleaseS, r.ReleaseCPUS)
	return nil
}

// capReason explains a load cut to volleyd's descriptor limit.
func capReason(r *result, capacity int) string {
	raise := ""
	if r.Limits != nil && r.Limits.RaiseError != "" {
		raise = " (raising it to " + fmt.Sprint(r.Limits.NofileWanted) + " failed: " + r.Limits.RaiseError + ")"
	}
	return fmt.Sprintf("RLIMIT_NOFILE hard limit %d for volleyd%s: %d descriptors in use at idle and a margin of %d leave room for %d connections",
		r.VolleydNofileHard, raise, r.VolleydFDsBase, fdMargin, max(capacity, 0))
}

// openAll starts the client processes for n connections and waits until
// each has reported DONE (or the time is up), printing progress.
func openAll(o options, l launch.Listening, n int, logf func(string, ...any)) ([]*child, error) {
	var children []*child
	for first := 0; first < n; first += o.perChild {
		ch, err := startChild(l.Addr, first, min(o.perChild, n-first), o)
		if err != nil {
			return children, fmt.Errorf("starting a client process: %w", err)
		}
		children = append(children, ch)
	}
	deadline := time.After(o.connectTimeout + 30*time.Second)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for _, ch := range children {
	wait:
		for {
			select {
			case <-ch.done:
				break wait
			case <-tick.C:
				held, failed := 0, 0
				for _, c := range children {
					held += int(c.held.Load())
					failed += int(c.failed.Load())
				}
				logf("%d held, %d failed", held, failed)
			case <-deadline:
				return children, fmt.Errorf("client processes did not finish within %v", o.connectTimeout+30*time.Second)
			}
		}
	}
	return children, nil
}

// printSummary writes the human-readable result.
func printSummary(w io.Writer, r *result) {
	fmt.Fprintf(w, "idle connections: %d requested, %d attempted, %d held (%s, %d shards; EHLO %v)\n",
		r.Requested, r.Attempted, r.Held, r.Engine, r.Shards, r.EHLO)
	if r.LimitReason != "" {
		fmt.Fprintf(w, "  limited by      %s\n", r.LimitReason)
	}
	fmt.Fprintf(w, "  volleyd RSS     %.1f MiB idle, %.1f MiB holding them: %d bytes per connection\n",
		float64(r.RSSBase)/(1<<20), float64(r.RSSHeld)/(1<<20), r.RSSPerConn)
	fmt.Fprintf(w, "  kernel TCP mem  %+.1f MiB (both ends)\n", float64(r.KernelTCPMem)/(1<<20))
	fmt.Fprintf(w, "  setup           %.1f s (%.0f conns/s) from %d processes over %d source addresses\n",
		r.SetupS, r.ConnRate, r.Children, r.Sources)
	fmt.Fprintf(w, "  release         %.1f s (CPU %.1f s) to close the sessions after every client hung up %s\n",
		r.ReleaseS, r.ReleaseCPUS, r.ReleaseNote)
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Error)
	}
}
