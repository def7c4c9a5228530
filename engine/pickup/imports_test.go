package pickup

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps engine/pickup at layer L2 (STYLE.md §2): of the module it
// may use spool, smtpwire and engine/config; of the rest fsnotify and, in
// tests, Pebble, besides the standard library and their own dependencies.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/volleymta/volley/"
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// A test variant prints as "pkg [pkg.test]": judge the package.
		dep, _, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(dep, mod) {
			continue // fsnotify, Pebble and what they need
		}
		switch p := strings.TrimPrefix(dep, mod); {
		case p == "engine/pickup", p == "engine/pickup.test", p == "engine/pickup_test",
			p == "spool", p == "smtpwire", p == "engine/config":
		default:
			t.Errorf("engine/pickup depends on %s", line)
		}
	}
}
