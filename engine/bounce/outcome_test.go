package bounce

import (
	"fmt"
	"testing"

	"github.com/volleymta/volley/spool"
)

func TestActionString(t *testing.T) {
	want := map[Action]string{
		0: "invalid", ActionFailed: "failed", ActionDelayed: "delayed", ActionDelivered: "delivered",
		ActionRelayed: "relayed", ActionExpanded: "expanded", actionCount: "invalid", 200: "invalid",
	}
	for a, s := range want {
		if a.String() != s {
			t.Errorf("Action(%d).String() = %q, want %q", a, a.String(), s)
		}
	}
	if len(actionNames) != int(actionCount) || len(textHeading) != int(actionCount) {
		t.Fatal("a table has not actionCount rows")
	}
	for a := ActionFailed; a < actionCount; a++ {
		if textHeading[a] == "" {
			t.Errorf("no text heading for %v", a)
		}
	}
}

// TestNeeded runs every NOTIFY set against every action, for a real and the
// null sender, with and without delay notices by default.
func TestNeeded(t *testing.T) {
	const (
		F = spool.NotifyFailure
		D = spool.NotifyDelay
		S = spool.NotifySuccess
		N = spool.NotifyNever
	)
	acts := []Action{ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded}
	// want: for each action in acts' order, '1' when a DSN is due.
	cases := []struct {
		name   string
		notify spool.Notify
		pol    Policy
		want   string
	}{
		{"absent", 0, Policy{}, "10000"},
		{"absent, delay by default", 0, Policy{DelayWhenAbsent: true}, "11000"},
		{"NEVER", N, Policy{}, "00000"},
		{"NEVER, delay by default", N, Policy{DelayWhenAbsent: true}, "00000"},
		{"FAILURE", F, Policy{}, "10000"},
		{"FAILURE, delay by default", F, Policy{DelayWhenAbsent: true}, "10000"},
		{"DELAY", D, Policy{}, "01000"},
		{"SUCCESS", S, Policy{}, "00111"},
		{"SUCCESS,FAILURE", S | F, Policy{}, "10111"},
		{"FAILURE,DELAY", F | D, Policy{}, "11000"},
		{"SUCCESS,FAILURE,DELAY", S | F | D, Policy{}, "11111"},
		{"SUCCESS,DELAY", S | D, Policy{}, "01111"},
		{"all, suppressed", S | F | D, Policy{Suppress: true}, "00000"},
		{"absent, suppressed", 0, Policy{Suppress: true}, "00000"},
	}
	for _, tc := range cases {
		for _, from := range []string{"sender@example.org", ""} {
			t.Run(fmt.Sprintf("%s/from=%q", tc.name, from), func(t *testing.T) {
				m := &spool.Message{From: from}
				for i, a := range acts {
					o := Outcome{Recipient: spool.Recipient{Addr: "rcpt@example.com", Notify: tc.notify}, Action: a}
					want := tc.want[i] == '1' && from != "" // RFC 5321 §4.5.5: never to <>
					if got := Needed(m, o, tc.pol); got != want {
						t.Errorf("%v: Needed = %v, want %v", a, got, want)
					}
				}
			})
		}
	}
	if Needed(nil, Outcome{Action: ActionFailed}, Policy{}) {
		t.Error("Needed(nil message) = true")
	}
	if Needed(&spool.Message{From: "a@b"}, Outcome{}, Policy{}) {
		t.Error("Needed for an outcome without action = true")
	}
}
