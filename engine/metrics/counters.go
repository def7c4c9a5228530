package metrics

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// categories are the values of volley_recipients_bounced_total's category
// label: PowerMTA's bounce categories, Volley's deleted (removed by an
// operator) and suppressed (refused by the suppression list), and Other.
var categories = [...]string{
	"bad-mailbox", "bad-domain", "routing-errors", "inactive-mailbox",
	"message-expired", "no-answer-from-host", "policy-related", "quota-issues",
	"spam-related", "virus-related", "content-related", "protocol-errors",
	"relaying-issues", "bad-connection", "bad-configuration", Other,
	"deleted", "suppressed",
}

// feedbackTypes are the values of volley_complaints_total's type label:
// ARF's feedback types (RFC 5965, 6430, 6591), opt-out for unsubscribe
// requests, and Other.
var feedbackTypes = [...]string{"abuse", "fraud", "virus", "not-spam", "auth-failure", "opt-out", Other}

// RemoteBounced counts one bounce the bounce processor read, by category
// (as Bounced bounds it).
func (m *Metrics) RemoteBounced(category string) {
	c, ok := m.remote[category]
	if !ok {
		c = m.remote[Other]
	}
	c.Inc()
}

// Complaint counts one feedback report by its feedback type; a type
// outside feedbackTypes counts as "other".
func (m *Metrics) Complaint(feedbackType string) {
	c, ok := m.complaints[feedbackType]
	if !ok {
		c = m.complaints[Other]
	}
	c.Inc()
}

// class is the value of volley_smtp_replies_total's class label.
type class uint8

const (
	class2xx class = iota
	class4xx
	class5xx
	classOther
	classCount
)

var classNames = [classCount]string{"2xx", "4xx", "5xx", Other}

func (c class) String() string { return classNames[c] }

// classify returns the class of an SMTP reply code (RFC 5321 §4.2.1): only
// three-digit codes of the 2, 4 and 5 families have one.
func classify(code int) class {
	switch {
	case code >= 200 && code <= 299:
		return class2xx
	case code >= 400 && code <= 499:
		return class4xx
	case code >= 500 && code <= 599:
		return class5xx
	}
	return classOther
}

// Received counts one message accepted from source, the name of its
// <source> block or its source kind (for example "smtp", "pickup", "http").
// The first MaxSources distinct sources get a series each; later ones, and
// any that is empty, over 128 bytes or not UTF-8, count as "other".
func (m *Metrics) Received(source string) { m.sources.counter(source).Inc() }

// Delivered counts n recipients delivered. n <= 0 is ignored.
func (m *Metrics) Delivered(n int) {
	if n > 0 {
		m.delivered.Add(float64(n))
	}
}

// Deferred counts n recipient attempts deferred. n <= 0 is ignored.
func (m *Metrics) Deferred(n int) {
	if n > 0 {
		m.deferred.Add(float64(n))
	}
}

// Bounced counts one recipient bounced in category, one of PowerMTA's
// bounce categories ("bad-mailbox", "policy-related", ...) or Volley's
// "deleted" or "suppressed"; any other value counts as "other".
func (m *Metrics) Bounced(category string) {
	c, ok := m.bounced[category]
	if !ok {
		c = m.bouncedOther
	}
	c.Inc()
}

// Reply counts one SMTP reply received from a remote server, by its class:
// 2xx, 4xx or 5xx, and "other" for any other code.
func (m *Metrics) Reply(code int) { m.replies[classify(code)].Inc() }

// DeliverySeconds records how long a delivered recipient waited, from its
// queuing to its delivery. A negative d (a clock step) counts as zero.
func (m *Metrics) DeliverySeconds(d time.Duration) {
	m.delivery.Observe(max(d, 0).Seconds())
}

// maxLabelLen bounds a source name kept as a label value.
const maxLabelLen = 128

// sourceSet maps source names to their child of
// volley_messages_received_total, bounded to max names plus Other.
//
// The map is copy-on-write: readers load it without a lock, and a new name
// is added under mu to a copy that replaces it. The alternative, a sync.Map,
// makes every lookup pay for its two-level structure; here the writes stop
// for good once max names are known (full), so copying is cheap and rare.
// Names past the bound are not cached, which keeps memory bounded however
// many distinct names callers pass: once full is set, a miss goes straight
// to Other without the lock.
type sourceSet struct {
	vec   *prometheus.CounterVec
	max   int
	other prometheus.Counter
	known atomic.Pointer[map[string]prometheus.Counter] // never mutated once published
	full  atomic.Bool

	mu sync.Mutex // serialises add
	n  int        // names in known besides Other; guarded by mu
}

func (s *sourceSet) init(vec *prometheus.CounterVec, limit int) {
	s.vec, s.max = vec, limit
	s.other = vec.WithLabelValues(Other)
	known := map[string]prometheus.Counter{Other: s.other}
	s.known.Store(&known)
}

// counter returns source's counter.
func (s *sourceSet) counter(source string) prometheus.Counter {
	if c, ok := (*s.known.Load())[source]; ok {
		return c
	}
	if s.full.Load() {
		return s.other
	}
	return s.add(source)
}

// add is counter's slow path: the first sighting of source.
func (s *sourceSet) add(source string) prometheus.Counter {
	if source == "" || len(source) > maxLabelLen || !utf8.ValidString(source) {
		return s.other
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.known.Load()
	if c, ok := old[source]; ok { // added meanwhile
		return c
	}
	if s.n >= s.max {
		s.full.Store(true)
		return s.other
	}
	known := make(map[string]prometheus.Counter, len(old)+1)
	for k, v := range old {
		known[k] = v
	}
	source = strings.Clone(source) // the caller's string may alias a reused buffer
	c := s.vec.WithLabelValues(source)
	known[source] = c
	s.n++
	s.known.Store(&known)
	if s.n >= s.max {
		s.full.Store(true)
	}
	return c
}
