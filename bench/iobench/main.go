//go:build linux

// Command iobench compares the I/O engines Volley's shards can run on, in
// one run so that the ratios compare like with like on a noisy machine: the
// iouring reactor over io_uring, the same reactor over epoll, and the
// ordinary Go net server (a goroutine and two bufio buffers per
// connection). The exchange is shaped like SMTP: a command line and its
// one-line reply ("cmd"), and DATA with a 4 KB payload ("data4k"), each
// connection in a closed loop, at 1, 100 and 10,000 connections over
// 127.0.0.1. It reports throughput, p99 latency, the CPU the client and the
// server used, and the resident memory each server spends per idle
// connection.
//
// Each server runs in its own child process (this binary re-executed with a
// hidden -serve flag); the client is this process and is the same epoll
// reactor client for every server. `make bench-io` runs it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	if isServeInvocation(os.Args[1:]) {
		os.Exit(serveMain(os.Args[1:]))
	}
	os.Exit(benchMain(os.Args[1:]))
}

// config is the parsed command line of a benchmark run.
type config struct {
	opts      runOptions
	conns     []int
	workloads []workload
	kinds     []string
	idleConns int
	json      bool
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("iobench", flag.ContinueOnError)
	var c config
	fs.DurationVar(&c.opts.duration, "duration", 5*time.Second, "measured time of each run")
	fs.DurationVar(&c.opts.warmup, "warmup", time.Second, "unmeasured time before each run's measurement")
	conns := fs.String("conns", "1,100,10000", "comma-separated connection counts")
	works := fs.String("workloads", "cmd,data4k", "comma-separated workloads (cmd, data4k)")
	kinds := fs.String("servers", strings.Join(allKinds, ","), "comma-separated servers (uring, epoll, gonet)")
	fs.IntVar(&c.idleConns, "idle-conns", 10000, "idle connections for the memory measurement (0 skips it)")
	fs.DurationVar(&c.opts.idleWait, "idle-wait", time.Second, "wait before reading the idle server's memory")
	fs.BoolVar(&c.opts.prewarm, "idle-prewarm", true, "exercise each idle-memory server briefly before its baseline reading")
	fs.IntVar(&c.opts.shards, "shards", runtime.NumCPU(), "reactor shards per server (one per core)")
	fs.IntVar(&c.opts.clientLoops, "client-loops", runtime.NumCPU(), "event loops of the client")
	fs.BoolVar(&c.json, "json", false, "print JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, f := range splitList(*conns) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return c, fmt.Errorf("-conns: bad count %q", f)
		}
		c.conns = append(c.conns, n)
	}
	for _, f := range splitList(*works) {
		w, err := workloadByName(f)
		if err != nil {
			return c, err
		}
		c.workloads = append(c.workloads, w)
	}
	for _, f := range splitList(*kinds) {
		switch f {
		case kindUring, "io_uring", "iouring":
			c.kinds = append(c.kinds, kindUring)
		case kindEpoll, kindGonet:
			c.kinds = append(c.kinds, f)
		default:
			return c, fmt.Errorf("-servers: unknown server %q (want uring, epoll, gonet)", f)
		}
	}
	if c.opts.duration <= 0 || c.opts.warmup < 0 || c.opts.shards < 1 || c.opts.clientLoops < 1 || c.idleConns < 0 {
		return c, fmt.Errorf("-duration must be positive; -shards and -client-loops at least 1")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func benchMain(args []string) int {
	c, err := parseFlags(args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(os.Stderr, "iobench:", err)
		return 2
	}
	if err := raiseNofile(); err != nil {
		fmt.Fprintln(os.Stderr, "iobench: raise RLIMIT_NOFILE:", err)
	}
	rep := runAll(c)
	if c.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(os.Stderr, "iobench:", err)
			return 1
		}
	} else {
		rep.print(os.Stdout)
	}
	if rep.failed() {
		return 1
	}
	return 0
}

// runAll runs everything c asks for, interleaving the servers within each
// (workload, connections) cell so that drift on a noisy machine hits all
// three alike. Progress goes to stderr.
func runAll(c config) *report {
	rep := &report{
		Duration: c.opts.duration.String(), Warmup: c.opts.warmup.String(),
		Shards: c.opts.shards, ClientLoops: c.opts.clientLoops, CPUs: runtime.NumCPU(),
		Servers: c.kinds, Runs: []runResult{}, Idle: []idleResult{},
	}
	for _, w := range c.workloads {
		for _, n := range c.conns {
			for _, k := range c.kinds {
				fmt.Fprintf(os.Stderr, "iobench: %-6s %6d conns  %-8s ", w.name, n, kindTitle(k))
				r := runThroughput(k, w, n, c.opts)
				fmt.Fprintln(os.Stderr, r.summary())
				rep.Runs = append(rep.Runs, r)
			}
		}
	}
	if c.idleConns > 0 {
		for _, k := range c.kinds {
			fmt.Fprintf(os.Stderr, "iobench: idle   %6d conns  %-8s ", c.idleConns, kindTitle(k))
			r := runIdle(k, c.idleConns, c.opts)
			fmt.Fprintln(os.Stderr, r.summary())
			rep.Idle = append(rep.Idle, r)
		}
	}
	rep.Client = clientKind
	return rep
}
