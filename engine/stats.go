package engine

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// stats counts what the node did for the management API: traffic since
// the start or `reset counters`, per-job counts, recent errors and the
// last hour's rates. Counting is atomic adds on the paths that already
// run per message (hand-off, settler); a job's counts take a lock only
// for messages that carry a job id.
type stats struct {
	started time.Time
	// cur counts since the start; base holds cur's values at the last
	// reset, so a reset never races with the counting.
	cur, base counters
	since     atomic.Pointer[time.Time]
	// spooled counts the messages found in the spool at start.
	spooled atomic.Int64

	jobsMu sync.Mutex
	jobs   map[string]*jobCount

	comp complaints

	eventsMu sync.Mutex
	events   []api.Event // a ring of the last maxEvents, next at eventNext
	eventN   int

	ratesMu sync.Mutex
	rates   []api.RatePoint // one per finished minute, oldest first, at most 60
	last    [4]uint64       // cur at the last minute's end
}

type counters struct {
	msgs, rcpts, delivered, bounced, deferred atomic.Uint64
	// remoteBounces counts the bounces the bounce processor read.
	remoteBounces atomic.Uint64
}

type jobCount struct {
	api.Job
}

// maxEvents is how many recent deferrals and bounces the API keeps.
const maxEvents = 100

func newStats(now time.Time) *stats {
	s := &stats{started: now, jobs: map[string]*jobCount{}}
	s.since.Store(&now)
	return s
}

// received counts one accepted message (any goroutine).
func (s *stats) received(m *spool.Message) {
	s.cur.msgs.Add(1)
	s.cur.rcpts.Add(uint64(len(m.Recipients)))
	if m.Job != "" {
		s.jobsMu.Lock()
		j := s.job(m.Job)
		j.Received += uint64(len(m.Recipients))
		j.Queued += int64(len(m.Recipients))
		s.jobsMu.Unlock()
	}
}

// job returns the counts of id, made on first sight; jobsMu is held.
func (s *stats) job(id string) *jobCount {
	j := s.jobs[id]
	if j == nil {
		if len(s.jobs) >= maxJobs {
			s.forgetFinishedJobs()
		}
		j = &jobCount{api.Job{ID: id, FirstSeen: time.Now()}}
		s.jobs[id] = j
	}
	return j
}

// maxJobs bounds the jobs kept: past it, the jobs with nothing queued are
// forgotten, oldest first, down to three quarters of it (a sender that
// makes a job per message must not grow the table without end).
const maxJobs = 10000

func (s *stats) forgetFinishedJobs() {
	var done []*jobCount
	for _, j := range s.jobs {
		if j.Queued <= 0 {
			done = append(done, j)
		}
	}
	sort.Slice(done, func(a, b int) bool { return done[a].FirstSeen.Before(done[b].FirstSeen) })
	for _, j := range done {
		if len(s.jobs) <= maxJobs*3/4 {
			return
		}
		delete(s.jobs, j.ID)
	}
}

// outcome counts one settled outcome (the settler's goroutine); m may be
// nil when the message was gone.
func (s *stats) outcome(o *outbound.Outcome, m *spool.Message, now time.Time) {
	switch o.Kind {
	case outbound.Delivered:
		s.cur.delivered.Add(1)
		var vmta, member string
		if m != nil {
			vmta = m.VMTA
		}
		if o.T.VMTA != vmta {
			member = o.T.VMTA // a pool's member delivered it
		}
		s.delivery(queue.KeyFor(o.Entry.Addr, "").Domain, vmta, member, now)
	case outbound.Bounced:
		s.cur.bounced.Add(1)
	case outbound.Deferred:
		s.cur.deferred.Add(1)
	}
	if o.Kind != outbound.Delivered {
		s.eventsMu.Lock()
		vmta := ""
		if m != nil {
			vmta = m.VMTA
		}
		// The recipient's queue as routing names it (an MX rollup's
		// queue aside), so the monitor's errors match the queue list.
		ev := api.Event{Time: now, Kind: o.Kind.String(), Queue: queue.KeyFor(o.Entry.Addr, vmta).String(),
			Recipient: o.Entry.Addr, Reply: o.Reply}
		if len(s.events) < maxEvents {
			s.events = append(s.events, ev)
		} else {
			s.events[s.eventN%maxEvents] = ev
		}
		s.eventN++
		s.eventsMu.Unlock()
	}
	if m == nil || m.Job == "" {
		return
	}
	s.jobsMu.Lock()
	j := s.job(m.Job)
	switch o.Kind {
	case outbound.Delivered:
		j.Delivered++
		j.Queued--
	case outbound.Bounced:
		j.Bounced++
		j.Queued--
	case outbound.Deferred:
		j.Deferrals++
	}
	s.jobsMu.Unlock()
}

