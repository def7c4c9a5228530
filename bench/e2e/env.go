package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// envInfo describes the machine and the software of a run: the report's
// header, since these numbers mean little without it.
type envInfo struct {
	Date       string  `json:"date"`
	CPU        string  `json:"cpu"`
	CPUs       int     `json:"cpus"`
	MemoryGiB  int     `json:"memory_gib"`
	Kernel     string  `json:"kernel"`
	Go         string  `json:"go"`
	Commit     string  `json:"commit"`
	Postfix    string  `json:"postfix,omitempty"`
	Haraka     string  `json:"haraka,omitempty"`
	HarakaWhy  string  `json:"haraka_not_run,omitempty"`
	PostfixWhy string  `json:"postfix_not_run,omitempty"`
	Filesystem string  `json:"filesystem"`
	LoadAvg    string  `json:"loadavg_at_start"`
	Nofile     uint64  `json:"rlimit_nofile"`
	Minutes    float64 `json:"minutes"`
}

func collectEnv(tmp string) envInfo {
	e := envInfo{
		Date:   time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		CPUs:   runtime.NumCPU(),
		Kernel: strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
	}
	for line := range strings.Lines(readFile("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			e.CPU = strings.TrimSpace(v)
			break
		}
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		e.MemoryGiB = int((uint64(si.Totalram)*uint64(si.Unit) + 1<<29) >> 30)
	}
	if f := strings.Fields(readFile("/proc/loadavg")); len(f) >= 3 {
		e.LoadAvg = strings.Join(f[:3], " ")
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		e.Go = strings.TrimSpace(string(out))
	}
	e.Commit = "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		e.Commit = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			e.Commit += " (with uncommitted changes)"
		}
	}
	e.Filesystem = fsType(tmp)
	return e
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// fsType names the file system dir is on (where the spools and queues live).
func fsType(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return "unknown"
	}
	switch uint32(st.Type) {
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x01021994:
		return "tmpfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794C7630:
		return "overlayfs"
	}
	return "unknown"
}
