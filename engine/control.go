package engine

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/inbound"
	"github.com/volleymta/volley/engine/outbound"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/engine/shard"
)

// The running node's answers and commands for the management API. Queue
// state belongs to the shards' loops, so every query and command is posted
// to each shard as a function and the answers gathered: no lock is taken
// on a shard's state (DESIGN.md, Invariants).

// shardParts are one shard's pieces the management API reaches.
type shardParts struct {
	table     *queue.Table
	deliverer *outbound.Deliverer
	service   *inbound.Shard
}

// onShards runs fn(i) on every shard's loop at once and returns the
// answers by shard, or ctx's error when a shard does not answer in time.
func onShards[T any](ctx context.Context, g *shard.Group, fn func(i int) T) ([]T, error) {
	n := g.Count()
	type answer struct {
		i int
		v T
	}
	got := make(chan answer, n)
	for i := range n {
		if err := g.Post(i, func() { got <- answer{i, fn(i)} }); err != nil {
			return nil, err
		}
	}
	out := make([]T, n)
	for range n {
		select {
		case a := <-got:
			out[a.i] = a.v
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// queuePattern matches queue names "domain/vmta" against an operator's
// "domain[/vmta]" with * and ? wildcards; a pattern without "/" matches
// every vMTA, and "" matches every queue.
type queuePattern struct{ domain, vmta string }

func parseQueuePattern(p string) (queuePattern, error) {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "" {
		return queuePattern{"*", "*"}, nil
	}
	d, v, ok := strings.Cut(p, "/")
	if !ok {
		v = "*"
	}
	if d == "" {
		d = "*"
	}
	for _, s := range []string{d, v} {
		if _, err := path.Match(s, ""); err != nil {
			return queuePattern{}, fmt.Errorf("bad queue pattern %q", p)
		}
	}
	return queuePattern{d, v}, nil
}

func (p queuePattern) match(k queue.Key) bool {
	ok, _ := path.Match(p.domain, k.Domain)
	if !ok {
		return false
	}
	ok, _ = path.Match(p.vmta, strings.ToLower(k.VMTA))
	return ok
}

// queueInfo describes q as the API shows it.
func queueInfo(q *queue.Queue, d *outbound.Deliverer, shardID int) api.Queue {
	info := d.Info(q)
	a := api.Queue{Name: q.Key.String(), Domain: q.Key.Domain, VMTA: q.Key.VMTA, Recipients: q.Len(),
		Ready: q.Ready(), InFlight: q.InFlight, Connections: info.Connections, Mode: api.ModeNormal,
		Paused: q.Paused, LastError: info.LastError, Shard: shardID}
	a.Waiting = a.Recipients - a.Ready - a.InFlight
	if q.Backoff {
		a.Mode = api.ModeBackoff
	}
	if next := q.NextDue(); !next.IsZero() {
		a.NextRetry = &next
	}
	return a
}

// Queues lists the queues that filter selects (all shards), sorted and cut
// to filter.MaxItems.
func (rn *Running) Queues(ctx context.Context, f api.QueueFilter) ([]api.Queue, error) {
	pat, err := parseQueuePattern(f.Pattern)
	if err != nil {
		return nil, err
	}
	per, err := onShards(ctx, rn.group, func(i int) []api.Queue {
		var out []api.Queue
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) {
			if !pat.match(q.Key) || f.Paused && !q.Paused {
				return
			}
			a := queueInfo(q, p.deliverer, i)
			if f.Mode != "" && a.Mode != f.Mode || f.Errors && a.LastError == "" {
				return
			}
			out = append(out, a)
		})
		return out
	})
	if err != nil {
		return nil, err
	}
	var all []api.Queue
	for _, qs := range per {
		all = append(all, qs...)
	}
	sortQueues(all, f.Sort)
	if f.MaxItems > 0 && len(all) > f.MaxItems {
		all = all[:f.MaxItems]
	}
	return all, nil
}

// mergeResults sums the shards' answers to one command.
func mergeResults(per []api.Result) api.Result {
	out := api.Result{Affected: []string{}}
	for _, r := range per {
		out.Affected = append(out.Affected, r.Affected...)
		out.Count += r.Count
	}
	return out
}

func sortQueues(qs []api.Queue, by string) {
	sort.Slice(qs, func(i, j int) bool {
		if by != "name" && qs[i].Recipients != qs[j].Recipients {
			return qs[i].Recipients > qs[j].Recipients
		}
		return qs[i].Name < qs[j].Name
	})
}

// Queue actions of QueueAction.
const (
	ActionPause    = "pause"
	ActionResume   = "resume"
	ActionSchedule = "schedule"
	ActionBackoff  = "backoff" // set queue --mode=backoff
	ActionNormal   = "normal"  // set queue --mode=normal
)

// ErrNoMatch is returned when a command's pattern matches no queue.
var ErrNoMatch = errors.New("no queue matches")

// QueueAction applies action to every queue pattern matches and returns
// their names and, for schedule, how many recipients became due. Pausing
// a pattern that matches no queue yet is not an error for a domain name
// without wildcards: the queue is made, paused, so that mail arriving for
// it waits (PowerMTA pauses queues before mail arrives the same way).
func (rn *Running) QueueAction(ctx context.Context, pattern, action string) (api.Result, error) {
	pat, err := parseQueuePattern(pattern)
	if err != nil {
		return api.Result{}, err
	}
	switch action {
	case ActionPause, ActionResume, ActionSchedule, ActionBackoff, ActionNormal:
	default:
		return api.Result{}, fmt.Errorf("unknown queue action %q", action)
	}
	per, err := onShards(ctx, rn.group, func(i int) api.Result {
		var r api.Result
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) {
			if !pat.match(q.Key) {
				return
			}
			r.Affected = append(r.Affected, q.Key.String())
			switch action {
			case ActionPause:
				p.deliverer.Pause(q)
			case ActionResume:
				p.deliverer.Resume(q)
			case ActionSchedule:
				r.Count += p.deliverer.Schedule(q)
			case ActionBackoff, ActionNormal:
				p.deliverer.SetMode(q, action == ActionBackoff)
			}
		})
		return r
	})
	if err != nil {
		return api.Result{}, err
	}
	out := mergeResults(per)
	if len(out.Affected) == 0 && action == ActionPause && !strings.ContainsAny(pat.domain+pat.vmta, "*?[") {
		k := queue.Key{Domain: pat.domain, VMTA: pat.vmta}
		owner := queue.Owner(k, rn.group.Count())
		if _, err := onShards(ctx, rn.group, func(i int) bool {
			if i == owner {
				rn.parts[i].deliverer.Pause(rn.parts[i].table.Ensure(k))
			}
			return true
		}); err != nil {
			return api.Result{}, err
		}
		out.Affected = append(out.Affected, k.String())
	}
	if len(out.Affected) == 0 {
		return out, ErrNoMatch
	}
	sort.Strings(out.Affected)
	return out, nil
}