// reset starts the traffic counts again (`volley reset counters`).
func (s *stats) reset(now time.Time) {
	for _, p := range [][2]*atomic.Uint64{{&s.cur.msgs, &s.base.msgs}, {&s.cur.rcpts, &s.base.rcpts},
		{&s.cur.delivered, &s.base.delivered}, {&s.cur.bounced, &s.base.bounced}, {&s.cur.deferred, &s.base.deferred},
		{&s.cur.remoteBounces, &s.base.remoteBounces}} {
		p[1].Store(p[0].Load())
	}
	s.since.Store(&now)
}

// traffic returns the counts since the last reset.
func (s *stats) traffic() api.Traffic {
	d := func(c, b *atomic.Uint64) uint64 { return c.Load() - b.Load() }
	return api.Traffic{Since: *s.since.Load(), MessagesReceived: d(&s.cur.msgs, &s.base.msgs),
		RecipientsReceived: d(&s.cur.rcpts, &s.base.rcpts), Delivered: d(&s.cur.delivered, &s.base.delivered),
		Bounced: d(&s.cur.bounced, &s.base.bounced), Deferred: d(&s.cur.deferred, &s.base.deferred),
		RemoteBounces: d(&s.cur.remoteBounces, &s.base.remoteBounces)}
}

// recentEvents returns the kept deferrals and bounces, newest first.
func (s *stats) recentEvents() []api.Event {
	s.eventsMu.Lock()
	defer s.eventsMu.Unlock()
	out := make([]api.Event, 0, len(s.events))
	for i := 1; i <= len(s.events); i++ {
		out = append(out, s.events[(s.eventN-i)%len(s.events)])
	}
	return out
}

