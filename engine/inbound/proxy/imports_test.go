package proxy

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps engine/inbound/proxy on the standard library (STYLE.md
// §2; doc.go says why go-proxyproto is not used): its dependencies, tests
// included, are standard packages and itself.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const self = "github.com/volleymta/volley/engine/inbound/proxy"
	for _, dep := range strings.Split(string(out), "\n") {
		switch dep = strings.TrimSpace(dep); dep {
		case "", self, self + ".test", self + " [" + self + ".test]":
		default:
			t.Errorf("engine/inbound/proxy depends on %s", dep)
		}
	}
}
