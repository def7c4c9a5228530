//go:build linux

// Command coldstart measures volleyd starting on a large spool: it builds a
// spool of N messages directly through the spool package, starts a
// loopback SMTP sink and volleyd with that spool, and times, from the
// moment volleyd's process starts, the first message reaching the sink,
// the queue index being complete (the start scan's "queued from the
// spool" log line) and, within a bound, the whole spool delivered. It also
// reports volleyd's peak memory and the spool's size on disk.
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
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/volleymta/volley/bench/internal/benchout"
	"github.com/volleymta/volley/bench/internal/launch"
	"github.com/volleymta/volley/bench/internal/procstat"
)

// options are the command line.
type options struct {
	messages, domains, bodySize int
	engine, volleyd             string
	cpuprofile, memprofile      string
	timeout, stall              time.Duration
	waitDelivery, dropCaches    bool
	keep, json                  bool
	maxSMTPOut, totalMaxSMTPOut int
	maxMsgPerConn               int
}

func parseFlags(args []string, errw io.Writer) (options, error) {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	fs.SetOutput(errw)
	var o options
	fs.IntVar(&o.messages, "messages", 1000000, "messages in the spool (one recipient each)")
	fs.IntVar(&o.domains, "domains", 1000, "recipient domains the messages are spread over (one queue each)")
	fs.IntVar(&o.bodySize, "body", 2048, "approximate body size in bytes")
	fs.StringVar(&o.engine, "engine", "auto", "volleyd's io-engine: auto, io_uring or epoll")
	fs.StringVar(&o.volleyd, "volleyd", "", "prebuilt volleyd binary (default: go build ./cmd/volleyd into the temp dir)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "pass --cpuprofile FILE to volleyd (written when it exits)")
	fs.StringVar(&o.memprofile, "memprofile", "", "pass --memprofile FILE to volleyd (a heap profile at exit; with -wait-delivery=false, just after the index)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long after volleyd's start to wait for full delivery")
	fs.DurationVar(&o.stall, "stall", 2*time.Minute, "give up when no new message reaches the sink for this long")
	fs.BoolVar(&o.waitDelivery, "wait-delivery", true, "wait for every message to reach the sink (false: stop after the index and the first delivery)")
	fs.BoolVar(&o.dropCaches, "drop-caches", false, "drop the page cache (sync; echo 3 > /proc/sys/vm/drop_caches) before starting volleyd, so the scan reads from disk")
	fs.IntVar(&o.maxSMTPOut, "max-smtp-out", 20, "max-smtp-out of <domain *> (PowerMTA's default 20)")
	fs.IntVar(&o.totalMaxSMTPOut, "total-max-smtp-out", 1200, "total-max-smtp-out (PowerMTA's default 1200)")
	fs.IntVar(&o.maxMsgPerConn, "max-msg-per-connection", 0, "max-msg-per-connection of <domain *> (0: unlimited, PowerMTA's default)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (spool, config)")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.messages < 1 || o.domains < 1 || o.bodySize < 256:
		return o, errors.New("-messages and -domains must be positive, -body at least 256")
	case o.engine != "auto" && o.engine != "io_uring" && o.engine != "epoll":
		return o, fmt.Errorf("-engine %q: want auto, io_uring or epoll", o.engine)
	}
	return o, nil
}

