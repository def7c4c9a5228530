// Package launch runs volleyd for the benchmark programs: it builds the
// daemon into a temporary directory, writes its config, starts it with
// its log followed line by line, and stops it, returning the CPU time it
// used. It also makes the run's temporary directory and finds free
// loopback ports.
//
// Responsibility: the volleyd process's life cycle, the same in every
// benchmark.
//
// Not responsible for: what a benchmark reads from the log (each passes a
// line callback) or measures of the process (package procstat).
//
// Concurrency: Start runs two goroutines per daemon, one reading its log
// and one waiting for its exit; the line callback runs on the first.
//
// Failure behaviour: errors are returned; a daemon that does not stop in
// time is killed and the error says so.
package launch
