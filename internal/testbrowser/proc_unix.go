//go:build unix

package testbrowser

import (
	"os/exec"
	"syscall"
)

// killGroup starts cmd in a process group of its own and makes a cancelled
// context kill the whole group: Chromium forks renderer and helper
// processes that would otherwise outlive the test.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
