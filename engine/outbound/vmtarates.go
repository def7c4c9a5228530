package outbound

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
)

// VMTARates holds each virtual MTA's and pool's max-smtp-msg-rate and
// max-smtp-data-volume-rate over all queues and all shards (messages and
// bytes per period from its source addresses, whatever the domain): shared
// limiters, taken without a lock. A reload keeps the limiters of the names
// that stay.
type VMTARates struct {
	m atomic.Pointer[map[string]*vmtaRate]
}

type vmtaRate struct {
	lim, vol   queue.SharedLimiter
	rate, vrat config.Rate
}

// NewVMTARates returns the rates of cfg's vMTAs and pools.
func NewVMTARates(cfg *config.Config) *VMTARates {
	r := &VMTARates{}
	r.Reconfigure(cfg)
	return r
}

// Reconfigure puts cfg's rates in force, keeping the state of names that
// stay. Safe from any goroutine.
func (r *VMTARates) Reconfigure(cfg *config.Config) {
	old := map[string]*vmtaRate{}
	if p := r.m.Load(); p != nil {
		old = *p
	}
	next := map[string]*vmtaRate{}
	add := func(name string, rate config.Rate, volume config.VolumeRate) {
		if (rate.Unlimited() || rate.Count <= 0) && volume.Unlimited() {
			return
		}
		name = strings.ToLower(name)
		v := old[name]
		if v == nil {
			v = &vmtaRate{}
		}
		v.rate, v.vrat = rate, volume.Rate()
		next[name] = v
	}
	for _, v := range cfg.VMTAs {
		add(v.Name, v.MaxSMTPMsgRate, v.MaxSMTPDataVolumeRate)
	}
	for _, p := range cfg.Pools {
		add(p.Name, p.MaxSMTPMsgRate, p.MaxSMTPDataVolumeRate)
	}
	r.m.Store(&next)
}

// A session sends for its vMTA (member) and, when its queue is a pool's,
// for that pool too (queueVMTA): each method below counts against both.

// take counts n messages at now; false with how long to wait when a rate
// allows none now.
func (r *VMTARates) take(member, queueVMTA string, n int, now time.Time) (bool, time.Duration) {
	for _, v := range r.both(member, queueVMTA) {
		if v == nil {
			continue
		}
		if ok, wait := v.lim.Take(now, n, v.rate.Count, v.rate.Per); !ok {
			return false, wait
		}
	}
	return true, 0
}

// allowsBytes reports whether the data volume rates let a message of size
// bytes go now, else how long to wait.
func (r *VMTARates) allowsBytes(member, queueVMTA string, size int, now time.Time) (bool, time.Duration) {
	for _, v := range r.both(member, queueVMTA) {
		if v == nil {
			continue
		}
		if ok, wait := v.vol.Allows(now, size, v.vrat.Count, v.vrat.Per); !ok {
			return false, wait
		}
	}
	return true, 0
}

// chargeBytes counts a message of size bytes (size < 0: gives them back)
// against the data volume rates.
func (r *VMTARates) chargeBytes(member, queueVMTA string, size int64, now time.Time) {
	for _, v := range r.both(member, queueVMTA) {
		if v != nil {
			v.vol.Charge(now, size, v.vrat.Count, v.vrat.Per)
		}
	}
}

// both returns the member's and, when it differs, the queue's vMTA or
// pool's rates (nil for none).
func (r *VMTARates) both(member, queueVMTA string) [2]*vmtaRate {
	out := [2]*vmtaRate{r.of(member)}
	if queueVMTA != member {
		out[1] = r.of(queueVMTA)
	}
	return out
}

func (r *VMTARates) of(vmta string) *vmtaRate {
	if r == nil || vmta == "" {
		return nil
	}
	p := r.m.Load()
	if p == nil {
		return nil
	}
	return (*p)[strings.ToLower(vmta)]
}
