package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// cellResult is one server's measurements in one cell (size × connections);
// results.json holds them as they are.
type cellResult struct {
	Server   string `json:"server"`
	Size     int    `json:"size"`
	Conns    int    `json:"conns"`
	Messages int    `json:"messages"`

	InjectSeconds float64 `json:"inject_s"`
	E2ESeconds    float64 `json:"e2e_s"`
	InjectRate    float64 `json:"inject_msgs_per_s"`
	E2ERate       float64 `json:"e2e_msgs_per_s"`
	InjectP50ms   float64 `json:"inject_p50_ms"`
	InjectP99ms   float64 `json:"inject_p99_ms"`
	E2EP50ms      float64 `json:"e2e_p50_ms"`
	E2EP99ms      float64 `json:"e2e_p99_ms"`

	// Server resources over the cell (absent for the wire, which has none).
	CPUPer1k      float64 `json:"cpu_s_per_1000_msgs"`
	PeakRSS       int64   `json:"peak_rss_bytes"`
	Procs         int     `json:"processes"`
	WrittenPerMsg float64 `json:"write_bytes_per_msg"`

	// The load client and the sink (this process), and everything else the
	// machine ran meanwhile, in cores over the cell.
	HarnessCPUPer1k float64 `json:"harness_cpu_s_per_1000_msgs"`
	OtherCores      float64 `json:"other_cores"`

	// Accounting: acked by the server, arrived at the sink (once), and the
	// ways a message can go wrong.
	Acked      int    `json:"acked"`
	Delivered  int    `json:"delivered"`
	Duplicates int    `json:"duplicates"`
	Refused    int    `json:"refused"`
	Retried    int    `json:"retried_4xx"`
	Lost       int    `json:"lost_in_flight"`
	Unserved   int    `json:"conns_unserved"`
	Foreign    int    `json:"foreign_at_sink"`
	Engine     string `json:"engine,omitempty"`

	Errors []string `json:"errors,omitempty"`
	// Skipped says why the server did not run (Haraka not installable, say).
	Skipped string `json:"skipped,omitempty"`
}

// failed reports whether the cell lost messages or could not run.
func (r *cellResult) failed() bool {
	return r.Skipped == "" && (len(r.Errors) > 0 || r.Delivered < r.Messages)
}

// cellRun is what runCell needs.
type cellRun struct {
	name    string
	srv     server // nil for the wire
	size    int
	conns   int
	msgs    int
	cell    uint32
	dir     string
	sink    *sink
	timeout time.Duration // for the load
}

// drainStall is how long delivery may make no progress before a cell fails.
const drainStall = 60 * time.Second

