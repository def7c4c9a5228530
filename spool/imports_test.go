package spool

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces STYLE.md §2: spool uses the standard library, Pebble
// and klauspost/compress (and what they bring), and no other package of the module.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.Contains(imp, ".") && !strings.HasPrefix(imp, "github.com/cockroachdb/pebble/v2") &&
			!strings.HasPrefix(imp, "github.com/klauspost/compress/") {
			t.Errorf("spool imports %s", imp)
		}
	}
	deps, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(string(deps), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "github.com/volleymta/volley/") &&
			f[0] != "github.com/volleymta/volley/spool" && f[0] != "github.com/volleymta/volley/spool.test" {
			t.Errorf("spool (with tests) depends on %s", line)
		}
	}
}