// Delete bounces the queued recipients f selects (category "deleted", an
// accounting b record each; DSNs only with f.DSN). Recipients in flight
// are not deleted: they finish their attempt. Filters on the envelope
// (orig, jobId, envId, olderThan) need it in memory: recipients queued
// cold (rebuilt from the spool at start, not yet attempted) are matched
// after their envelope is read, in a second pass.
func (rn *Running) Delete(ctx context.Context, f api.DeleteFilter) (api.Result, error) {
	if f == (api.DeleteFilter{DSN: f.DSN}) {
		return api.Result{}, errors.New("delete needs at least one filter (queue, orig, rcpt, jobId, envId, olderThan)")
	}
	pat, err := parseQueuePattern(f.Queue)
	if err != nil {
		return api.Result{}, err
	}
	rcpt, orig := strings.ToLower(f.Rcpt), strings.ToLower(f.Orig)
	cutoff := time.Time{}
	if f.OlderThan > 0 {
		cutoff = time.Now().Add(-time.Duration(f.OlderThan) * time.Second)
	}
	needEnvelope := f.Orig != "" || f.JobID != "" || f.EnvID != "" || f.OlderThan > 0
	match := func(e *queue.Entry) bool {
		if rcpt != "" && strings.ToLower(e.Addr) != rcpt {
			return false
		}
		if !needEnvelope {
			return true
		}
		m := e.Msg
		if m == nil {
			return false
		}
		return (orig == "" || strings.ToLower(m.From) == orig) && (f.JobID == "" || m.Job == f.JobID) &&
			(f.EnvID == "" || m.EnvID == f.EnvID) && (cutoff.IsZero() || m.Received.Before(cutoff))
	}
	per, err := onShards(ctx, rn.group, func(i int) api.Result {
		var r api.Result
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) {
			if !pat.match(q.Key) {
				return
			}
			if n := p.deliverer.Delete(q, match, f.DSN); n > 0 {
				r.Affected = append(r.Affected, q.Key.String())
				r.Count += n
			}
		})
		return r
	})
	if err != nil {
		return api.Result{}, err
	}
	out := mergeResults(per)
	if needEnvelope {
		n, err := rn.deleteCold(ctx, pat, match, f.DSN)
		out.Count += n
		if err != nil {
			return out, err
		}
	}
	sort.Strings(out.Affected)
	rn.logf("volleyd: delete %+v: %d recipients", f, out.Count)
	return out, nil
}

