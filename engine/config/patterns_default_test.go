package config

import "testing"

// TestDefaultPatternList checks the built-in list against the receivers'
// documented throttling replies, and that replies about one mailbox, a
// greylisting delay or a recipient limit leave the queue's pace alone.
func TestDefaultPatternList(t *testing.T) {
	l := DefaultPatternList()
	for _, reply := range []string{
		"421-4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
		"421-4.7.0 [192.0.2.1] Our system has detected that this message is suspicious; temporarily rate limited",
		"450-4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.",
		"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
		"421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints",
		"451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation.",
		"451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714)",
		"421 4.3.2 Server busy. Please try again later",
		"421 4.7.0 mx.example: Too many connections from your IP",
		"421-4.7.0 Try again later, ratelimit exceeded",
		"421 mwinf5c01 ME Service refuse. Veuillez essayer plus tard. OFR_999 [999]",
		"421 4.7.0 RL000001 too many sessions from 192.0.2.1",
		"452 4.7.0 Please slow down",
	} {
		a, ok := l.Match(reply)
		if !ok || a.Mode != ModeBackoff {
			t.Errorf("no backoff for %q", reply)
		}
	}
	for _, reply := range []string{
		"550 5.1.1 The email account that you tried to reach does not exist.",
		"452 4.2.2 The email account that you tried to reach is over quota.",
		"451 4.7.1 Greylisting in action, please try again later",
		"452 4.5.3 Too many recipients",
		"250 2.0.0 OK queued",
	} {
		if _, ok := l.Match(reply); ok {
			t.Errorf("%q matched the built-in list", reply)
		}
	}
}
