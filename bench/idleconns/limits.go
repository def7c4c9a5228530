//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fdMargin is the descriptors left to volleyd beyond those it holds at idle
// when the benchmark sizes its load: Pebble opens table files and its WAL
// as it runs, and a connection refused for want of a descriptor is not one
// the benchmark wants to count.
const fdMargin = 64

// nofileNeed is the RLIMIT_NOFILE volleyd needs for n connections.
func nofileNeed(n int) uint64 { return uint64(n) + 1024 }

// limitsReport says what the benchmark tried on the descriptor limits.
type limitsReport struct {
	// NofileWanted is the RLIMIT_NOFILE asked for volleyd (inherited from
	// this process); RaiseError why it was refused, or "".
	NofileWanted uint64 `json:"nofile_wanted"`
	RaiseError   string `json:"nofile_raise_error"`
	// NrOpen is fs.nr_open, the ceiling of any RLIMIT_NOFILE; NrOpenSet
	// says the benchmark raised it (and restores it at exit).
	NrOpen    uint64 `json:"nr_open"`
	NrOpenSet bool   `json:"nr_open_raised"`
	// Somaxconn and PortRange are read, not changed: volleyd's listen
	// backlog (4096) and the source-address spread make changes needless.
	Somaxconn string `json:"somaxconn"`
	PortRange string `json:"ip_local_port_range"`

	restoreNrOpen string
}

// raiseLimits raises fs.nr_open if it is below what n connections need and
// this process's RLIMIT_NOFILE (soft and hard) to that value, so volleyd,
// started afterwards, inherits it. unix.Setrlimit goes through the syscall
// package, so children get the new limit rather than the one Go saved at
// start-up. A refusal is reported, not fatal: the run then holds what the
// old limit allows.
func raiseLimits(n int) *limitsReport {
	rep := &limitsReport{NofileWanted: nofileNeed(n)}
	rep.Somaxconn = readSysctl("net/core/somaxconn")
	rep.PortRange = strings.Join(strings.Fields(readSysctl("net/ipv4/ip_local_port_range")), "-")
	old := readSysctl("fs/nr_open")
	nrOpen, _ := strconv.ParseUint(old, 10, 64)
	rep.NrOpen = nrOpen
	if nrOpen < rep.NofileWanted {
		if err := writeSysctl("fs/nr_open", strconv.FormatUint(rep.NofileWanted, 10)); err == nil {
			rep.NrOpen, rep.NrOpenSet, rep.restoreNrOpen = rep.NofileWanted, true, old
		}
	}
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		rep.RaiseError = fmt.Sprintf("getrlimit(RLIMIT_NOFILE): %v", err)
		return rep
	}
	if cur.Cur >= rep.NofileWanted {
		return rep // never lower a limit
	}
	want := unix.Rlimit{Cur: rep.NofileWanted, Max: max(cur.Max, rep.NofileWanted)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		rep.RaiseError = fmt.Sprintf("setrlimit(RLIMIT_NOFILE, %d): %v", want.Cur, err)
	}
	return rep
}

// restore undoes raiseLimits' sysctl change.
func (rep *limitsReport) restore() error {
	if rep.restoreNrOpen == "" {
		return nil
	}
	return writeSysctl("fs/nr_open", rep.restoreNrOpen)
}

func readSysctl(name string) string {
	b, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func writeSysctl(name, v string) error {
	return os.WriteFile("/proc/sys/"+name, []byte(v+"\n"), 0)
}

// nofileOf returns a process's RLIMIT_NOFILE (soft, hard) from
// /proc/PID/limits.
func nofileOf(pid int) (soft, hard uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		return 0, 0, err
	}
	return parseNofile(b)
}

// parseNofile finds the "Max open files  SOFT  HARD  files" line of a
// /proc limits file ("unlimited" counts as the largest value).
func parseNofile(limits []byte) (soft, hard uint64, err error) {
	for line := range bytes.Lines(limits) {
		rest, ok := bytes.CutPrefix(line, []byte("Max open files"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 2 {
			break
		}
		if soft, err = limitValue(string(f[0])); err == nil {
			hard, err = limitValue(string(f[1]))
		}
		return soft, hard, err
	}
	return 0, 0, fmt.Errorf("no \"Max open files\" line")
}

func limitValue(s string) (uint64, error) {
	if s == "unlimited" {
		return ^uint64(0), nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// openFDs counts a process's open descriptors.
func openFDs(pid int) (int, error) {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	return len(ents), err
}

// tcpMemBytes returns the kernel's TCP socket buffer memory (the "mem"
// pages of /proc/net/sockstat's TCP line), for every socket on the host:
// both ends of a loopback connection count.
func tcpMemBytes() int64 {
	b, err := os.ReadFile("/proc/net/sockstat")
	if err != nil {
		return 0
	}
	return parseSockstatMem(b) * int64(os.Getpagesize())
}

// parseSockstatMem returns the pages of "TCP: ... mem N" in sockstat text.
func parseSockstatMem(b []byte) int64 {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("TCP:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		for i := 0; i+1 < len(f); i += 2 {
			if string(f[i]) == "mem" {
				n, _ := strconv.ParseInt(string(f[i+1]), 10, 64)
				return n
			}
		}
	}
	return 0
}