// result is the JSON object on stdout. Times are seconds; the volleyd
// times count from just before its process started.
type result struct {
	Messages   int `json:"messages"`
	Recipients int `json:"recipients"`
	Domains    int `json:"domains"`
	// BodyBytes is the mean body size; StoredBodyBytes the mean after the
	// spool's compression.
	BodyBytes       int   `json:"body_bytes"`
	StoredBodyBytes int   `json:"stored_body_bytes"`
	SpoolBytes      int64 `json:"spool_bytes"`
	// SpoolFS is the file system type of the spool's directory.
	SpoolFS     string  `json:"spool_fs"`
	FillS       float64 `json:"fill_s"`
	FillRate    float64 `json:"fill_msgs_per_s"`
	FillSyncs   uint64  `json:"fill_syncs"`
	CachesDrop  bool    `json:"caches_dropped"`
	Engine      string  `json:"engine"`
	EngineAsked string  `json:"engine_requested"`
	Shards      int     `json:"shards"`
	// Config holds the delivery limits volleyd ran with.
	Config configSummary `json:"config"`

	StartupS             float64 `json:"startup_s"`
	TimeToFirstDeliveryS float64 `json:"time_to_first_delivery_s"`
	// TimeToFullIndexS is when the "queued from the spool" line appeared;
	// IndexLoggedS the duration that line states (from the scan's start).
	TimeToFullIndexS  float64 `json:"time_to_full_index_s"`
	IndexLoggedS      float64 `json:"index_logged_s"`
	IndexedMessages   int     `json:"indexed_messages"`
	IndexedRecipients int     `json:"indexed_recipients"`
	// FullDeliveryS is when the sink had every message; 0 with a note
	// when that was not waited for or did not happen in time.
	FullDeliveryS    float64 `json:"full_delivery_s"`
	FullDeliveryNote string  `json:"full_delivery_note"`
	Delivered        int64   `json:"delivered"`
	Duplicates       int64   `json:"duplicates"`
	// DeliveryRate is delivered messages per second between the first
	// and the latest arrival.
	DeliveryRate float64 `json:"delivery_msgs_per_s"`

	// SinkConns is how many connections volleyd opened to the sink,
	// SinkPeakConns the most open at once, SinkAcceptErrors the accepts
	// that failed (the sink out of descriptors).
	SinkConns        int   `json:"sink_connections"`
	SinkPeakConns    int   `json:"sink_peak_connections"`
	SinkAcceptErrors int64 `json:"sink_accept_errors"`

	// EMFILELines counts volleyd log lines saying "too many open files":
	// connections it could not open for want of descriptors.
	EMFILELines int `json:"volleyd_emfile_lines"`

	PeakRSS    int64   `json:"volleyd_peak_rss_bytes"`
	RSSAtIndex int64   `json:"volleyd_rss_at_index_bytes"`
	CPUS       float64 `json:"volleyd_cpu_s"`
	// StopS is how long volleyd took to exit after SIGTERM.
	StopS float64 `json:"volleyd_stop_s"`
	Error string  `json:"error"`
}

// configSummary is the part of volleyd's config a reader of the numbers
// needs.
type configSummary struct {
	MaxSMTPOut      int `json:"max_smtp_out"`
	TotalMaxSMTPOut int `json:"total_max_smtp_out"`
	MaxMsgPerConn   int `json:"max_msg_per_connection"`
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		benchout.ExitUsage("coldstart", err)
	}
	r := run(o, os.Stderr)
	os.Exit(benchout.Finish("coldstart", o.json, r, func(w io.Writer) { printSummary(w, &r) }, r.Error != ""))
}

// run does the whole benchmark; a failure ends up in r.Error with what was
// measured before it.
func run(o options, logw io.Writer) (r result) {
	r = result{Messages: o.messages, Recipients: o.messages, Domains: o.domains, EngineAsked: o.engine,
		Config: configSummary{MaxSMTPOut: o.maxSMTPOut, TotalMaxSMTPOut: o.totalMaxSMTPOut, MaxMsgPerConn: o.maxMsgPerConn}}
	logf := func(format string, a ...any) { fmt.Fprintf(logw, "coldstart: "+format+"\n", a...) }
	tmp, remove, err := launch.WorkDir("coldstart", o.keep, logf)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer remove()
	if err := drain(o, tmp, &r, logf, logw); err != nil {
		r.Error = err.Error()
	}
	return r
}

