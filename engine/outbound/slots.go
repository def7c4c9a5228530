package outbound

import (
	"sync/atomic"

	"github.com/volleymta/volley/engine/config"
)

// Slots caps connections per virtual MTA and per pool over every queue and
// every shard (max-smtp-out in <virtual-mta> and <virtual-mta-pool>): one
// atomic count per capped name, in a map fixed at start, so taking a slot
// is lock-free. Safe for concurrent use.
type Slots struct {
	byName map[string]*slot
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
	if len(s.byName) == 0 {
		return nil
	}
	return s
}

// acquire takes a connection slot of vmta and of pool (either may be "" or
// uncapped); false when either is full, and then it holds nothing.
func (s *Slots) acquire(vmta, pool string) bool {
	if s == nil {
		return true
	}
	if !s.take(vmta) {
		return false
	}
	if pool != vmta && !s.take(pool) {
		s.give(vmta)
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
}

func (s *Slots) take(name string) bool {
	sl := s.byName[name]
	if sl == nil {
		return true
	}
	if sl.used.Add(1) > sl.limit {
		sl.used.Add(-1)
		return false
	}
	return true
}

func (s *Slots) give(name string) {
	if sl := s.byName[name]; sl != nil {
		sl.used.Add(-1)
	}
}