// runCell measures one server in one cell: start a fresh instance, send the
// load, wait until the sink has every message, read the server's resource
// use, stop it.
func runCell(ctx context.Context, cr cellRun) (res cellResult) {
	res = cellResult{Server: cr.name, Size: cr.size, Conns: cr.conns, Messages: cr.msgs}
	if err := os.MkdirAll(cr.dir, 0o755); err != nil {
		res.Errors = append(res.Errors, err.Error())
		return res
	}
	addr := cr.sink.addr()
	if cr.srv != nil {
		a, err := cr.srv.start(ctx, cr.dir, cr.sink.port())
		if err != nil {
			res.Errors = append(res.Errors, "start: "+err.Error())
			return res
		}
		addr = a
		defer func() {
			// The sink counts a message when it has read it, before its 250
			// reaches the server: give the last replies a moment.
			time.Sleep(300 * time.Millisecond)
			if err := cr.srv.stop(); err != nil {
				res.Errors = append(res.Errors, "stop: "+err.Error())
			}
			if v, ok := cr.srv.(*volleyd); ok {
				res.Engine = engineLine(v.logFile)
			}
		}()
	}
	// Let the disk go quiet, so that the previous cell's writeback is not
	// charged to this one, and the server finish starting.
	unix.Sync()
	time.Sleep(500 * time.Millisecond)

	t := newTally(cr.cell, cr.msgs)
	cr.sink.expect(t)
	foreign0 := cr.sink.foreign.Load() + cr.sink.unknown.Load()
	var (
		before  usage
		sampler *peakSampler
	)
	if cr.srv != nil {
		before = treeUsage(cr.srv.root())
		sampler = startPeakSampler(cr.srv.root(), 200*time.Millisecond)
	}
	busy0, self0 := machineBusy(), selfCPU()

	lr := runLoad(ctx, loadSpec{addr: addr, conns: cr.conns, msgs: cr.msgs, size: cr.size,
		cell: cr.cell, timeout: cr.timeout})
	end, drainErr := drain(ctx, t, lr, drainStall)

	wall := time.Since(lr.start)
	busy1, self1 := machineBusy(), selfCPU()
	var serverCPU time.Duration
	if cr.srv != nil {
		after := treeUsage(cr.srv.root())
		serverCPU = after.cpu - before.cpu
		res.CPUPer1k = serverCPU.Seconds() * 1000 / float64(cr.msgs)
		res.WrittenPerMsg = float64(after.writeBytes-before.writeBytes) / float64(cr.msgs)
		res.PeakRSS, res.Procs = sampler.finish()
	}
	harness := self1 - self0
	res.HarnessCPUPer1k = harness.Seconds() * 1000 / float64(cr.msgs)
	res.OtherCores = max(0, (busy1-busy0-serverCPU-harness).Seconds()/wall.Seconds())

	res.Acked, res.Refused, res.Retried, res.Lost, res.Unserved = lr.acked, lr.refused, lr.retries, lr.lost, lr.unserved
	res.Delivered = int(t.count.Load())
	res.Duplicates = int(t.dups.Load())
	res.Foreign = int(cr.sink.foreign.Load() + cr.sink.unknown.Load() - foreign0)
	res.Errors = append(res.Errors, lr.errs...)
	if drainErr != nil {
		res.Errors = append(res.Errors, drainErr.Error())
	}
	if lr.acked > 0 {
		res.InjectSeconds = lr.lastAck.Sub(lr.start).Seconds()
		res.InjectRate = float64(lr.acked) / res.InjectSeconds
		res.InjectP50ms, res.InjectP99ms = quantiles(lr.inject)
	}
	if res.Delivered > 0 {
		res.E2ESeconds = end.Sub(lr.start).Seconds()
		res.E2ERate = float64(res.Delivered) / res.E2ESeconds
		res.E2EP50ms, res.E2EP99ms = quantiles(t.latencies())
	}
	if res.Delivered < cr.msgs {
		res.Errors = append(res.Errors, fmt.Sprintf("LOST: the sink got %d of %d messages (%d acked by the server)",
			res.Delivered, cr.msgs, lr.acked))
	}
	return res
}

// drain waits until the sink has every message of the cell and returns the
// time the last one arrived. When some were not acknowledged, it waits for
// the acknowledged ones and then a little for the rest; it gives up when
// nothing arrives for stall.
func drain(ctx context.Context, t *tally, lr loadResult, stall time.Duration) (time.Time, error) {
	last, progress := int64(-1), time.Now()
	var enough time.Time
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.complete:
			return time.Unix(0, t.last.Load()), nil
		case <-ctx.Done():
			return time.Now(), ctx.Err()
		case <-tick.C:
		}
		n := t.count.Load()
		now := time.Now()
		if n != last {
			last, progress = n, now
		}
		if n >= int64(lr.acked) && lr.acked < t.msgs {
			if enough.IsZero() {
				enough = now
			}
			if now.Sub(enough) > 2*time.Second {
				return now, nil
			}
		}
		if now.Sub(progress) > stall {
			return now, fmt.Errorf("stalled: the sink got %d of %d messages and nothing more for %v", n, t.msgs, stall)
		}
	}
}

// quantiles returns p50 and p99 of nanosecond samples, in milliseconds.
func quantiles(ns []int64) (p50, p99 float64) {
	if len(ns) == 0 {
		return 0, 0
	}
	s := slices.Clone(ns)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1
		return float64(s[min(max(i, 0), len(s)-1)]) / 1e6
	}
	return at(0.50), at(0.99)
}

// keepLogs copies a failed cell's server logs to dst, for the report's
// reader; it returns the copies' names.
func keepLogs(files []string, dst, prefix string) []string {
	var kept []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 1<<20 {
			b = b[len(b)-1<<20:]
		}
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return kept
		}
		name := filepath.Join(dst, prefix+"-"+filepath.Base(f))
		if os.WriteFile(name, b, 0o644) == nil {
			kept = append(kept, name)
		}
	}
	return kept
}
