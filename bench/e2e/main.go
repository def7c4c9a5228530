// Command e2e is Volley's end-to-end benchmark suite (`make bench`): volleyd
// on io_uring and on epoll, a private Postfix instance and Haraka (from npm,
// when it installs) relay the same load to the same sink in the same run,
// next to the wire (the load straight into the sink), for each message size
// and number of inbound connections. Then it runs the cold-start and
// idle-connection benchmarks (bench/coldstart, bench/idleconns) and writes
// the report, Markdown plus SVG charts, to bench/out/.
//
// It needs root (Postfix's master) and Debian's postfix package; node and npm
// for Haraka. Everything listens on 127.0.0.1 only. Exit status: 0 when the
// report was written and every message of every cell arrived; 1 when a cell
// lost messages or failed (the report says which); 2 when the matrix could
// not run at all.
//
//	go run ./bench/e2e [-sizes 2048,20480,204800] [-conns 10,100,1000]
//	    [-servers wire,volleyd-uring,volleyd-epoll,postfix,haraka]
//	    [-skip coldstart,idleconns] [-scale 1] [-out bench/out]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	sizes        []int
	conns        []int
	servers      []string
	skip         map[string]bool
	scale        float64
	slowFrac     float64
	out          string
	tmp          string
	harakaDir    string
	keep         bool
	render       string
	timeout      time.Duration
	extraTimeout time.Duration
}

func main() {
	os.Exit(run())
}

func run() int {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	if err := toRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	if o.render != "" {
		return renderOnly(o.render, o.out)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return suite(ctx, o)
}

// renderOnly rewrites the report and charts from a results.json, for work on
// the report itself without another hour of measurements.
func renderOnly(file, out string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s: %v\n", file, err)
		return 2
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	if err := rep.write(out); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	return 0
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("e2e", flag.ContinueOnError)
	sizes := fs.String("sizes", "2048,20480,204800", "message sizes in bytes, comma-separated")
	conns := fs.String("conns", "10,100,1000", "inbound connections per cell, comma-separated")
	servers := fs.String("servers", strings.Join(serverNames, ","), "servers to run, comma-separated")
	skip := fs.String("skip", "", "stand-alone benchmarks to leave out: coldstart,idleconns")
	scale := fs.Float64("scale", 1, "multiplies the messages per cell (20,000 at 2 KB, 10,000 at 20 KB, 2,000 at 200 KB)")
	slow := fs.Float64("slow-fraction", 0.25, "fraction of the messages Postfix and Haraka get per cell")
	out := fs.String("out", filepath.Join("bench", "out"), "report directory")
	tmp := fs.String("tmp", os.TempDir(), "where spools and queues go (a disk, not tmpfs, for a fair fsync)")
	harakaDir := fs.String("haraka-dir", "", "an existing `npm install Haraka` directory to use instead of installing afresh")
	keep := fs.Bool("keep", false, "keep the temporary directory (configs, logs)")
	render := fs.String("render", "", "only render the report again from this results.json (into -out)")
	timeout := fs.Duration("timeout", 5*time.Minute, "longest a cell's load may take")
	extraTimeout := fs.Duration("extra-timeout", 15*time.Minute, "longest each stand-alone benchmark may take")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{scale: *scale, slowFrac: *slow, out: *out, tmp: *tmp, harakaDir: *harakaDir, keep: *keep, render: *render,
		timeout: *timeout, extraTimeout: *extraTimeout, skip: map[string]bool{}}
	var err error
	if o.sizes, err = intList(*sizes); err != nil {
		return o, fmt.Errorf("-sizes: %v", err)
	}
	if o.conns, err = intList(*conns); err != nil {
		return o, fmt.Errorf("-conns: %v", err)
	}
	for _, s := range strings.Split(*servers, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(serverNames, s) {
			return o, fmt.Errorf("-servers: unknown %q (known: %s)", s, strings.Join(serverNames, ", "))
		}
		if !slices.Contains(o.servers, s) {
			o.servers = append(o.servers, s)
		}
	}
	// Keep the canonical order, so every cell runs the servers alike.
	slices.SortFunc(o.servers, func(a, b string) int {
		return slices.Index(serverNames, a) - slices.Index(serverNames, b)
	})
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(extraNames, s) {
			return o, fmt.Errorf("-skip: unknown %q (known: %s)", s, strings.Join(extraNames, ", "))
		}
		o.skip[s] = true
	}
	if o.scale <= 0 || o.slowFrac <= 0 || o.slowFrac > 1 {
		return o, fmt.Errorf("-scale must be > 0 and -slow-fraction in (0, 1]")
	}
	return o, nil
}

