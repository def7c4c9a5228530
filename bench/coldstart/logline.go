//go:build linux

package main

import (
	"fmt"
	"strings"
	"time"
)

// The volleyd log lines the benchmark reads. volleyd logs through slog's
// text handler, so a message appears as msg="..." with Go quoting; the
// parsers look for the message text itself and tolerate either form.
const (
	// every message of volleyd's own starts with it
	listeningPrefix = "volleyd: "
	// engine/handoff.go: "volleyd: N messages, N recipients queued from the spool in DURATION"
	queuedInfix = " recipients queued from the spool in "
	// engine/handoff.go: "volleyd: reading the spool at start: ERR (after N messages)"
	scanFailedText = "volleyd: reading the spool at start: "
)

// queued is the start scan's summary line: the queue index is complete.
type queued struct {
	messages, recipients int
	took                 time.Duration
}

// parseQueued parses "volleyd: N messages, N recipients queued from the
// spool in DURATION", DURATION in time.Duration's String form.
func parseQueued(line string) (queued, bool, error) {
	head, tail, ok := strings.Cut(line, queuedInfix)
	if !ok {
		return queued{}, false, nil
	}
	_, head, ok = strings.Cut(head, listeningPrefix)
	if !ok {
		return queued{}, true, fmt.Errorf("queued line without %q: %q", listeningPrefix, line)
	}
	var q queued
	if _, err := fmt.Sscanf(head, "%d messages, %d", &q.messages, &q.recipients); err != nil {
		return queued{}, true, fmt.Errorf("queued line %q: %w", line, err)
	}
	d := tail
	if i := strings.IndexAny(d, "\" "); i >= 0 {
		d = d[:i]
	}
	took, err := time.ParseDuration(d)
	if err != nil {
		return queued{}, true, fmt.Errorf("queued line %q: %w", line, err)
	}
	q.took = took
	return q, true, nil
}

// parseScanFailed returns the error text of a failed start scan.
func parseScanFailed(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, scanFailedText)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(rest, `"`), true
}
