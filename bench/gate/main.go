// Command gate is `make bench-gate`: checks of the hot paths that do not
// depend on the machine's speed, so that CI can fail on them. It runs the
// benchmarks named in thresholds.txt with fixed iteration counts and holds
// their allocs/op to ceilings (an added allocation on a gated path fails
// at once), and measures ratios side by side in one run (ring vs channel,
// group commit vs one fsync per message, io_uring vs epoll vs Go net)
// against floors set well below what a noisy 2-core machine measures. A
// ratio that misses its floor is measured again, up to three attempts,
// and passes on its best.
//
// -goarch runs the benchmarks for another architecture (with -exec, e.g.
// qemu-aarch64-static, to run them under emulation) and reads that
// architecture's column of thresholds; timings under emulation mean
// nothing, so only the allocation ceilings are checked there.
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

//go:embed thresholds.txt
var defaultThresholds []byte

// thresholdsPath is where the embedded file lives, for the messages.
const thresholdsPath = "bench/gate/thresholds.txt"

// attempts is how often a ratio is measured before it fails.
const attempts = 3

func main() {
	os.Exit(gateMain(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	goarch, exec, thresholds string
}

func gateMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.goarch, "goarch", runtime.GOARCH, "GOARCH to build the benchmarks for; selects the thresholds column")
	fs.StringVar(&o.exec, "exec", "", "program to run the test binaries with (go test -exec), e.g. qemu-aarch64-static")
	fs.StringVar(&o.thresholds, "thresholds", "", "thresholds file (default: "+thresholdsPath+" as built in)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench-gate: unexpected arguments %q\n", fs.Args())
		return 2
	}
	src, name := defaultThresholds, thresholdsPath
	if o.thresholds != "" {
		b, err := os.ReadFile(o.thresholds)
		if err != nil {
			fmt.Fprintln(stderr, "bench-gate:", err)
			return 2
		}
		src, name = b, o.thresholds
	}
	th, err := parseThresholds(bytes.NewReader(src))
	if err != nil {
		fmt.Fprintf(stderr, "bench-gate: %s: %v\n", name, err)
		return 2
	}
	if !contains(th.arches, o.goarch) {
		fmt.Fprintf(stderr, "bench-gate: %s has no column for GOARCH %s (it has %s)\n", name, o.goarch, strings.Join(th.arches, ", "))
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "bench-gate:", err)
		return 2
	}
	g := &gate{opts: o, th: th, file: name, root: root, log: stderr, run: runCommand,
		requireURing: os.Getenv("VOLLEY_REQUIRE_IO_URING") == "1"}
	start := time.Now()
	rows := g.runAll()
	return report(stdout, g, rows, time.Since(start))
}

// gate runs the checks of one thresholds file.
type gate struct {
	opts         options
	th           *thresholds
	file, root   string
	log          io.Writer
	requireURing bool
	// run executes a command in dir with environment env (nil: this
	// process's) and returns its standard output; the error of a failed
	// command carries the tail of its output.
	run func(dir string, env []string, name string, args ...string) (string, error)
}

// timings reports whether ratios mean anything in this run: native only.
func (g *gate) timings() (bool, string) {
	switch {
	case g.opts.exec != "":
		return false, "timings under emulation mean nothing (-exec " + g.opts.exec + ")"
	case g.opts.goarch != runtime.GOARCH:
		return false, "timings under emulation mean nothing (GOARCH " + g.opts.goarch + " on " + runtime.GOARCH + ")"
	}
	return true, ""
}

// runAll runs every check of the file: allocations first, then ratios,
// then the I/O engines; the rows come out in the file's order.
func (g *gate) runAll() []row {
	arch := g.opts.goarch
	native, why := g.timings()
	out := make([][]row, len(g.th.checks))
	var ratios, ios []int
	groups := map[string][]*check{}
	var order []string
	for i := range g.th.checks {
		c := &g.th.checks[i]
		lim := c.limits[arch]
		switch {
		case c.kind != kindAllocs && !native:
			out[i] = []row{{c: c, name: c.title(), measured: "-", limit: limitText(c, lim), status: skip, note: why}}
		case !lim.set:
			out[i] = []row{{c: c, name: c.title(), measured: "-", limit: "-", status: skip,
				note: "no threshold for " + arch + " in " + g.file}}
		case c.kind == kindAllocs:
			k := groupKey(c)
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], c)
		case c.kind == kindRatio:
			ratios = append(ratios, i)
		default:
			ios = append(ios, i)
		}
	}
	for _, k := range order {
		for _, w := range g.allocGroup(groups[k]) {
			out[w.c.idx] = append(out[w.c.idx], w)
		}
	}
	for _, i := range ratios {
		out[i] = []row{g.ratio(&g.th.checks[i])}
	}
	if len(ios) > 0 {
		cs := make([]*check, len(ios))
		for j, i := range ios {
			cs[j] = &g.th.checks[i]
		}
		for j, w := range g.io(cs) {
			out[ios[j]] = []row{w}
		}
	}
	var rows []row
	for _, rs := range out {
		rows = append(rows, rs...)
	}
	return rows
}

