package outbound

import (
	"net/netip"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
)

// The queue's smtp-pattern-list: replies from the receiver (at connect,
// RCPT or DATA) that change how the queue delivers (PowerMTA's reference
// §2.6). A domain without its own list uses Volley's built-in list of the
// big receivers' throttling replies (config.DefaultPatternList).

// patterns returns the pattern list of the queue's domain settings.
func (st *queueState) patterns() *config.SMTPPatternList {
	name := st.ds.SMTPPatternList
	if l := st.d.o.Config.PatternList(name); l != nil {
		return l
	}
	if name == "" || name == config.DefaultPatternListName {
		return config.DefaultPatternList()
	}
	return nil // a list the config does not define: configtest reports it
}

// replyActions are what one matched reply asks of the queue beyond its
// own recipient's outcome, applied once the outcomes are settled.
type replyActions struct {
	deferQueue, bounceQueue string // the reply, when asked
}

// matchReply applies the pattern list to reply, a server's answer on
// session s (nil at connect before a session exists): it switches the
// queue's mode, disables the source address, and returns whether this
// recipient must bounce and what the whole queue must do.
func (st *queueState) matchReply(reply string, s *Session, acts *replyActions) (bounceRcpt, skipMX bool) {
	l := st.patterns()
	if l == nil || reply == "" || reply[0] == '2' {
		return false, false
	}
	a, ok := l.Match(reply)
	if !ok {
		return false, false
	}
	switch a.Mode {
	case config.ModeBackoff:
		st.setBackoff(true, reply)
	case config.ModeNormal:
		st.setBackoff(false, reply)
	}
	if a.DisableSourceIP && s != nil && s.T.Source.IsValid() && st.d.o.DisableSource != nil {
		after := a.ReenableAfter
		if after <= 0 {
			after = st.ds.ReenableSourceIPAfter
		}
		st.d.o.DisableSource(s.T.Source, st.q.Key, after)
		if after > 0 {
			st.kickAfter(after) // it may be the queue's only source
		}
		st.d.o.Logf("outbound: %s: source %s disabled by %q (re-enabled after %v; 0: by hand)", st.q.Key, s.T.Source, reply, after)
	}
	if a.DeferQueue {
		acts.deferQueue = reply
	}
	if a.BounceQueue {
		acts.bounceQueue = reply
	}
	return a.BounceRcpt, a.SkipMX
}

// finishActions carries out the queue-wide actions of the replies seen.
func (st *queueState) finishActions(acts *replyActions) {
	switch {
	case acts.bounceQueue != "":
		st.finishReady(Bounced, acts.bounceQueue)
	case acts.deferQueue != "":
		st.finishReady(Deferred, acts.deferQueue)
	}
}

// setBackoff switches the queue's mode. Entering backoff arms the return
// to normal after backoff-to-normal-after, if set.
func (st *queueState) setBackoff(on bool, why string) {
	q := st.q
	if q.Backoff == on {
		return
	}
	q.Backoff = on
	mode := "normal"
	if on {
		mode = "backoff"
	}
	st.d.o.Logf("outbound: %s: %s mode (%s)", q.Key, mode, why)
	if !on {
		st.d.Kick(q)
		return
	}
	st.backoffGen++
	if after := st.ds.BackoffToNormalAfter; after > 0 {
		gen := st.backoffGen
		st.d.o.Reactor.AfterFunc(after, func() {
			if q.Backoff && st.backoffGen == gen {
				st.setBackoff(false, "backoff-to-normal-after "+after.String())
			}
		})
	}
}

// afterDelivery returns a backoff queue to normal on a delivery when the
// domain says so (backoff-to-normal-after-delivery).
func (st *queueState) afterDelivery() {
	if st.q.Backoff && st.ds.BackoffToNormalAfterDelivery {
		st.setBackoff(false, "backoff-to-normal-after-delivery")
	}
}

// DisableSourceFunc takes a source address out of use for one queue for a
// while (0: until re-enabled by hand): the disable-source-ip action.
type DisableSourceFunc func(src netip.Addr, k queue.Key, for_ time.Duration)
