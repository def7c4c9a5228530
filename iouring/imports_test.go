package iouring

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports enforces STYLE.md §2: iouring uses the standard library,
// giouring, golang.org/x/sys and ringbuf, and nothing else of the module.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		dep := strings.Fields(line)[0] // "pkg [pkg.test]" for test variants
		switch {
		case dep == "github.com/volleymta/volley/iouring", dep == "github.com/volleymta/volley/iouring.test",
			dep == "github.com/volleymta/volley/ringbuf",
			dep == "github.com/pawelgaczynski/giouring", strings.HasPrefix(dep, "golang.org/x/sys/"):
		default:
			t.Errorf("iouring (with tests) depends on %s", dep)
		}
	}
}