// jobList returns every job's counts, by id; paused says which are held.
func (s *stats) jobList(paused func(string) bool) []api.Job {
	s.jobsMu.Lock()
	out := make([]api.Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		out = append(out, j.Job)
	}
	s.jobsMu.Unlock()
	for i := range out {
		out[i].Paused = paused(out[i].ID)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// tickMinute closes the minute ending at now: its counts become a rate
// point, the oldest past an hour dropped. The engine calls it each minute.
func (s *stats) tickMinute(now time.Time) {
	v := [4]uint64{s.cur.rcpts.Load(), s.cur.delivered.Load(), s.cur.bounced.Load(), s.cur.deferred.Load()}
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	p := api.RatePoint{Time: now.Truncate(time.Second), Received: v[0] - s.last[0], Delivered: v[1] - s.last[1],
		Bounced: v[2] - s.last[2], Deferred: v[3] - s.last[3]}
	s.last = v
	s.rates = append(s.rates, p)
	if len(s.rates) > 60 {
		s.rates = append(s.rates[:0], s.rates[len(s.rates)-60:]...)
	}
}

// lastHour returns the minutes' rate points, oldest first, and the minute
// in progress as the last point.
func (s *stats) lastHour(now time.Time) []api.RatePoint {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	out := append([]api.RatePoint(nil), s.rates...)
	out = append(out, api.RatePoint{Time: now.Truncate(time.Second), Received: s.cur.rcpts.Load() - s.last[0],
		Delivered: s.cur.delivered.Load() - s.last[1], Bounced: s.cur.bounced.Load() - s.last[2],
		Deferred: s.cur.deferred.Load() - s.last[3]})
	if len(out) > 60 {
		out = out[len(out)-60:]
	}
	return out
}

// Complaint-rate backoff: a domain whose complaints in the last hour pass
// complaintBackoffRate of its deliveries in that hour (with at least
// complaintBackoffMin complaints, so one early complaint does not count
// as a rate) has its queues put in backoff mode. 0.3% is the spam rate
// Gmail's sender guidelines tell bulk senders to stay under. The same rule
// holds per virtual MTA: a vMTA (or pool) whose complaints in the hour
// pass the rate of its own deliveries has all its queues, every domain's,
// put in backoff. A complaint names its vMTA when the report carries a
// copy of the original's X-Volley-VMTA or X-Virtual-MTA header; a pool's
// deliveries count for the pool and for the member that made them.
const (
	complaintBackoffRate = 0.003
	complaintBackoffMin  = 5
)

// complaints counts feedback-loop complaints and, per domain and per
// vMTA, the hour's deliveries and complaints for the complaint rate.
type complaints struct {
	mu        sync.Mutex
	byJob     map[string]uint64
	byVMTA    map[string]uint64
	byDomain  map[string]uint64
	hour      time.Time
	delivered map[string]uint64 // this hour's deliveries by domain
	hourComp  map[string]uint64 // this hour's complaints by domain
	// vmtaDelivered and vmtaComp are the same by vMTA, lower-cased.
	vmtaDelivered map[string]uint64
	vmtaComp      map[string]uint64
}

// delivery counts one delivery to domain from vmta (the queue's vMTA or
// pool, "" for the default) and member (the pool's member that delivered
// it, else ""), on the settler's goroutine.
func (s *stats) delivery(domain, vmta, member string, now time.Time) {
	c := &s.comp
	c.mu.Lock()
	c.roll(now)
	c.delivered[domain]++
	for _, v := range [2]string{vmta, member} {
		if v != "" {
			c.vmtaDelivered[strings.ToLower(v)]++ // no copy when already lower case
		}
	}
	c.mu.Unlock()
}

// roll starts a new hour's counts; mu is held.
func (c *complaints) roll(now time.Time) {
	if h := now.Truncate(time.Hour); !h.Equal(c.hour) || c.delivered == nil {
		c.hour, c.delivered, c.hourComp = h, map[string]uint64{}, map[string]uint64{}
		c.vmtaDelivered, c.vmtaComp = map[string]uint64{}, map[string]uint64{}
	}
}

// pastRate reports whether n complaints against d deliveries pass the
// complaint backoff threshold.
func pastRate(n, d uint64) bool {
	return n >= complaintBackoffMin && float64(n) > complaintBackoffRate*float64(d)
}

// complaint counts one complaint and reports whether the domain's rate,
// and the vMTA's ("" counts for none), are past the backoff threshold
// (putting a queue in backoff again is harmless).
func (s *stats) complaint(job, vmta, domain string) (domainOver, vmtaOver bool) {
	c := &s.comp
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byJob == nil {
		c.byJob, c.byVMTA, c.byDomain = map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	}
	if job != "" {
		c.byJob[job]++
	}
	if vmta != "" {
		c.byVMTA[vmta]++
	}
	c.byDomain[domain]++
	c.roll(time.Now())
	c.hourComp[domain]++
	domainOver = pastRate(c.hourComp[domain], c.delivered[domain])
	if vmta != "" {
		v := strings.ToLower(vmta)
		c.vmtaComp[v]++
		vmtaOver = pastRate(c.vmtaComp[v], c.vmtaDelivered[v])
	}
	return domainOver, vmtaOver
}

// complaintCounts returns the counts for the API.
func (s *stats) complaintCounts() api.Complaints {
	c := &s.comp
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := func(m map[string]uint64) map[string]uint64 {
		out := make(map[string]uint64, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return api.Complaints{ByJob: cp(c.byJob), ByVMTA: cp(c.byVMTA), ByDomain: cp(c.byDomain)}
}
