// Package testbrowser drives Debian's headless Chromium from tests: it
// loads a page, lets its scripts run, and returns the resulting DOM or a
// screenshot. A missing browser skips the test, except under
// VOLLEY_REQUIRE_PEERS (CI), where it fails it.
//
// Responsibility: find the browser, run it once per call with a throwaway
// profile and home directory, bound its run time, and place screenshot
// artifacts where CI collects them (VOLLEY_ARTIFACTS).
//
// Not responsible for: serving the page (tests start their own
// httptest server) or parsing the DOM (callers match on the serialized text).
//
// Concurrency: each call starts its own browser process; calls may run in
// parallel tests.
//
// Failure behaviour: a browser that fails, produces no output or outlives
// its timeout fails the test, with the browser's stderr (which is noisy
// even on success) included only in that failure message. On timeout the
// whole process group is killed.
//
// It is used by tests only and imports the standard library only.
package testbrowser
