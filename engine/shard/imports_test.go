package shard

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// TestImports keeps engine/shard at layer L3 (STYLE.md §2): it may use the
// leaves (iouring, ringbuf) and lower engine layers, never mgmt, the root
// engine package, cmd or bench.
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
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, mod) {
			continue // giouring, x/sys through iouring
		}
		switch p := strings.TrimPrefix(dep, mod); {
		case p == "engine/shard", p == "engine/shard.test", p == "iouring", p == "ringbuf",
			strings.HasPrefix(p, "engine/config"):
		default:
			t.Errorf("engine/shard depends on %s", dep)
		}
	}
}
