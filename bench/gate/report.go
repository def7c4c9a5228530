package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints the table, then what failed and what to do about it, and
// returns the exit code: 1 when any check failed.
func report(w io.Writer, g *gate, rows []row, took time.Duration) int {
	fmt.Fprintf(w, "bench-gate: GOARCH %s on %s/%s", g.opts.goarch, runtime.GOOS, runtime.GOARCH)
	if g.opts.exec != "" {
		fmt.Fprintf(w, " under %s", g.opts.exec)
	}
	fmt.Fprintf(w, "; thresholds %s, column %s\n\n", g.file, g.opts.goarch)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tCHECK\tMEASURED\tLIMIT\tRESULT\tNOTE")
	n := map[status]int{}
	for _, r := range rows {
		n[r.status]++
		note, _, _ := strings.Cut(r.note, "\n")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.c.kind, r.name, r.measured, r.limit, r.status, note)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbench-gate: %d passed, %d failed, %d skipped in %s\n", n[pass], n[fail], n[skip], took.Round(time.Second))
	if n[fail] == 0 {
		return 0
	}
	fmt.Fprintf(w, "\nbench-gate: FAILED:\n")
	for _, r := range rows {
		if r.status == fail {
			fmt.Fprintf(w, "\n  %s: %s (%s line %d)\n", r.name, r.note, g.file, r.c.line)
			fmt.Fprint(w, advice(r, g.file))
		}
	}
	return 1
}

// advice says what to do about a failed row.
func advice(r row, file string) string {
	c := r.c
	if r.measured == "-" {
		return "    Fix the run above (or the thresholds line), then run make bench-gate again.\n"
	}
	switch c.kind {
	case kindAllocs:
		return fmt.Sprintf(`    An allocation was added to a gated hot path. Find it:
      go test -run '^$' -bench '%s' -benchtime=%dx -memprofile mem.out -memprofilerate 1 %s
      go tool pprof -sample_index=alloc_objects -top mem.out
    and remove it; or, if the path must allocate, raise the ceiling on line %d of
    %s and say why in that line's comment.
`, benchPattern(c.names), c.runs, c.pkg, c.line, file)
	case kindRatio:
		return fmt.Sprintf(`    Measured %d times side by side; the best run is below the floor. If %s
    really got slower (or %s faster), find why (make bench, pprof); if the floor is wrong
    for this machine, lower it on line %d of %s with a reason.
`, attempts, c.names[1], c.names[0], c.line, file)
	}
	return fmt.Sprintf(`    The %s server costs more CPU per request against %s than the floor allows
    (make bench-io shows the whole picture). Find the regression; if the floor is wrong
    for this machine, lower it on line %d of %s with a reason.
`, c.names[1], c.names[0], c.line, file)
}
