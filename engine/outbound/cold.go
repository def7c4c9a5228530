package outbound

import (
	"time"

	"github.com/volleymta/volley/engine/queue"
)

// PowerMTA's cold virtual MTAs (reference §2.8): a vMTA (or pool) with
// cold-virtual-mta lines sends the first max-cold-virtual-mta-msg
// recipients of each day for each domain through its cold vMTAs instead,
// round-robin: the recipients move to the queue domain/COLD, which
// delivers them from the cold vMTA's addresses under its own limits.

// coldVMTAs returns the cold vMTAs of the queue's vMTA or pool.
func (st *queueState) coldVMTAs() []string {
	cfg := st.d.o.Config
	if v := cfg.VMTA(st.q.Key.VMTA); v != nil {
		return v.ColdVirtualMTAs
	}
	if p := cfg.Pool(st.q.Key.VMTA); p != nil {
		return p.ColdVirtualMTAs
	}
	return nil
}

// toCold moves today's share of ready recipients to the cold vMTAs'
// queues and reports whether it moved any.
func (st *queueState) toCold(now time.Time) bool {
	quota := st.ds.MaxColdVirtualMTAMsg
	if quota.Count <= 0 || st.d.o.Forward == nil || st.isRollup {
		return false
	}
	cold := st.coldVMTAs()
	if len(cold) == 0 {
		return false
	}
	per := quota.Per
	if per <= 0 {
		per = 24 * time.Hour
	}
	if period := now.Truncate(per); !period.Equal(st.coldPeriod) {
		st.coldPeriod, st.coldSent = period, 0
	}
	left := quota.Count - st.coldSent
	if left <= 0 {
		return false
	}
	moved := st.q.TakeFirst(nil, int(min(left, int64(st.q.Ready()))))
	for _, e := range moved {
		st.coldRR++
		key := queue.Key{Domain: st.q.Key.Domain, VMTA: cold[int(st.coldRR)%len(cold)]}
		st.d.o.Forward(queue.Ready{ID: e.ID, Index: e.Index, Key: key, Addr: e.Addr, Msg: e.Msg, Body: e.Body,
			Attempts: e.Attempts, Next: e.Next})
		st.q.Settle() // out of this queue
	}
	st.coldSent += int64(len(moved))
	if len(moved) > 0 && st.d.o.ColdMoved != nil {
		st.d.o.ColdMoved(len(moved))
	}
	return len(moved) > 0
}
