//go:build linux

package main

import "golang.org/x/sys/unix"

// nofileLimit is the RLIMIT_NOFILE asked for: 10,000 connections need that
// many descriptors on each side, and the benchmark runs as root, which may
// raise the hard limit too.
const nofileLimit = 200000

// raiseNofile sets RLIMIT_NOFILE (soft and hard) to nofileLimit, or failing
// that (not root) raises the soft limit to the hard one. unix.Setrlimit goes
// through the syscall package, so the children started afterwards inherit
// the new limit instead of the one Go saved at start-up.
func raiseNofile() error {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		return err
	}
	if cur.Cur >= nofileLimit && cur.Max >= nofileLimit {
		return nil
	}
	want := unix.Rlimit{Cur: nofileLimit, Max: max(cur.Max, nofileLimit)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err == nil {
		return nil
	}
	want = unix.Rlimit{Cur: cur.Max, Max: cur.Max}
	return unix.Setrlimit(unix.RLIMIT_NOFILE, &want)
}
