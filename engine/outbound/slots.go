package outbound

import (
	"sync/atomic"

	"github.com/volleymta/volley/engine/config"
)

// Slots caps connections per virtual MTA and per pool over every queue and
// every shard (max-smtp-out in <virtual-mta> and <virtual-mta-pool>), and
// all outbound connections together (total-max-smtp-out): one atomic
// count per cap, in a map fixed at start, so taking a slot is lock-free.
// Safe for concurrent use.
type Slots struct {
	byName map[string]*slot
	total  *slot // nil when total-max-smtp-out is 0 (no cap)
}

type slot struct {
	limit int32
	used  atomic.Int32
}

// NewSlots returns the caps of cfg's virtual MTAs and pools (nil when none
// is capped).
func NewSlots(cfg *config.Config) *Slots {
	s := &Slots{byName: map[string]*slot{}}
	for _, v := range cfg.VMTAs {
		if v.MaxSMTPOut > 0 {
			s.byName[v.Name] = &slot{limit: int32(v.MaxSMTPOut)}
		}
	}
	for _, p := range cfg.Pools {
		if p.MaxSMTPOut > 0 {
			s.byName[p.Name] = &slot{limit: int32(p.MaxSMTPOut)}
		}
	}
	if cfg.Global.TotalMaxSMTPOut > 0 {
		s.total = &slot{limit: int32(cfg.Global.TotalMaxSMTPOut)}
	}
	if len(s.byName) == 0 && s.total == nil {
		return nil
	}
	return s
}

// acquire takes a connection slot of vmta and of pool (either may be "" or
// uncapped) and one of the total; false when any is full, and then it
// holds nothing.
func (s *Slots) acquire(vmta, pool string) bool {
	if s == nil {
		return true
	}
	if !s.total.take() {
		return false
	}
	if !s.take(vmta) {
		s.total.give()
		return false
	}
	if pool != vmta && !s.take(pool) {
		s.give(vmta)
		s.total.give()
		return false
	}
	return true
}

// release gives back what acquire took.
func (s *Slots) release(vmta, pool string) {
	if s == nil {
		return
	}
	s.give(vmta)
	if pool != vmta {
		s.give(pool)
	}
	s.total.give()
}

func (s *Slots) take(name string) bool { return s.byName[name].take() }

func (s *Slots) give(name string) { s.byName[name].give() }

// take counts one more connection unless the cap is reached; a nil slot
// is no cap.
func (sl *slot) take() bool {
	if sl == nil {
		return true
	}
	if sl.used.Add(1) > sl.limit {
		sl.used.Add(-1)
		return false
	}
	return true
}

func (sl *slot) give() {
	if sl != nil {
		sl.used.Add(-1)
	}
}
