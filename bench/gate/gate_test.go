package main

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// serverTxOut is go test -bench output as it comes, with BenchmarkServerTransaction at
// allocs allocs/op.
func serverTxOut(allocs int) string {
	return fmt.Sprintf(`goos: linux
goarch: amd64
pkg: github.com/volleymta/volley/smtpwire
cpu: AMD EPYC
BenchmarkServerTransaction-2   	   20000	      1816 ns/op	 2296.79 MB/s	      %d B/op	       %d allocs/op
PASS
ok  	github.com/volleymta/volley/smtpwire	0.102s
`, 64*allocs, allocs)
}

func mustThresholds(t *testing.T, text string) *thresholds {
	t.Helper()
	th, err := parseThresholds(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// TestAllocCeiling: one allocation more than the ceiling fails the check;
// at the ceiling it passes.
func TestAllocCeiling(t *testing.T) {
	th := mustThresholds(t, "goarch amd64 arm64\nallocs ./smtpwire BenchmarkServerTransaction 20000 0 1\n")
	c := &th.checks[0]
	for _, tc := range []struct {
		arch   string
		allocs int
		want   status
	}{
		{"amd64", 0, pass},
		{"amd64", 1, fail},
		{"arm64", 1, pass},
		{"arm64", 2, fail},
	} {
		rows := evalAllocs(c, parseBench(serverTxOut(tc.allocs)), c.limits[tc.arch])
		if len(rows) != 1 || rows[0].status != tc.want {
			t.Errorf("%s, %d allocs/op: %+v, want one row %v", tc.arch, tc.allocs, rows, tc.want)
			continue
		}
		if rows[0].measured != fmt.Sprint(tc.allocs) || rows[0].name != "smtpwire BenchmarkServerTransaction" {
			t.Errorf("row %+v", rows[0])
		}
		if tc.want == fail && !strings.Contains(rows[0].note, "ceiling") {
			t.Errorf("failure note %q does not name the ceiling", rows[0].note)
		}
	}
}

// TestAllocFamily: a ceiling on a top-level name holds each sub-benchmark,
// and a benchmark missing from the output fails rather than passes.
func TestAllocFamily(t *testing.T) {
	th := mustThresholds(t, "goarch amd64\nallocs ./smtpwire BenchmarkParseReply 20000 0\nallocs ./smtpwire BenchmarkGone 20000 0\n")
	out := `BenchmarkParseReply/single-2   20000   18.11 ns/op   773.12 MB/s   0 B/op   0 allocs/op
BenchmarkParseReply/multi-2    20000   50.77 ns/op  5259.09 MB/s  16 B/op   1 allocs/op
BenchmarkParseReplyX-2         20000   50.77 ns/op  5259.09 MB/s  16 B/op   9 allocs/op
`
	rows := evalAllocs(&th.checks[0], parseBench(out), th.checks[0].limits["amd64"])
	if len(rows) != 2 || rows[0].status != pass || rows[1].status != fail || rows[1].name != "smtpwire BenchmarkParseReply/multi" {
		t.Fatalf("family rows %+v", rows)
	}
	rows = evalAllocs(&th.checks[1], parseBench(out), th.checks[1].limits["amd64"])
	if len(rows) != 1 || rows[0].status != fail || !strings.Contains(rows[0].note, "did not run") {
		t.Fatalf("missing benchmark: %+v", rows)
	}
}

// TestParseBench reads names without the GOMAXPROCS suffix, custom metrics
// between the standard ones, and lines without -benchmem.
func TestParseBench(t *testing.T) {
	out := `BenchmarkAppendDurable/callers=1-2     2000   863992 ns/op   4.74 MB/s   1.000 msgs/fsync   111 B/op   0 allocs/op
BenchmarkAppendDurable/callers=256-2   2000    16596 ns/op 246.80 MB/s  125.0 msgs/fsync  1312 B/op   1 allocs/op
BenchmarkNoMem   100   12.5 ns/op
--- FAIL: BenchmarkBroken
BenchmarkLog-2 some log line
`
	rs := parseBench(out)
	if len(rs) != 3 {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	if r := rs[0]; r.name != "BenchmarkAppendDurable/callers=1" || r.iters != 2000 || r.nsPerOp != 863992 || !r.hasAlloc || r.allocs != 0 {
		t.Errorf("first %+v", r)
	}
	if r := rs[1]; r.name != "BenchmarkAppendDurable/callers=256" || r.allocs != 1 {
		t.Errorf("second %+v", r)
	}
	if r := rs[2]; r.name != "BenchmarkNoMem" || r.hasAlloc || r.nsPerOp != 12.5 {
		t.Errorf("third %+v", r)
	}
}

// TestRatio: the fastest of each benchmark's runs counts, and the floor is
// inclusive.
func TestRatio(t *testing.T) {
	th := mustThresholds(t, "goarch amd64\nratio ./ringbuf BenchmarkChan1x1 BenchmarkSPSC1x1 100000 3 2\n")
	c := &th.checks[0]
	out := `BenchmarkChan1x1-2   100000   90 ns/op   0 B/op   0 allocs/op
BenchmarkChan1x1-2   100000   40 ns/op   0 B/op   0 allocs/op
BenchmarkChan1x1-2   100000   60 ns/op   0 B/op   0 allocs/op
BenchmarkSPSC1x1-2   100000   30 ns/op   0 B/op   0 allocs/op
BenchmarkSPSC1x1-2   100000   20 ns/op   0 B/op   0 allocs/op
BenchmarkSPSC1x1-2   100000   25 ns/op   0 B/op   0 allocs/op
`
	w := evalRatio(c, parseBench(out), c.limits["amd64"])
	if w.status != pass || w.value != 2 || w.measured != "2.00x" {
		t.Fatalf("ratio row %+v, want 40/20 = 2.00x passing", w)
	}
	w = evalRatio(c, parseBench(strings.ReplaceAll(out, " 40 ns/op", " 39 ns/op")), c.limits["amd64"])
	if w.status != fail {
		t.Fatalf("1.95x passed a 2x floor: %+v", w)
	}
	w = evalRatio(c, parseBench(out[:strings.Index(out, "BenchmarkSPSC")]), c.limits["amd64"])
	if w.status != fail || w.measured != "-" {
		t.Fatalf("ratio without its fast side: %+v", w)
	}
}

// TestIO: an engine the kernel lacks is skipped, unless io_uring is
// required; otherwise the CPU per request is compared.
func TestIO(t *testing.T) {
	th := mustThresholds(t, "goarch amd64\nio gonet uring 1.0\n")
	c, lim := &th.checks[0], th.checks[0].limits["amd64"]
	runs := map[string]ioRun{
		"uring": {Server: "uring", Requests: 1000, CPUPerReq: 2},
		"gonet": {Server: "gonet", Requests: 1000, CPUPerReq: 3},
	}
	if w := evalIO(c, runs, lim, false); w.status != pass || w.measured != "1.50x" {
		t.Fatalf("io row %+v", w)
	}
	runs["uring"] = ioRun{Server: "uring", Unavailable: "io_uring_setup: function not implemented"}
	if w := evalIO(c, runs, lim, false); w.status != skip || !strings.Contains(w.note, "not implemented") {
		t.Fatalf("unavailable io_uring: %+v", w)
	}
	if w := evalIO(c, runs, lim, true); w.status != fail {
		t.Fatalf("unavailable io_uring with VOLLEY_REQUIRE_IO_URING: %+v", w)
	}
}

func TestParseThresholdsErrors(t *testing.T) {
	for _, text := range []string{
		"allocs ./smtpwire BenchmarkX 10 0\n",                            // no goarch line first
		"goarch amd64\nallocs ./smtpwire BenchmarkX 10\n",                // no limit
		"goarch amd64\nallocs ./smtpwire BenchmarkX 0 0\n",               // runs 0
		"goarch amd64\nallocs smtpwire BenchmarkX 10 0\n",                // not ./
		"goarch amd64\nallocs ./smtpwire X 10 0\n",                       // not a benchmark
		"goarch amd64\nspeed ./smtpwire BenchmarkX 10 0\n",               // unknown kind
		"goarch amd64\nallocs ./smtpwire BenchmarkX 10 x\n",              // bad limit
		"goarch amd64\nratio ./spool BenchmarkA/x BenchmarkB/y 10 1 2\n", // two top-level names
		"goarch amd64\nratio ./spool BenchmarkA BenchmarkA/y 10 1 2\n",   // two depths
		"goarch amd64\nio gonet kqueue 1\n",                              // unknown server
		"goarch amd64\ngoarch arm64\n",                                   // two goarch lines
		"# nothing\n",                                                    // no goarch line at all
	} {
		if _, err := parseThresholds(strings.NewReader(text)); err == nil {
			t.Errorf("accepted %q", text)
		}
	}
}

// TestThresholdsFile: the file the gate builds in parses, has an amd64 and
// an arm64 column, gates every allocation check on both, and gives a reason
// for every ceiling above 0 and every floor.
func TestThresholdsFile(t *testing.T) {
	th, err := parseThresholds(bytes.NewReader(defaultThresholds))
	if err != nil {
		t.Fatal(err)
	}
	if !contains(th.arches, "amd64") || !contains(th.arches, "arm64") {
		t.Fatalf("columns %v", th.arches)
	}
	kinds := map[kind]int{}
	for _, c := range th.checks {
		kinds[c.kind]++
		for arch, l := range c.limits {
			if c.kind == kindAllocs && !l.set {
				t.Errorf("line %d: allocation ceiling not set for %s", c.line, arch)
			}
			if l.set && (c.kind != kindAllocs || l.value > 0) && c.why == "" {
				t.Errorf("line %d: %s limit %v without a reason", c.line, arch, l.value)
			}
		}
	}
	if kinds[kindAllocs] == 0 || kinds[kindRatio] == 0 || kinds[kindIO] == 0 {
		t.Fatalf("checks by kind %v", kinds)
	}
}

func TestBenchPattern(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"BenchmarkChan1x1", "BenchmarkSPSC1x1"}, "^(BenchmarkChan1x1|BenchmarkSPSC1x1)$"},
		{[]string{"BenchmarkAppendDurable/callers=1", "BenchmarkAppendDurable/callers=256"}, "^(BenchmarkAppendDurable)$/^(callers=1|callers=256)$"},
		{[]string{"BenchmarkPingPong/epoll/32"}, "^(BenchmarkPingPong)$/^(epoll)$/^(32)$"},
		{[]string{"BenchmarkA.B"}, `^(BenchmarkA\.B)$`},
	} {
		if got := benchPattern(tc.names); got != tc.want {
			t.Errorf("benchPattern(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

// fakeRun answers go test with canned output per package and counts the
// calls; nothing is built or run.
type fakeRun struct {
	out   map[string][]string // by package: the output of each successive call
	calls map[string]int
	args  [][]string
}

func (f *fakeRun) run(dir string, env []string, name string, args ...string) (string, error) {
	f.args = append(f.args, args)
	pkg := args[len(args)-1]
	outs := f.out[pkg]
	i := f.calls[pkg]
	f.calls[pkg]++
	if i >= len(outs) {
		i = len(outs) - 1
	}
	return outs[i], nil
}

func fakeGate(t *testing.T, text string, o options, f *fakeRun) *gate {
	if o.goarch == "" {
		o.goarch = runtime.GOARCH
	}
	f.calls = map[string]int{}
	return &gate{opts: o, th: mustThresholds(t, text), file: "thresholds.txt", root: ".", log: &bytes.Buffer{}, run: f.run}
}

const gateThresholds = "goarch " + runtime.GOARCH + "\n" +
	"allocs ./smtpwire BenchmarkServerTransaction 20000 0\n" +
	"ratio ./ringbuf BenchmarkChan1x1 BenchmarkSPSC1x1 100000 1 2 # floor\n"

func ringOut(chanNs int) string {
	return fmt.Sprintf("BenchmarkChan1x1-2 100000 %d ns/op 0 B/op 0 allocs/op\nBenchmarkSPSC1x1-2 100000 10 ns/op 0 B/op 0 allocs/op\n", chanNs)
}

// TestGateFailsOnAllocation runs the whole gate over canned output: an
// added allocation makes it exit 1, name the benchmark and say what to do.
func TestGateFailsOnAllocation(t *testing.T) {
	f := &fakeRun{out: map[string][]string{"./smtpwire": {serverTxOut(1)}, "./ringbuf": {ringOut(40)}}}
	g := fakeGate(t, gateThresholds, options{}, f)
	var out bytes.Buffer
	if code := report(&out, g, g.runAll(), 0); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out.String())
	}
	for _, want := range []string{"smtpwire BenchmarkServerTransaction", "FAIL", "1 allocs/op, ceiling 0", "raise the ceiling on line 2", "-memprofile"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	f = &fakeRun{out: map[string][]string{"./smtpwire": {serverTxOut(0)}, "./ringbuf": {ringOut(40)}}}
	g = fakeGate(t, gateThresholds, options{}, f)
	out.Reset()
	if code := report(&out, g, g.runAll(), 0); code != 0 {
		t.Fatalf("exit %d at the ceiling:\n%s", code, out.String())
	}
	if got := strings.Join(f.args[0], " "); !strings.Contains(got, "-benchtime=20000x") || !strings.Contains(got, "-benchmem") {
		t.Errorf("go %s", got)
	}
}

// TestGateRetriesRatio: a ratio below its floor is measured again, at most
// three times, and passes on its best attempt.
func TestGateRetriesRatio(t *testing.T) {
	f := &fakeRun{out: map[string][]string{"./smtpwire": {serverTxOut(0)}, "./ringbuf": {ringOut(15), ringOut(25), ringOut(5)}}}
	g := fakeGate(t, gateThresholds, options{}, f)
	rows := g.runAll()
	if f.calls["./ringbuf"] != 2 || rows[1].status != pass || rows[1].measured != "2.50x" {
		t.Fatalf("%d ring runs, row %+v; want a pass at 2.50x on the second", f.calls["./ringbuf"], rows[1])
	}
	f = &fakeRun{out: map[string][]string{"./smtpwire": {serverTxOut(0)}, "./ringbuf": {ringOut(15), ringOut(18), ringOut(12)}}}
	g = fakeGate(t, gateThresholds, options{}, f)
	rows = g.runAll()
	if f.calls["./ringbuf"] != 3 || rows[1].status != fail || rows[1].measured != "1.80x" {
		t.Fatalf("%d ring runs, row %+v; want three and a failure at the best, 1.80x", f.calls["./ringbuf"], rows[1])
	}
}

// TestGateEmulated: under -exec (or another GOARCH) only the allocation
// ceilings run; ratios are skipped with the reason, and go test gets -exec
// and the GOARCH.
func TestGateEmulated(t *testing.T) {
	text := "goarch amd64 arm64\n" +
		"allocs ./smtpwire BenchmarkServerTransaction 20000 0 0\n" +
		"ratio ./ringbuf BenchmarkChan1x1 BenchmarkSPSC1x1 100000 1 2 2 # floor\n"
	f := &fakeRun{out: map[string][]string{"./smtpwire": {serverTxOut(0)}}}
	g := fakeGate(t, text, options{goarch: "arm64", exec: "qemu-aarch64-static"}, f)
	rows := g.runAll()
	if len(rows) != 2 || rows[0].status != pass || rows[1].status != skip || !strings.Contains(rows[1].note, "emulation") {
		t.Fatalf("rows %+v", rows)
	}
	if f.calls["./ringbuf"] != 0 {
		t.Fatal("a ratio ran under emulation")
	}
	if got := strings.Join(f.args[0], " "); !strings.Contains(got, "-exec qemu-aarch64-static") {
		t.Errorf("go %s", got)
	}
	t.Setenv("VOLLEY_REQUIRE_IO_URING", "1") // qemu-user has no io_uring: not required there
	env := "\n" + strings.Join(g.env(), "\n") + "\n"
	if !strings.Contains(env, "\nGOARCH=arm64\n") || !strings.Contains(env, "checklinkname=0") || strings.Contains(env, "VOLLEY_REQUIRE_IO_URING") {
		t.Errorf("env: want GOARCH=arm64 and the linker flag, without VOLLEY_REQUIRE_IO_URING:%s", env)
	}
}
