//go:build linux

package main

import "github.com/volleymta/volley/bench/internal/procstat"

// nofileLimit is the RLIMIT_NOFILE asked for: 10,000 connections need that
// many descriptors on each side, and the benchmark runs as root, which may
// raise the hard limit too.
const nofileLimit = 200000

// raiseNofile sets RLIMIT_NOFILE (soft and hard) to nofileLimit, or failing
// that (not root) raises the soft limit to the hard one, before the
// children start, so that they inherit it.
func raiseNofile() error {
	_, err := procstat.RaiseNofile(nofileLimit)
	return err
}
