package outbound

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/queue"
)

// VMTARates holds each virtual MTA's and pool's max-smtp-msg-rate over
// all queues and all shards (messages per period from its source
// addresses, whatever the domain): one shared limiter each, taken without
// a lock. A reload keeps the limiters of the names that stay.
type VMTARates struct {
	m atomic.Pointer[map[string]*vmtaRate]
}

type vmtaRate struct {
	lim  queue.SharedLimiter
	rate config.Rate
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
	add := func(name string, rate config.Rate) {
		if rate.Unlimited() || rate.Count <= 0 {
			return
		}
		name = strings.ToLower(name)
		v := old[name]
		if v == nil {
			v = &vmtaRate{}
		}
		v.rate = rate
		next[name] = v
	}
	for _, v := range cfg.VMTAs {
		add(v.Name, v.MaxSMTPMsgRate)
	}
	for _, p := range cfg.Pools {
		add(p.Name, p.MaxSMTPMsgRate)
	}
	r.m.Store(&next)
}

// take counts n messages from vmta (a vMTA or pool; "" is none) at now;
// false with how long to wait when its rate allows none now.
func (r *VMTARates) take(vmta string, n int, now time.Time) (bool, time.Duration) {
	if r == nil || vmta == "" {
		return true, 0
	}
	p := r.m.Load()
	if p == nil {
		return true, 0
	}
	v := (*p)[strings.ToLower(vmta)]
	if v == nil {
		return true, 0
	}
	return v.lim.Take(now, n, v.rate.Count, v.rate.Per)
}