// drain prepares the spool and the daemon, then measures the drain.
func drain(o options, tmp string, r *result, logf func(string, ...any), logw io.Writer) error {
	spoolDir := filepath.Join(tmp, "spool")
	if err := checkDisk(tmp, o.messages, o.bodySize); err != nil {
		return err
	}
	r.SpoolFS = fsType(tmp)
	bin, err := launch.Binary(o.volleyd, tmp, logf)
	if err != nil {
		return err
	}
	logf("filling %s with %d messages (~%d bytes, %d domains)", spoolDir, o.messages, o.bodySize, o.domains)
	fr, err := fill(spoolDir, o.messages, o.domains, o.bodySize, func(done int, el time.Duration) {
		logf("fill: %d/%d messages in %.0fs (%.0f/s)", done, o.messages, el.Seconds(), float64(done)/el.Seconds())
	})
	r.FillS, r.FillSyncs = fr.dur.Seconds(), fr.syncs
	if err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	r.FillRate = float64(o.messages) / fr.dur.Seconds()
	r.BodyBytes = int(fr.bodyBytes / uint64(o.messages))
	r.StoredBodyBytes = int(fr.storedBytes / uint64(o.messages))
	if r.SpoolBytes, err = dirBytes(spoolDir); err != nil {
		return err
	}
	logf("fill: %d messages in %.1fs (%.0f/s, %d fsyncs), spool %s on disk", o.messages, r.FillS, r.FillRate,
		fr.syncs, humanBytes(uint64(r.SpoolBytes)))
	if o.dropCaches {
		if err := dropCaches(); err != nil {
			return err
		}
		r.CachesDrop = true
	}
	return measure(o, tmp, bin, spoolDir, r, logf, logw)
}

// measure runs the sink and volleyd and watches the drain.
func measure(o options, tmp, bin, spoolDir string, r *result, logf func(string, ...any), logw io.Writer) error {
	dnsPort, err := launch.FreeUDPPort()
	if err != nil {
		return err
	}
	sk, err := startSink(o.messages)
	if err != nil {
		return err
	}
	defer sk.close()
	conf := filepath.Join(tmp, "volley.conf")
	if err := launch.WriteConf(conf, confTemplate, confValues{Spool: spoolDir, Engine: o.engine, DNSPort: dnsPort, SinkPort: sk.port(),
		MaxSMTPOut: o.maxSMTPOut, TotalMaxSMTPOut: o.totalMaxSMTPOut, MaxMsgPerConn: o.maxMsgPerConn}); err != nil {
		return err
	}
	logf("starting volleyd (sink on 127.0.0.1:%d)", sk.port())
	d, err := startDaemon(bin, conf, o.cpuprofile, o.memprofile, logw)
	if err != nil {
		return err
	}
	werr := watch(o, d, sk, r, logf)
	r.PeakRSS, _ = procstat.StatusBytes(d.Pid(), "VmHWM")
	stopStart := time.Now()
	cpu, serr := d.Stop(time.Minute)
	r.StopS = time.Since(stopStart).Seconds()
	r.CPUS = cpu.Seconds()
	d.mu.Lock()
	r.Engine, r.Shards = d.listen.Engine, d.listen.Shards
	r.StartupS = d.listenAt.Seconds()
	r.TimeToFullIndexS, r.IndexLoggedS = d.queuedAt.Seconds(), d.queued.took.Seconds()
	r.IndexedMessages, r.IndexedRecipients, r.RSSAtIndex = d.queued.messages, d.queued.recipients, d.rssAtIdx
	r.EMFILELines = d.emfile
	d.mu.Unlock()
	r.Delivered, r.Duplicates = sk.unique.Load(), sk.duplicates.Load()
	r.SinkConns, r.SinkPeakConns = sk.connStats()
	r.SinkAcceptErrors = sk.acceptErrs.Load()
	if first, ok := sk.firstAt(); ok {
		r.TimeToFirstDeliveryS = first.Sub(d.start).Seconds()
		if span := sk.lastAt().Sub(first).Seconds(); span > 0 {
			r.DeliveryRate = float64(r.Delivered) / span
		}
	}
	return errors.Join(werr, serr)
}

