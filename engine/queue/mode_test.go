package queue

import "testing"

func TestMode(t *testing.T) {
	var q Queue
	if q.Mode() != ModeNormal || q.Mode().String() != "normal" {
		t.Errorf("a new queue: %v", q.Mode())
	}
	q.Backoff = true
	if q.Mode() != ModeBackoff || q.Mode().String() != "backoff" {
		t.Errorf("a backoff queue: %v", q.Mode())
	}
	q.Paused = true
	if q.Mode() != ModeBackoff {
		t.Errorf("a paused backoff queue: %v", q.Mode())
	}
	if ModeNone.String() != "" || modeCount.String() != "" || Mode(200).String() != "" {
		t.Error("ModeNone and out-of-range modes must read as empty")
	}
	if len(modeNames) != int(modeCount) {
		t.Error("modeNames does not cover every mode")
	}
}
