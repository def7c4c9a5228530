package config

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps engine/config at layer L0 (STYLE.md §2): the standard library only, no
// other engine package, nothing from cmd or bench.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const self = "github.com/volleymta/volley/engine/config"
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue // a standard-library package
		}
		if dep := strings.Fields(line)[0]; dep != self && dep != self+".test" && dep != self+"_test" {
			t.Errorf("engine/config (with tests) depends on %s", line)
		}
	}
}
