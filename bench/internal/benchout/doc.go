// Package benchout ends a benchmark program the same way in each: the
// result goes to stdout as one indented JSON object (-json) or as the
// program's own summary, and the exit status says whether the run
// failed, so scripts and the e2e suite can rely on both.
//
// Responsibility: printing a result and choosing the exit status.
//
// Not responsible for: the result's fields or the summary's text.
//
// Concurrency: called once, from main.
//
// Failure behaviour: a write error is printed to stderr with the
// program's name and counts as a failed run.
package benchout