// limitText shows a ceiling or a floor ("-": not gated).
func limitText(c *check, lim limit) string {
	switch {
	case !lim.set:
		return "-"
	case c.kind == kindAllocs:
		return "<= " + fmtNum(lim.value)
	}
	return fmt.Sprintf(">= %.2fx", lim.value)
}

// groupKey puts allocation checks that one go test can run together.
func groupKey(c *check) string {
	parts := strings.Split(c.names[0], "/")
	top := ""
	if len(parts) > 1 {
		top = parts[0]
	}
	return fmt.Sprintf("%s %d %d %s", c.pkg, c.runs, len(parts), top)
}

func (g *gate) allocGroup(cs []*check) []row {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.names[0]
	}
	rs, err := g.goTest(cs[0].pkg, names, cs[0].runs, 1)
	var rows []row
	for _, c := range cs {
		if err != nil {
			rows = append(rows, row{c: c, name: c.title(), measured: "-", limit: limitText(c, c.limits[g.opts.goarch]), status: fail, note: err.Error()})
			continue
		}
		rows = append(rows, evalAllocs(c, rs, c.limits[g.opts.goarch])...)
	}
	return rows
}

// ratio measures c up to attempts times, until it passes.
func (g *gate) ratio(c *check) row {
	lim := c.limits[g.opts.goarch]
	var best row
	tries := 0
	for i := 0; i < attempts; i++ {
		tries++
		rs, err := g.goTest(c.pkg, c.names, c.runs, c.count)
		w := row{c: c, name: c.title(), measured: "-", limit: limitText(c, lim), status: fail}
		if err != nil {
			w.note = err.Error()
			return w // a failing go test is not noise
		}
		w = evalRatio(c, rs, lim)
		if i == 0 {
			best = w
		} else {
			best = better(best, w)
		}
		if best.status == pass || best.measured == "-" || i == attempts-1 {
			break
		}
		fmt.Fprintf(g.log, "bench-gate: %s: %s below %s, measuring again (%d of %d)\n", c.title(), w.measured, w.limit, i+2, attempts)
	}
	if tries > 1 {
		best.note = strings.TrimSpace(fmt.Sprintf("best of %d attempts; %s", tries, best.note))
		best.note = strings.TrimSuffix(best.note, ";")
	}
	return best
}

// goTest runs the benchmarks names of pkg with runs iterations, count
// times each, and returns their results.
func (g *gate) goTest(pkg string, names []string, runs, count int) ([]result, error) {
	args := []string{"test", "-run", "^$", "-bench", benchPattern(names), "-benchmem",
		fmt.Sprintf("-benchtime=%dx", runs), "-timeout", "10m"}
	if count > 1 {
		args = append(args, fmt.Sprintf("-count=%d", count))
	}
	if g.opts.exec != "" {
		args = append(args, "-exec", g.opts.exec)
	}
	args = append(args, pkg)
	fmt.Fprintf(g.log, "bench-gate: go %s\n", shellJoin(args))
	out, err := g.run(g.root, g.env(), "go", args...)
	if err != nil {
		return nil, fmt.Errorf("go test %s failed: %v", pkg, err)
	}
	return parseBench(out), nil
}

// env is the environment of go test: the GOARCH asked for, and the linker
// flag the io_uring dependency needs (see the Makefile) when GOFLAGS lacks
// it. Under emulation VOLLEY_REQUIRE_IO_URING is dropped: qemu-user has no
// io_uring (ENOSYS), so the io_uring benchmarks skip there and epoll runs.
func (g *gate) env() []string {
	native, _ := g.timings()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "GOARCH" || k == "GOFLAGS" || (!native && k == "VOLLEY_REQUIRE_IO_URING") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOARCH="+g.opts.goarch)
	flags := os.Getenv("GOFLAGS")
	if !strings.Contains(flags, "checklinkname") {
		flags = strings.TrimSpace(flags + " -ldflags=-checklinkname=0")
	}
	return append(env, "GOFLAGS="+flags)
}

// runCommand runs name in dir with environment env (nil: this process's)
// and returns its standard output; on failure the error carries the tail
// of its output.
func runCommand(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v\n%s", err, tail(stdout.String()+stderr.String(), 20))
	}
	return stdout.String(), nil
}

// tail returns the last n lines of s, indented.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// shellJoin quotes args for a command line a person can paste.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " ^$|()*?[]\\'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the module (run it from the repository)")
	}
	return filepath.Dir(mod), nil
}
