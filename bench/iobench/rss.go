//go:build linux

package main

import (
	"fmt"
	"os"

	"github.com/volleymta/volley/bench/internal/procstat"
)

// vmRSS returns a process's resident set size in bytes, from the VmRSS line
// of /proc/<pid>/status.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	n, err := procstat.ParseStatus(b, "VmRSS")
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return n, nil
}
