package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// kind is what a check compares.
type kind string

const (
	// kindAllocs: allocs/op of a benchmark must not exceed a ceiling.
	kindAllocs kind = "allocs"
	// kindRatio: ns/op of a slow benchmark over a fast one, run in one
	// go test, must reach a floor.
	kindRatio kind = "ratio"
	// kindIO: server CPU per request of one iobench server over another,
	// from one iobench run, must reach a floor.
	kindIO kind = "io"
)

// limit is a check's ceiling or floor on one GOARCH; unset ("-" in the
// file) means the check is not gated there.
type limit struct {
	value float64
	set   bool
}

// check is one line of the thresholds file.
type check struct {
	kind kind
	// pkg is the package to test, module-relative ("./smtpwire"); empty for io.
	pkg string
	// names: the benchmark (allocs), or the slow and the fast benchmark or
	// iobench server (ratio, io).
	names []string
	// runs is the fixed iteration count (-benchtime=Nx); count is how many
	// times each benchmark runs (-count), the fastest run counting.
	runs, count int
	limits      map[string]limit
	// why is the line's comment: the reason for the threshold.
	why string
	// line is the line in the file; idx the position among the checks.
	line, idx int
}

// thresholds is the parsed file.
type thresholds struct {
	arches []string
	checks []check
}

// parseThresholds reads the thresholds file format documented at the top
// of thresholds.txt.
func parseThresholds(r io.Reader) (*thresholds, error) {
	t := &thresholds{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		text, why, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			continue
		}
		if f[0] == "goarch" {
			if t.arches != nil || len(f) < 2 {
				return nil, fmt.Errorf("line %d: one goarch line naming at least one GOARCH", n)
			}
			t.arches = f[1:]
			continue
		}
		if t.arches == nil {
			return nil, fmt.Errorf("line %d: the goarch line must come first", n)
		}
		c, err := parseCheck(f, len(t.arches))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		c.why, c.line, c.idx = strings.TrimSpace(why), n, len(t.checks)
		c.limits = map[string]limit{}
		vals := f[len(f)-len(t.arches):]
		for i, arch := range t.arches {
			l, err := parseLimit(vals[i])
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", n, arch, err)
			}
			c.limits[arch] = l
		}
		t.checks = append(t.checks, c)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.arches == nil {
		return nil, fmt.Errorf("no goarch line")
	}
	return t, nil
}

// parseCheck reads the fields of a check line before its limits.
func parseCheck(f []string, arches int) (check, error) {
	want := map[kind]int{kindAllocs: 4, kindRatio: 6, kindIO: 3}
	k := kind(f[0])
	n, ok := want[k]
	if !ok {
		return check{}, fmt.Errorf("unknown kind %q (want allocs, ratio, io)", f[0])
	}
	if len(f) != n+arches {
		return check{}, fmt.Errorf("%s: %d fields, want %d and one limit per GOARCH (%d)", k, len(f)-arches, n, arches)
	}
	c := check{kind: k, count: 1}
	var err error
	switch k {
	case kindAllocs:
		c.pkg, c.names = f[1], []string{f[2]}
		c.runs, err = positive("runs", f[3])
	case kindRatio:
		c.pkg, c.names = f[1], []string{f[2], f[3]}
		if c.runs, err = positive("runs", f[4]); err == nil {
			c.count, err = positive("count", f[5])
		}
		if err == nil && !sameShape(f[2], f[3]) {
			err = fmt.Errorf("%s and %s must both be top-level or both under one benchmark, to run in one go test", f[2], f[3])
		}
	case kindIO:
		c.names = []string{f[1], f[2]}
		for _, s := range c.names {
			if s != "uring" && s != "epoll" && s != "gonet" {
				err = fmt.Errorf("io server %q: want uring, epoll or gonet", s)
			}
		}
	}
	if err != nil {
		return check{}, err
	}
	for _, name := range c.names {
		if k != kindIO && !strings.HasPrefix(name, "Benchmark") {
			return check{}, fmt.Errorf("%q is not a benchmark name", name)
		}
	}
	if k != kindIO && !strings.HasPrefix(c.pkg, "./") {
		return check{}, fmt.Errorf("package %q: want a module-relative path (./...)", c.pkg)
	}
	return c, nil
}

func positive(what, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s %q: want a positive integer", what, s)
	}
	return n, nil
}

func parseLimit(s string) (limit, error) {
	if s == "-" {
		return limit{}, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return limit{}, fmt.Errorf("limit %q: want a non-negative number or -", s)
	}
	return limit{value: v, set: true}, nil
}

// sameShape reports whether two benchmark names can be selected by one
// -bench pattern: both top-level, or both below the same top-level name
// at the same depth.
func sameShape(a, b string) bool {
	pa, pb := strings.Split(a, "/"), strings.Split(b, "/")
	if len(pa) != len(pb) {
		return false
	}
	return len(pa) == 1 || pa[0] == pb[0]
}
