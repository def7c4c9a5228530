// Package depcheck backs the imports tests that keep STYLE.md §2's layers:
// each package lists what it (with its tests) depends on and fails on
// anything outside its allowlist, as Pebble's internal/lint does.
//
// It is used by tests only and imports the standard library only. The
// leaves whose rule is "standard library only, tests included" (smtpwire,
// ringbuf) keep their own copy of the check, since importing this package
// would itself break their rule.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Module is the import path prefix of Volley's packages.
const Module = "github.com/volleymta/volley/"

// deps lists, for the package in the current directory, the module
// packages it depends on with its tests (transitively: a layer may not be
// reached through another), and its own direct non-standard imports
// (third-party libraries a package chooses; what they bring is theirs).
// It skips t when the go command is missing.
func deps(t testing.TB) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	list := func(args ...string) []string {
		out, err := exec.Command(goBin, append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		return strings.Split(string(out), "\n")
	}
	me := strings.TrimSpace(list("-f", "{{.ImportPath}}", ".")[0])
	var found []string
	for _, line := range list("-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".") {
		f := strings.Fields(line) // "pkg [pkg.test]" for test variants
		if len(f) == 0 || !strings.HasPrefix(f[0], Module) {
			continue
		}
		if p := f[0]; p != me && p != me+".test" && p != me+"_test" && !testHelpers[strings.TrimPrefix(p, Module)] {
			found = append(found, p)
		}
	}
	for _, imp := range list("-f", "{{join .Imports \"\\n\"}}", ".") {
		if imp = strings.TrimSpace(imp); strings.Contains(imp, ".") && !strings.HasPrefix(imp, Module) {
			found = append(found, imp)
		}
	}
	return found
}

// testHelpers are the module's test helpers (standard library only),
// which any package's tests may use.
var testHelpers = map[string]bool{"internal/depcheck": true, "internal/emul": true, "internal/testcert": true, "internal/testdns": true, "internal/testpeer": true, "internal/testbrowser": true, "internal/dkimpy": true, "internal/mailgen": true}

// Allow fails t for every dependency of the current package (see deps)
// that allowed rejects. Module packages are passed without the Module
// prefix ("spool", "engine/config"), others as their full path.
func Allow(t testing.TB, allowed func(dep string) bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range deps(t) {
		if !seen[d] && !allowed(strings.TrimPrefix(d, Module)) {
			t.Errorf("depends on %s, outside its layer (STYLE.md §2)", d)
		}
		seen[d] = true
	}
}

// OneOf returns an allowlist of exact names and of prefixes written with a
// trailing "...".
func OneOf(names ...string) func(string) bool {
	return func(dep string) bool {
		for _, n := range names {
			if dep == n || strings.HasSuffix(n, "...") && strings.HasPrefix(dep, strings.TrimSuffix(n, "...")) {
				return true
			}
		}
		return false
	}
}
