//go:build ignore

// Command nouring runs a command with io_uring_setup(2) refused with EPERM, which is what
// the kernel answers a process that kernel.io_uring_disabled=1 (without io_uring_group
// membership or CAP_SYS_ADMIN) or =2 denies, and what a seccomp profile that blocks
// io_uring answers. It shows how volleyd starts where io_uring is not allowed without
// changing the machine-wide sysctl. It is not part of the build (the ignore constraint):
//
//	go build -o nouring ./perf/tuning/nouring.go
//	./nouring volleyd --config volley.conf    # logs "io engine: epoll, N shards (...)"
//
// It installs a seccomp filter (no new privileges) and execs the command; the filter
// is inherited by everything the command starts and cannot be removed.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioUringSetup is __NR_io_uring_setup: 425 on every architecture (the numbers from 424
// on are shared by all of them).
const ioUringSetup = 425

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nouring COMMAND [ARG...]")
		os.Exit(2)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fail(err)
	}
	// The filter: load the syscall number; io_uring_setup returns EPERM, all else runs.
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: ioUringSetup},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err))
	}
	// SECCOMP_FILTER_FLAG_TSYNC applies the filter to every thread of this Go process,
	// so the exec below runs filtered whichever thread makes it.
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog))); errno != 0 {
		fail(fmt.Errorf("seccomp: %w", errno))
	}
	fail(syscall.Exec(path, os.Args[1:], os.Environ()))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nouring:", err)
	os.Exit(1)
}
