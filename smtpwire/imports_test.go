package smtpwire

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces the package's place in the design: the standard library only, and
// none of the packages that would let the codec do I/O, block, or format on the hot path.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := map[string]bool{"net": true, "os": true, "syscall": true, "time": true, "sync": true, "log": true, "fmt": true}
	for _, imp := range strings.Fields(string(out)) {
		if strings.Contains(strings.Split(imp, "/")[0], ".") {
			t.Errorf("smtpwire imports %s: only the standard library is allowed", imp)
		}
		if banned[imp] {
			t.Errorf("smtpwire imports %s outside tests", imp)
		}
	}
	deps, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	// Lines look like "path" or "path [path.test]" for the package recompiled with its tests.
	for _, line := range strings.Split(string(deps), "\n") {
		if strings.TrimSpace(line) == "" {
			continue // a standard-library package
		}
		dep := strings.Fields(line)[0]
		if dep != "github.com/volleymta/volley/smtpwire" && dep != "github.com/volleymta/volley/smtpwire.test" {
			t.Errorf("smtpwire (with tests) depends on %s", line)
		}
	}
}
