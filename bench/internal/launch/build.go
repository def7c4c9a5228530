package launch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build builds cmd/volleyd into dir, the go command's output going to
// stderr. -checklinkname=0 because giouring reaches syscall.mmap through
// go:linkname, which the linker refuses by default.
func Build(dir string) (string, error) {
	out := filepath.Join(dir, "volleyd")
	cmd := exec.Command("go", "build", "-ldflags=-checklinkname=0", "-o", out, "github.com/volleymta/volley/cmd/volleyd")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/volleyd: %w", err)
	}
	return out, nil
}

// Binary returns bin, the -volleyd flag's value, or when it is empty
// builds volleyd into dir, so a run can use a binary built once.
func Binary(bin, dir string, logf func(string, ...any)) (string, error) {
	if bin != "" {
		return bin, nil
	}
	logf("building volleyd")
	return Build(dir)
}