func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// toRepoRoot changes to the module's root, where ./cmd/volleyd and
// ./bench/... are, so the suite runs from any directory of the checkout.
func toRepoRoot() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "cmd", "volleyd")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return os.Chdir(d)
			}
		}
		if d == filepath.Dir(d) {
			return fmt.Errorf("run from inside the Volley checkout (no cmd/volleyd above %s)", dir)
		}
	}
}

// messages returns a cell's message count: a few seconds for volleyd.
func (o *options) messages(server string, size int) int {
	n := 2000
	switch {
	case size <= 4<<10:
		n = 20000
	case size <= 64<<10:
		n = 10000
	}
	f := o.scale
	if server == "postfix" || server == "haraka" {
		f *= o.slowFrac
	}
	return max(100, int(float64(n)*f))
}

// suite runs everything and writes the report.
func suite(ctx context.Context, o options) int {
	start := time.Now()
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, "==> "+format+"\n", a...) }
	if lim, err := raiseNofile(); err != nil || lim < uint64(2*slices.Max(o.conns)+1000) {
		logf("RLIMIT_NOFILE is %d (%v): the largest cells may fail", lim, err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	tmp, err := os.MkdirTemp(o.tmp, "volley-bench-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	if o.keep {
		defer logf("kept %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	rep := &report{Env: collectEnv(tmp), Skipped: map[string]string{}}
	rep.Env.Nofile, _ = raiseNofile()
	rep.Options = reportOptions{Sizes: o.sizes, Conns: o.conns, Servers: o.servers, Messages: map[string]int{},
		Command: strings.TrimSpace("go run ./bench/e2e " + strings.Join(os.Args[1:], " "))}
	if fs := rep.Env.Filesystem; fs == "tmpfs" {
		logf("warning: %s is on tmpfs, where fsync costs nothing; use -tmp DIR on a disk", tmp)
	}

	servers, code := prepareServers(ctx, o, tmp, rep, logf)
	if code != 0 {
		return code
	}
	sk, err := startSink()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: sink:", err)
		return 2
	}
	defer sk.close()

	logDir := filepath.Join(o.out, "logs")
	os.RemoveAll(logDir)
	failed := false
	cellID := uint32(0)
	for _, size := range o.sizes {
		for _, conns := range o.conns {
			for _, name := range o.servers {
				if ctx.Err() != nil {
					fmt.Fprintln(os.Stderr, "e2e: interrupted")
					return 2
				}
				msgs := o.messages(name, size)
				rep.Options.Messages[fmt.Sprintf("%s %s", serverLabel(name), sizeLabel(size))] = msgs
				if why, skipped := rep.Skipped[name]; skipped {
					rep.Cells = append(rep.Cells, cellResult{Server: name, Size: size, Conns: conns, Messages: msgs, Skipped: why})
					continue
				}
				cellID++
				dir := filepath.Join(tmp, fmt.Sprintf("cell%02d-%s", cellID, name))
				res := runCell(ctx, cellRun{name: name, srv: servers[name], size: size, conns: conns,
					msgs: msgs, cell: cellID, dir: dir, sink: sk, timeout: o.timeout})
				logf("%-6s x %4d conns  %-14s %s", sizeLabel(size), conns, name, progressLine(&res))
				if res.failed() {
					failed = true
					fmt.Fprintf(os.Stderr, "\n!!! FAILED: %s, %s x %d connections: %s\n\n", name, sizeLabel(size), conns, strings.Join(res.Errors, "; "))
					if srv := servers[name]; srv != nil {
						for _, f := range keepLogs(srv.logs(), logDir, fmt.Sprintf("cell%02d-%s", cellID, name)) {
							fmt.Fprintf(os.Stderr, "    log kept: %s\n", f)
						}
					}
				}
				rep.Cells = append(rep.Cells, res)
				if !o.keep {
					os.RemoveAll(dir)
				}
			}
		}
	}
	sk.close()

	for _, name := range extraNames {
		if o.skip[name] {
			continue
		}
		logf("running bench/%s", name)
		os.MkdirAll(logDir, 0o755)
		e := runExtra(ctx, name, o.extraTimeout, logDir)
		if e.Error != "" {
			logf("bench/%s: %s", name, e.Error)
		}
		rep.Extras = append(rep.Extras, e)
	}

	rep.Env.Minutes = time.Since(start).Minutes()
	if err := writeOutputs(rep, o.out); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	logf("report written to %s (%.1f minutes)", filepath.Join(o.out, "report.md"), rep.Env.Minutes)
	if failed {
		return 1
	}
	return 0
}

// prepareServers builds volleyd, checks Postfix and installs Haraka, as the
// selected servers need; a server that cannot run is recorded as skipped.
func prepareServers(ctx context.Context, o options, tmp string, rep *report, logf func(string, ...any)) (map[string]server, int) {
	servers := map[string]server{"wire": nil}
	want := func(s string) bool { return slices.Contains(o.servers, s) }
	if want("volleyd-uring") || want("volleyd-epoll") {
		logf("building volleyd")
		bin, err := buildVolleyd(ctx, tmp)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return nil, 2
		}
		servers["volleyd-uring"] = &volleyd{bin: bin, engine: "io_uring", daemon: daemon{name: "volleyd", grace: 30 * time.Second}}
		servers["volleyd-epoll"] = &volleyd{bin: bin, engine: "epoll", daemon: daemon{name: "volleyd", grace: 30 * time.Second}}
	}
	postfixPath()
	if want("postfix") {
		if err := postfixCheck(); err != nil {
			rep.Skipped["postfix"] = strings.TrimPrefix(err.Error(), errSkipped.Error()+": ")
			rep.Env.PostfixWhy = rep.Skipped["postfix"]
			logf("Postfix: %s", err)
		} else {
			servers["postfix"] = &postfix{}
		}
	}
	if v := postfixVersion(); v != "" {
		rep.Env.Postfix = v
	}
	if want("haraka") {
		dir := o.harakaDir
		if dir == "" {
			dir = filepath.Join(tmp, "haraka-install")
			logf("installing Haraka from npm")
		}
		v, err := harakaInstall(ctx, dir)
		if err != nil {
			rep.Skipped["haraka"] = strings.TrimPrefix(err.Error(), errSkipped.Error()+": ")
			rep.Env.HarakaWhy = rep.Skipped["haraka"]
			logf("Haraka: %s", err)
		} else {
			rep.Env.Haraka = v
			servers["haraka"] = &haraka{home: dir, daemon: daemon{name: "haraka", grace: 20 * time.Second, termOK: true}}
		}
	} else {
		rep.Env.HarakaWhy = "not selected"
	}
	return servers, 0
}

// progressLine is a cell's one-line summary on stderr.
func progressLine(r *cellResult) string {
	if len(r.Errors) > 0 && r.Delivered == 0 {
		return "FAILED: " + strings.Join(r.Errors, "; ")
	}
	s := fmt.Sprintf("inject %7s/s  e2e %7s/s  e2e p50/p99 %s/%s ms", grouped(r.InjectRate), grouped(r.E2ERate), ms(r.E2EP50ms), ms(r.E2EP99ms))
	if r.Server != "wire" {
		s += fmt.Sprintf("  cpu %.3f s/1k  rss %.0f MiB  disk %.1f KB/msg", r.CPUPer1k, float64(r.PeakRSS)/(1<<20), r.WrittenPerMsg/1024)
	}
	return s + fmt.Sprintf("  other %.2f", r.OtherCores)
}

// writeOutputs writes results.json, report.md and the charts.
func writeOutputs(rep *report, dir string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return rep.write(dir)
}
