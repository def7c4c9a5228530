//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// report is everything one run of iobench measured; -json prints it as is.
type report struct {
	Duration    string       `json:"duration"`
	Warmup      string       `json:"warmup"`
	CPUs        int          `json:"cpus"`
	Shards      int          `json:"server_shards"`
	ClientLoops int          `json:"client_loops"`
	Client      string       `json:"client"`
	Servers     []string     `json:"servers"`
	Runs        []runResult  `json:"runs"`
	Idle        []idleResult `json:"idle"`
}

func (rep *report) failed() bool {
	for _, r := range rep.Runs {
		if r.Err != "" {
			return true
		}
	}
	for _, r := range rep.Idle {
		if r.Err != "" {
			return true
		}
	}
	return false
}

func (r runResult) summary() string {
	switch {
	case r.Unavailable != "":
		return "n/a: " + r.Unavailable
	case r.Err != "":
		return "FAILED: " + r.Err
	}
	return fmt.Sprintf("%9.0f req/s  p99 %-8s cpu client %.2f server %.2f other %.2f", r.ReqPerSec, fmtMicros(r.P99Micros), r.ClientCPU, r.ServerCPU, r.OtherCPU)
}

func (r idleResult) summary() string {
	switch {
	case r.Unavailable != "":
		return "n/a: " + r.Unavailable
	case r.Err != "":
		return "FAILED: " + r.Err
	}
	return fmt.Sprintf("%.0f B/conn (VmRSS %d -> %d KiB)", r.BytesPerConn, r.RSSBefore>>10, r.RSSAfter>>10)
}

// cell is a (workload, connections) row of the throughput table.
type cell struct {
	workload string
	conns    int
}

// print writes the throughput table, the CPU table and the idle memory
// table. Ratios are against gonet, the server people would write without
// this package; a missing or failed run prints as "-" (n/a if the engine is
// unavailable).
func (rep *report) print(w io.Writer) {
	fmt.Fprintf(w, "iobench: %s measured after %s warm-up per run; %d CPUs; server shards %d; client: %s, %d loops\n\n",
		rep.Duration, rep.Warmup, rep.CPUs, rep.Shards, rep.Client, rep.ClientLoops)
	byKey := map[cell]map[string]runResult{}
	var cells []cell
	for _, r := range rep.Runs {
		k := cell{r.Workload, r.Conns}
		if byKey[k] == nil {
			byKey[k] = map[string]runResult{}
			cells = append(cells, k)
		}
		byKey[k][r.Server] = r
	}
	kinds := []string{kindUring, kindEpoll, kindGonet}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tconns\tio_uring req/s\tepoll req/s\tgonet req/s\tio_uring/gonet\tepoll/gonet\tp99 io_uring\tp99 epoll\tp99 gonet\t")
	for _, k := range cells {
		rs := byKey[k]
		row := []string{k.workload, fmt.Sprint(k.conns)}
		for _, kind := range kinds {
			row = append(row, runCell(rs, kind, func(r runResult) string { return fmt.Sprintf("%.0f", r.ReqPerSec) }))
		}
		row = append(row, ratio(rs, kindUring), ratio(rs, kindEpoll))
		for _, kind := range kinds {
			row = append(row, runCell(rs, kind, func(r runResult) string { return fmtMicros(r.P99Micros) }))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()

	fmt.Fprintln(w, "\nCPU during the measured window: cores used by client / server / other processes, and server CPU per request:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tconns\tio_uring cores\tepoll cores\tgonet cores\tio_uring µs/req\tepoll µs/req\tgonet µs/req\t")
	for _, k := range cells {
		rs := byKey[k]
		row := []string{k.workload, fmt.Sprint(k.conns)}
		for _, kind := range kinds {
			row = append(row, runCell(rs, kind, func(r runResult) string {
				return fmt.Sprintf("%.2f / %.2f / %.2f", r.ClientCPU, r.ServerCPU, r.OtherCPU)
			}))
		}
		for _, kind := range kinds {
			row = append(row, runCell(rs, kind, func(r runResult) string { return fmt.Sprintf("%.1f", r.ServerMicrosPerReq) }))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()

	if len(rep.Idle) > 0 {
		idle := map[string]idleResult{}
		for _, r := range rep.Idle {
			idle[r.Server] = r
		}
		fmt.Fprintln(w, "\nIdle memory, VmRSS growth per idle connection:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "conns\tio_uring B/conn\tepoll B/conn\tgonet B/conn\tio_uring/gonet\tepoll/gonet\t")
		row := []string{fmt.Sprint(rep.Idle[0].Conns)}
		for _, kind := range kinds {
			row = append(row, idleCell(idle, kind))
		}
		row = append(row, idleRatio(idle, kindUring), idleRatio(idle, kindEpoll))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		tw.Flush()
	}

	var notes []string
	for _, r := range rep.Runs {
		if r.Err != "" {
			notes = append(notes, fmt.Sprintf("%s %s %d conns: FAILED: %s", kindTitle(r.Server), r.Workload, r.Conns, r.Err))
		}
	}
	for _, r := range rep.Idle {
		if r.Err != "" {
			notes = append(notes, fmt.Sprintf("%s idle: FAILED: %s", kindTitle(r.Server), r.Err))
		}
	}
	seen := map[string]bool{}
	for _, r := range rep.Runs {
		if r.Unavailable != "" && !seen[r.Server] {
			seen[r.Server] = true
			notes = append(notes, fmt.Sprintf("%s: n/a: %s", kindTitle(r.Server), r.Unavailable))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

func ok(r runResult, found bool) bool { return found && r.Err == "" && r.Unavailable == "" }

func runCell(rs map[string]runResult, kind string, f func(runResult) string) string {
	r, found := rs[kind]
	switch {
	case ok(r, found):
		return f(r)
	case found && r.Unavailable != "":
		return "n/a"
	}
	return "-"
}

func ratio(rs map[string]runResult, kind string) string {
	r, f1 := rs[kind]
	g, f2 := rs[kindGonet]
	if !ok(r, f1) || !ok(g, f2) || g.ReqPerSec == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.ReqPerSec/g.ReqPerSec)
}

func idleCell(idle map[string]idleResult, kind string) string {
	r, found := idle[kind]
	switch {
	case found && r.Err == "" && r.Unavailable == "":
		return fmt.Sprintf("%.0f", r.BytesPerConn)
	case found && r.Unavailable != "":
		return "n/a"
	}
	return "-"
}

func idleRatio(idle map[string]idleResult, kind string) string {
	r, f1 := idle[kind]
	g, f2 := idle[kindGonet]
	if !f1 || !f2 || r.Err != "" || g.Err != "" || r.Unavailable != "" || g.Unavailable != "" || g.BytesPerConn <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.BytesPerConn/g.BytesPerConn)
}

// fmtMicros prints a latency in µs below 1 ms, else in ms.
func fmtMicros(us float64) string {
	if us < 1000 {
		return fmt.Sprintf("%.0fµs", us)
	}
	return fmt.Sprintf("%.2fms", us/1000)
}
