package ringbuf

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces STYLE.md §2: standard library only, and outside tests
// only sync/atomic, unsafe, math/bits, runtime (and sync for sleeping).
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := map[string]bool{"sync/atomic": true, "unsafe": true, "math/bits": true, "runtime": true, "sync": true}
	for _, imp := range strings.Fields(string(out)) {
		if !allowed[imp] {
			t.Errorf("ringbuf imports %s outside tests", imp)
		}
	}
	deps, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(string(deps), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		dep := strings.Fields(line)[0]
		if dep != "github.com/volleymta/volley/ringbuf" && dep != "github.com/volleymta/volley/ringbuf.test" {
			t.Errorf("ringbuf (with tests) depends on %s", line)
		}
	}
}
