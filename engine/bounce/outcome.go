package bounce

import (
	"time"

	"github.com/volleymta/volley/spool"
)

// Action is a DSN's Action field (RFC 3464 §2.3.3). The zero value is not a
// valid action, so an Outcome whose Action was never set is refused by Build.
type Action uint8

const (
	// ActionFailed: the message could not be delivered and will not be retried.
	ActionFailed Action = iota + 1
	// ActionDelayed: not delivered yet; delivery goes on.
	ActionDelayed
	// ActionDelivered: delivered to the recipient's mailbox.
	ActionDelivered
	// ActionRelayed: handed to a next hop that does not offer DSN, which will
	// send no further notification (RFC 3461 §4.1, SUCCESS).
	ActionRelayed
	// ActionExpanded: delivered to an address that forwarded it to several
	// others (an alias or list).
	ActionExpanded
	actionCount
)

var actionNames = [actionCount]string{"", "failed", "delayed", "delivered", "relayed", "expanded"}

// String returns the action as written in the Action field, or "invalid".
func (a Action) String() string {
	if !a.valid() {
		return "invalid"
	}
	return actionNames[a]
}

func (a Action) valid() bool { return a > 0 && a < actionCount }

// success reports whether a is one of the actions NOTIFY=SUCCESS asks for.
func (a Action) success() bool {
	return a == ActionDelivered || a == ActionRelayed || a == ActionExpanded
}

// Outcome is what happened to one recipient, as a DSN reports it.
type Outcome struct {
	// Recipient is the recipient: Addr becomes Final-Recipient, ORCPT
	// Original-Recipient, and Notify decides whether a DSN is due (Needed).
	Recipient spool.Recipient
	// Action is required.
	Action Action
	// Status is the RFC 3463 enhanced status code, "5.1.1". Empty or
	// malformed means the action's default: 5.0.0 for failed, 4.0.0 for
	// delayed, 2.0.0 otherwise.
	Status string
	// RemoteMTA is the host that gave the reply, "mx.example.com" (written
	// "dns; mx.example.com") or already typed ("dns; mx.example.com"); "" for
	// none, e.g. when no host answered.
	RemoteMTA string
	// Diagnostic is the reply or the local reason, typed as in
	// "smtp; 550 5.1.1 user unknown". An untyped reply that starts with a
	// reply code is typed "smtp", other untyped text "X-Volley". "" for none.
	Diagnostic string
	// LastAttempt is the time of the last delivery attempt; zero for none.
	LastAttempt time.Time
	// WillRetryUntil is when delivery will give up; used for delayed only
	// (RFC 3464 §2.3.9); zero for none.
	WillRetryUntil time.Time
}

// Policy is the configured part of the decision whether a DSN is due. The
// zero value is PowerMTA's default.
type Policy struct {
	// DelayWhenAbsent sends delay notices to recipients that gave no NOTIFY
	// parameter, as RFC 3461 §4.1 lets an MTA choose to. Default false:
	// delay notices only for NOTIFY=DELAY.
	DelayWhenAbsent bool
	// Suppress turns off every DSN (suppress-local-dsn for the message's
	// source). Default false.
	Suppress bool
}

// Needed reports whether outcome o of a recipient of m calls for a DSN to
// m.From. Never for the null reverse path (RFC 5321 §4.5.5: no notification
// about a notification) or NOTIFY=NEVER. Otherwise, per RFC 3461 §4.1:
// failed when NOTIFY has FAILURE or is absent; delayed when NOTIFY has DELAY,
// or is absent and pol.DelayWhenAbsent; delivered, relayed and expanded when
// NOTIFY has SUCCESS. The caller reports "relayed" only for a next hop
// without DSN: a next hop with DSN gets NOTIFY passed on and reports itself.
func Needed(m *spool.Message, o Outcome, pol Policy) bool {
	if m == nil || m.From == "" || pol.Suppress {
		return false
	}
	n := o.Recipient.Notify
	if n&spool.NotifyNever != 0 {
		return false
	}
	switch {
	case o.Action == ActionFailed:
		return n == 0 || n&spool.NotifyFailure != 0
	case o.Action == ActionDelayed:
		return n&spool.NotifyDelay != 0 || n == 0 && pol.DelayWhenAbsent
	case o.Action.success():
		return n&spool.NotifySuccess != 0
	}
	return false
}