// watch waits for the index, the first delivery and (if asked) the full
// delivery, printing progress every five seconds; it fills the delivery
// fields and returns why it stopped early, if it did.
func watch(o options, d *daemon, sk *sink, r *result, logf func(string, ...any)) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastReport := time.Now()
	lastCount, lastProgress := int64(0), time.Now()
	indexed := false
	for {
		select {
		case <-d.Exited:
			return fmt.Errorf("volleyd exited early: %v", d.Cmd.ProcessState)
		case <-d.indexed:
			if !indexed {
				indexed = true
				d.mu.Lock()
				scanErr, logErr := d.scanError, d.logErr
				d.mu.Unlock()
				if scanErr != "" {
					return fmt.Errorf("volleyd's start scan failed: %s", scanErr)
				}
				if logErr != nil {
					return logErr
				}
			}
		case <-tick.C:
		}
		n := sk.unique.Load()
		if n != lastCount {
			lastCount, lastProgress = n, time.Now()
		}
		elapsed := time.Since(d.start)
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			rss, _ := procstat.StatusBytes(d.Pid(), "VmRSS")
			logf("%.0fs: %d/%d delivered, index %s, volleyd RSS %s", elapsed.Seconds(), n, o.messages,
				map[bool]string{true: "complete", false: "building"}[indexed], humanBytes(uint64(rss)))
		}
		_, started := sk.firstAt()
		switch {
		case n >= int64(o.messages) && indexed:
			r.FullDeliveryS = sk.lastAt().Sub(d.start).Seconds()
			return nil
		case !o.waitDelivery && indexed && started:
			r.FullDeliveryNote = "not waited for (-wait-delivery=false)"
			return nil
		case elapsed >= o.timeout:
			r.FullDeliveryNote = fmt.Sprintf("timed out after %v with %d of %d delivered", o.timeout, n, o.messages)
			return nil
		case time.Since(lastProgress) >= o.stall:
			r.FullDeliveryNote = fmt.Sprintf("stalled: no new message at the sink for %v, %d of %d delivered", o.stall, n, o.messages)
			return nil
		}
	}
}

// dropCaches writes dirty pages out and drops the page cache, so that
// volleyd's scan reads the spool from the disk.
func dropCaches() error {
	if err := exec.Command("sync").Run(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0); err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	return nil
}

// fsType returns the type of the file system that holds dir, from
// /proc/self/mounts (the longest mount point that is a prefix of dir).
func fsType(dir string) string {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return ""
	}
	abs, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	best, typ := -1, ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > best {
			best, typ = len(mp), f[2]
		}
	}
	return typ
}

// printSummary writes the human-readable result.
func printSummary(w io.Writer, r *result) {
	fmt.Fprintf(w, "cold start: %d messages (%d domains, ~%d-byte bodies stored as ~%d), spool %s on %s\n",
		r.Messages, r.Domains, r.BodyBytes, r.StoredBodyBytes, humanBytes(uint64(r.SpoolBytes)), r.SpoolFS)
	fmt.Fprintf(w, "  fill                    %.1f s (%.0f msgs/s, %d fsyncs)\n", r.FillS, r.FillRate, r.FillSyncs)
	fmt.Fprintf(w, "  volleyd                 %s, %d shards; max-smtp-out %d, total-max-smtp-out %d\n",
		r.Engine, r.Shards, r.Config.MaxSMTPOut, r.Config.TotalMaxSMTPOut)
	fmt.Fprintf(w, "  listening after         %.3f s\n", r.StartupS)
	fmt.Fprintf(w, "  first delivery after    %.3f s\n", r.TimeToFirstDeliveryS)
	fmt.Fprintf(w, "  full queue index after  %.3f s (logged scan time %.3f s, %d messages)\n",
		r.TimeToFullIndexS, r.IndexLoggedS, r.IndexedMessages)
	if r.FullDeliveryS > 0 {
		fmt.Fprintf(w, "  full delivery after     %.1f s (%.0f msgs/s, %d duplicates)\n", r.FullDeliveryS, r.DeliveryRate, r.Duplicates)
	} else {
		fmt.Fprintf(w, "  full delivery           %s (%.0f msgs/s)\n", r.FullDeliveryNote, r.DeliveryRate)
	}
	fmt.Fprintf(w, "  connections to the sink %d, at most %d at once (%d failed accepts; volleyd logged EMFILE %d times)\n",
		r.SinkConns, r.SinkPeakConns, r.SinkAcceptErrors, r.EMFILELines)
	fmt.Fprintf(w, "  volleyd memory          peak %s, %s at full index; CPU %.1f s; exit %.1f s after SIGTERM\n",
		humanBytes(uint64(r.PeakRSS)), humanBytes(uint64(r.RSSAtIndex)), r.CPUS, r.StopS)
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Error)
	}
}