// deleteCold reads the envelopes of the cold recipients of the queues pat
// selects (off the loops) and deletes those match accepts.
func (rn *Running) deleteCold(ctx context.Context, pat queuePattern, match func(*queue.Entry) bool, dsn bool) (int, error) {
	per, err := onShards(ctx, rn.group, func(i int) []queue.Entry {
		var cold []queue.Entry
		rn.parts[i].table.Each(func(q *queue.Queue) {
			if pat.match(q.Key) {
				cold = q.Cold(cold)
			}
		})
		return cold
	})
	if err != nil {
		return 0, err
	}
	chosen := map[entryKey]bool{}
	for _, cold := range per {
		for _, e := range cold {
			m, err := rn.spool.Get(e.ID)
			if err != nil {
				continue // gone meanwhile
			}
			e.Msg = m
			if match(&e) {
				chosen[entryKey{e.ID, e.Index}] = true
			}
		}
	}
	if len(chosen) == 0 {
		return 0, nil
	}
	counts, err := onShards(ctx, rn.group, func(i int) int {
		n := 0
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) {
			if pat.match(q.Key) {
				n += p.deliverer.Delete(q, func(e *queue.Entry) bool { return chosen[entryKey{e.ID, e.Index}] }, dsn)
			}
		})
		return n
	})
	total := 0
	for _, n := range counts {
		total += n
	}
	return total, err
}

type entryKey struct {
	id    [16]byte
	index uint16
}

// pausedJobs is the set of paused jobs, copied on write: read per
// transaction by every shard without a lock.
type pausedJobs struct {
	set atomic.Pointer[map[string]bool]
}

func (p *pausedJobs) has(job string) bool {
	m := p.set.Load()
	return m != nil && (*m)[job]
}

func (p *pausedJobs) change(job string, paused bool) {
	for {
		old := p.set.Load()
		next := map[string]bool{}
		if old != nil {
			for k := range *old {
				next[k] = true
			}
		}
		if paused {
			next[job] = true
		} else {
			delete(next, job)
		}
		if p.set.CompareAndSwap(old, &next) {
			return
		}
	}
}

// PauseJob holds job's mail; ResumeJob lets it go at once.
func (rn *Running) PauseJob(job string) api.Result {
	rn.jobsPaused.change(job, true)
	rn.logf("volleyd: job %q paused", job)
	return api.Result{Affected: []string{job}}
}

