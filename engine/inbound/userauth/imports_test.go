package userauth

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps engine/inbound/userauth small (STYLE.md §2): besides the standard library
// it may use engine/config and golang.org/x/crypto, plus golang.org/x/sys/cpu, which
// x/crypto's argon2 and blake2b import for CPU feature detection.
func TestImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const self = "github.com/volleymta/volley/engine/inbound/userauth"
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue // a standard-library package
		}
		// A test variant prints as "pkg [pkg.test]": judge the package.
		dep, _, _ := strings.Cut(line, " ")
		switch {
		case dep == self, dep == self+".test", dep == self+"_test",
			dep == "github.com/volleymta/volley/engine/config",
			strings.HasPrefix(dep, "golang.org/x/crypto/"),
			dep == "golang.org/x/sys/cpu":
		default:
			t.Errorf("engine/inbound/userauth depends on %s", line)
		}
	}
}
