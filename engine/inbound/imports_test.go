package inbound

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps engine/inbound at layer L2 (STYLE.md §2): it may use the
// leaves (smtpwire, iouring, ringbuf, spool) and L0/L1 engine packages,
// never shard, mgmt, the root engine package, cmd or bench.
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
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], mod) {
			continue
		}
		switch p := strings.TrimPrefix(f[0], mod); {
		case strings.HasPrefix(p, "engine/inbound"), p == "smtpwire", p == "iouring", p == "ringbuf", p == "spool",
			p == "engine/config", p == "engine/queue":
		default:
			t.Errorf("engine/inbound depends on %s", line)
		}
	}
}