// ResumeJob lets a paused job's mail go, making its held recipients due now.
func (rn *Running) ResumeJob(ctx context.Context, job string) (api.Result, error) {
	rn.jobsPaused.change(job, false)
	counts, err := onShards(ctx, rn.group, func(i int) int {
		n := 0
		p := rn.parts[i]
		p.table.Each(func(q *queue.Queue) { n += p.deliverer.ResumeJob(q, job) })
		return n
	})
	r := api.Result{Affected: []string{job}}
	for _, n := range counts {
		r.Count += n
	}
	rn.logf("volleyd: job %q resumed (%d recipients due)", job, r.Count)
	return r, err
}

// Jobs lists the jobs seen since the start.
func (rn *Running) Jobs() []api.Job { return rn.stats.jobList(rn.jobsPaused.has) }

// Domains sums the queues by domain, largest first.
func (rn *Running) Domains(ctx context.Context) ([]api.Domain, error) {
	qs, err := rn.Queues(ctx, api.QueueFilter{})
	if err != nil {
		return nil, err
	}
	by := map[string]*api.Domain{}
	var out []*api.Domain
	for _, q := range qs {
		d := by[q.Domain]
		if d == nil {
			d = &api.Domain{Name: q.Domain}
			by[q.Domain] = d
			out = append(out, d)
		}
		d.Queues++
		d.Recipients += q.Recipients
		d.Connections += q.Connections
		if q.Paused {
			d.Paused++
		}
		if q.Mode == api.ModeBackoff {
			d.Backoff++
		}
	}
	res := make([]api.Domain, len(out))
	for i, d := range out {
		res[i] = *d
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].Recipients != res[j].Recipients {
			return res[i].Recipients > res[j].Recipients
		}
		return res[i].Name < res[j].Name
	})
	return res, nil
}

// Status is the node at a glance.
func (rn *Running) Status(ctx context.Context) (api.Status, error) {
	qs, err := rn.Queues(ctx, api.QueueFilter{})
	if err != nil {
		return api.Status{}, err
	}
	now := time.Now()
	cfg := rn.snap.Current()
	s := api.Status{Version: rn.version, Host: cfg.HostName(), Engine: rn.group.Engine().String(), Shards: rn.group.Count(),
		Started: rn.stats.started, UptimeSeconds: now.Sub(rn.stats.started).Seconds(), Traffic: rn.stats.traffic()}
	for _, l := range rn.Listeners {
		s.Listeners = append(s.Listeners, l.String())
	}
	domains := map[string]bool{}
	for _, q := range qs {
		s.Queued.Recipients += q.Recipients
		s.Connections.Out += q.Connections
		domains[q.Domain] = true
		if q.Paused {
			s.Queued.Paused++
		}
		if q.Mode == api.ModeBackoff {
			s.Queued.Backoff++
		}
	}
	s.Queued.Queues, s.Queued.Domains = len(qs), len(domains)
	for _, p := range rn.parts {
		s.Connections.In += p.service.Sessions()
	}
	s.Spool = rn.spoolInfo()
	s.Config = rn.configInfo()
	return s, nil
}

// spoolInfo counts the messages in the spool (found at start, plus
// appended, less deleted) and its bytes on disk.
func (rn *Running) spoolInfo() api.Spool {
	st := rn.spool.Stats()
	return api.Spool{Messages: rn.stats.spooled.Load() + int64(st.Appends) - int64(st.Deletes),
		Bytes: int64(rn.spool.DiskUsage())}
}

// Events returns the recent deferrals and bounces, newest first.
func (rn *Running) Events() []api.Event { return rn.stats.recentEvents() }

// Rates returns the last hour's traffic, a point per minute.
func (rn *Running) Rates() []api.RatePoint { return rn.stats.lastHour(time.Now()) }

// ResetCounters starts the status's traffic counts again (`reset
// counters`). Prometheus counters are not reset: they only go up.
func (rn *Running) ResetCounters() { rn.stats.reset(time.Now()) }
