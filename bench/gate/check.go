package main

import (
	"fmt"
	"strconv"
	"strings"
)

// status is a row's verdict.
type status uint8

const (
	pass status = iota
	fail
	skip
)

func (s status) String() string {
	switch s {
	case pass:
		return "PASS"
	case fail:
		return "FAIL"
	}
	return "SKIP"
}

// row is one line of the gate's table.
type row struct {
	c        *check
	name     string // what was measured
	measured string
	limit    string
	status   status
	// note says why a row was skipped or failed.
	note string
	// value is the measured number, for keeping the best of retries.
	value float64
}

// shortPkg is the package as the table shows it ("./engine/outbound" -> "engine/outbound").
func shortPkg(pkg string) string { return strings.TrimPrefix(pkg, "./") }

func (c *check) title() string {
	switch c.kind {
	case kindAllocs:
		return shortPkg(c.pkg) + " " + c.names[0]
	case kindRatio:
		return shortPkg(c.pkg) + " " + c.names[0] + " / " + c.names[1] + " (ns/op)"
	}
	return "iobench " + c.names[0] + " / " + c.names[1] + " (server CPU per request)"
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// evalAllocs compares every result of c's benchmark (each member of a
// family) with the ceiling lim.
func evalAllocs(c *check, rs []result, lim limit) []row {
	var rows []row
	for _, r := range rs {
		if !matches(r.name, c.names[0]) {
			continue
		}
		w := row{c: c, name: shortPkg(c.pkg) + " " + r.name, limit: limitText(c, lim), value: r.allocs}
		switch {
		case !r.hasAlloc:
			w.measured, w.status, w.note = "?", fail, "no allocs/op in the output (b.ReportAllocs or -benchmem missing)"
		case r.allocs > lim.value:
			w.measured, w.status = fmtNum(r.allocs), fail
			w.note = fmt.Sprintf("%s allocs/op, ceiling %s", fmtNum(r.allocs), fmtNum(lim.value))
		default:
			w.measured, w.status = fmtNum(r.allocs), pass
		}
		rows = append(rows, w)
	}
	if rows == nil {
		rows = append(rows, row{c: c, name: c.title(), measured: "-", limit: limitText(c, lim), status: fail,
			note: "the benchmark did not run (renamed or removed? fix its line in the thresholds file)"})
	}
	return rows
}

// evalRatio divides the fastest ns/op of c's slow benchmark by that of its
// fast one and compares the quotient with the floor lim.
func evalRatio(c *check, rs []result, lim limit) row {
	w := row{c: c, name: c.title(), limit: limitText(c, lim), measured: "-", status: fail}
	slow, ok1 := fastest(rs, c.names[0])
	fast, ok2 := fastest(rs, c.names[1])
	switch {
	case !ok1 || !ok2:
		w.note = "a benchmark of the ratio did not run (renamed or removed? fix its line in the thresholds file)"
	case fast <= 0:
		w.note = "zero ns/op: no ratio"
	default:
		return ratioRow(w, slow/fast, lim)
	}
	return w
}

func ratioRow(w row, ratio float64, lim limit) row {
	w.value, w.measured = ratio, fmt.Sprintf("%.2fx", ratio)
	if ratio >= lim.value {
		w.status = pass
	} else {
		w.status = fail
		w.note = fmt.Sprintf("ratio %.2fx below the floor %.2fx", ratio, lim.value)
	}
	return w
}

// ioRun is one server's part of an iobench run.
type ioRun struct {
	Server      string  `json:"server"`
	Requests    uint64  `json:"requests"`
	CPUPerReq   float64 `json:"server_cpu_us_per_req"`
	Unavailable string  `json:"unavailable"`
	Err         string  `json:"error"`
}

// evalIO divides the slow server's CPU per request by the fast one's;
// an engine the kernel lacks is skipped (failed when requireURing).
func evalIO(c *check, runs map[string]ioRun, lim limit, requireURing bool) row {
	w := row{c: c, name: c.title(), limit: limitText(c, lim), measured: "-", status: fail}
	slow, ok1 := runs[c.names[0]]
	fast, ok2 := runs[c.names[1]]
	switch {
	case !ok1 || !ok2:
		w.note = "iobench did not report both servers"
	case slow.Unavailable != "" || fast.Unavailable != "":
		why := slow.Unavailable
		if why == "" {
			why = fast.Unavailable
		}
		w.note = "engine unavailable: " + why
		if !requireURing {
			w.status = skip
		} else {
			w.note += " (VOLLEY_REQUIRE_IO_URING=1)"
		}
	case slow.Err != "" || fast.Err != "":
		w.note = "iobench failed: " + slow.Err + fast.Err
	case slow.Requests == 0 || fast.Requests == 0 || fast.CPUPerReq <= 0:
		w.note = "iobench completed no requests"
	default:
		return ratioRow(w, slow.CPUPerReq/fast.CPUPerReq, lim)
	}
	return w
}

// better keeps, of two measurements of one ratio, the passing or the
// higher one: a ratio passes on its best attempt.
func better(a, b row) row {
	switch {
	case a.status == pass:
		return a
	case b.status == pass:
		return b
	case a.measured == "-":
		return b
	case b.measured == "-":
		return a
	case b.value > a.value:
		return b
	}
	return a
}
