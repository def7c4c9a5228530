package main

import (
	"bufio"
	"regexp"
	"strconv"
	"strings"
)

// result is one line of `go test -bench` output.
type result struct {
	name    string // without the -GOMAXPROCS suffix
	iters   int
	nsPerOp float64
	// allocs is allocs/op; hasAlloc says the line had it (-benchmem).
	allocs   float64
	hasAlloc bool
}

// procsSuffix is the "-8" go test appends to a benchmark name when
// GOMAXPROCS is not 1. Gated benchmark names must not end in -digits.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBench returns the benchmark result lines of go test output, in
// order; everything else (logs, PASS, ok) is ignored.
func parseBench(out string) []result {
	var rs []result
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		iters, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		r := result{name: procsSuffix.ReplaceAllString(f[0], ""), iters: iters}
		ok := false
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "ns/op":
				r.nsPerOp, ok = v, true
			case "allocs/op":
				r.allocs, r.hasAlloc = v, true
			}
		}
		if ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// matches reports whether result name got is the benchmark want or one
// of its sub-benchmarks (a threshold on a family covers every member).
func matches(got, want string) bool {
	return got == want || strings.HasPrefix(got, want+"/")
}

// benchPattern is the -bench argument selecting exactly names (all of one
// shape, see sameShape): an anchored alternation per level of the name.
// It may select more combinations of levels than asked; results are
// filtered by name afterwards.
func benchPattern(names []string) string {
	var levels [][]string
	for _, n := range names {
		for i, part := range strings.Split(n, "/") {
			if i == len(levels) {
				levels = append(levels, nil)
			}
			if !contains(levels[i], part) {
				levels[i] = append(levels[i], part)
			}
		}
	}
	pats := make([]string, len(levels))
	for i, parts := range levels {
		q := make([]string, len(parts))
		for j, p := range parts {
			q[j] = regexp.QuoteMeta(p)
		}
		pats[i] = "^(" + strings.Join(q, "|") + ")$"
	}
	return strings.Join(pats, "/")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fastest returns the lowest ns/op among the results of benchmark name
// (several with -count), and whether there was one.
func fastest(rs []result, name string) (float64, bool) {
	best, found := 0.0, false
	for _, r := range rs {
		if r.name == name && (!found || r.nsPerOp < best) {
			best, found = r.nsPerOp, true
		}
	}
	return best, found
}
