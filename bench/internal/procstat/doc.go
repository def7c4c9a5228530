// Package procstat reads what the benchmarks measure of a process from
// /proc: its memory (VmRSS, VmHWM) and its CPU time. It also raises this
// process's RLIMIT_NOFILE so that the servers a benchmark starts inherit
// a limit that fits the load.
//
// Responsibility: parsing /proc/PID/status and /proc/PID/stat; the parsers
// take the file's text so they are tested without a process.
//
// Not responsible for: process trees, disk I/O counters or machine-wide CPU
// (each benchmark counts those its own way).
//
// Concurrency: the functions keep no state and may be called from any
// goroutine.
//
// Failure behaviour: a missing or malformed field is an error; nothing is
// guessed.
package procstat
