//go:build linux

package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/volleymta/volley/bench/internal/procstat"
)

// runOptions are the settings every run shares.
type runOptions struct {
	warmup, duration time.Duration
	shards           int // server reactor shards
	clientLoops      int
	idleWait         time.Duration
	prewarm          bool
}

// runResult is one throughput run: one server kind, workload and
// connection count.
type runResult struct {
	Server    string  `json:"server"`
	Workload  string  `json:"workload"`
	Conns     int     `json:"conns"`
	Client    string  `json:"client"`
	Requests  uint64  `json:"requests"`
	Seconds   float64 `json:"seconds"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// ClientCPU and ServerCPU are CPU seconds per second of the measured
	// window (cores busy): with both processes on one machine, the two
	// together show whether the client or the server ran out of CPU.
	ClientCPU float64 `json:"client_cpu_cores"`
	ServerCPU float64 `json:"server_cpu_cores"`
	// OtherCPU is what every other process on the machine used meanwhile:
	// a run that shared the CPUs with something else is visible.
	OtherCPU float64 `json:"other_cpu_cores"`
	// ServerMicrosPerReq and ClientMicrosPerReq are CPU time per completed
	// request. On a shared machine they are steadier than req/s: a server
	// that was starved by a neighbour still shows what a request costs it.
	ServerMicrosPerReq float64 `json:"server_cpu_us_per_req"`
	ClientMicrosPerReq float64 `json:"client_cpu_us_per_req"`
	Errors             uint64  `json:"errors"`
	// Unavailable says why the engine could not run on this machine.
	Unavailable string `json:"unavailable,omitempty"`
	// Err is why the run failed.
	Err string `json:"error,omitempty"`
}

// idleResult is one idle-memory measurement.
type idleResult struct {
	Server       string  `json:"server"`
	Conns        int     `json:"conns"`
	RSSBefore    int64   `json:"rss_before_bytes"`
	RSSAfter     int64   `json:"rss_after_bytes"`
	BytesPerConn float64 `json:"bytes_per_conn"`
	Unavailable  string  `json:"unavailable,omitempty"`
	Err          string  `json:"error,omitempty"`
}

// Timeouts of each step, so that nothing hangs.
const (
	startTimeout = 10 * time.Second
	closeTimeout = 15 * time.Second
)

// dialTimeout allows 10 s plus 2 ms per connection for the connect phase.
func dialTimeout(conns int) time.Duration {
	return 10*time.Second + time.Duration(conns)*2*time.Millisecond
}

// runThroughput starts a fresh server child, connects the client, warms up,
// then measures for o.duration.
func runThroughput(kind string, w workload, conns int, o runOptions) (res runResult) {
	res = runResult{Server: kind, Workload: w.name, Conns: conns}
	srv, err := startServer(kind, o.shards, startTimeout)
	if err != nil {
		setErr(err, &res.Unavailable, &res.Err)
		return res
	}
	defer srv.stop()
	cl, err := newClient(clientConfig{addr: srv.addr, conns: conns, loops: o.clientLoops, work: w})
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.Client = clientKind
	closed := false
	defer func() {
		if !closed {
			_, _ = cl.close(closeTimeout)
		}
	}()
	if err := cl.dial(dialTimeout(conns)); err != nil {
		res.Err = err.Error()
		return res
	}
	cl.setPhase(phaseWarm)
	if err := cl.kick(); err != nil {
		res.Err = err.Error()
		return res
	}
	time.Sleep(o.warmup)

	clientCPU0 := selfCPU()
	serverCPU0, _ := procstat.CPUTime(srv.pid)
	busy0, _ := machineBusy()
	cl.setPhase(phaseMeasure)
	t0 := time.Now()
	time.Sleep(o.duration)
	cl.setPhase(phaseStop)
	elapsed := time.Since(t0)
	clientCPU1 := selfCPU()
	serverCPU1, _ := procstat.CPUTime(srv.pid)
	busy1, _ := machineBusy()

	closed = true
	cr, err := cl.close(closeTimeout)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.Requests, res.Errors = cr.requests, cr.errors
	res.Seconds = elapsed.Seconds()
	res.ReqPerSec = float64(cr.requests) / res.Seconds
	res.P50Micros = micros(cr.hist.quantile(0.50))
	res.P99Micros = micros(cr.hist.quantile(0.99))
	res.ClientCPU = (clientCPU1 - clientCPU0).Seconds() / res.Seconds
	res.ServerCPU = (serverCPU1 - serverCPU0).Seconds() / res.Seconds
	res.OtherCPU = max(0, (busy1-busy0).Seconds()/res.Seconds-res.ClientCPU-res.ServerCPU)
	if cr.requests > 0 {
		res.ServerMicrosPerReq = micros(serverCPU1-serverCPU0) / float64(cr.requests)
		res.ClientMicrosPerReq = micros(clientCPU1-clientCPU0) / float64(cr.requests)
	}
	switch {
	case cr.errors > 0:
		res.Err = fmt.Sprintf("%d errors, first: %v", cr.errors, cr.firstErr)
	case cr.requests == 0:
		res.Err = "no request completed"
	}
	return res
}

// runIdle measures the resident memory a server spends per idle
// connection: a fresh child's VmRSS before and after conns connections
// that each exchanged one request and reply and then stay open.
//
// With o.prewarm, a short closed-loop burst on a few connections (closed
// again) runs before the first reading, so that one-time costs paid on
// first use (the io_uring provided-buffer ring, which the kernel touches as
// receives land in it, heap arenas, the first slab chunk) are in the
// baseline and not charged to the idle connections.
func runIdle(kind string, conns int, o runOptions) (res idleResult) {
	res = idleResult{Server: kind, Conns: conns}
	srv, err := startServer(kind, o.shards, startTimeout)
	if err != nil {
		setErr(err, &res.Unavailable, &res.Err)
		return res
	}
	defer srv.stop()
	cmd := workloads[0]
	if o.prewarm {
		if err := prewarm(srv, cmd, o); err != nil {
			res.Err = "prewarm: " + err.Error()
			return res
		}
		time.Sleep(300 * time.Millisecond) // the server closes its side
	}
	if res.RSSBefore, err = vmRSS(srv.pid); err != nil {
		res.Err = err.Error()
		return res
	}
	cl, err := newClient(clientConfig{addr: srv.addr, conns: conns, loops: o.clientLoops, work: cmd, oneShot: true})
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer func() { _, _ = cl.close(closeTimeout) }()
	if err := cl.dial(dialTimeout(conns)); err != nil {
		res.Err = err.Error()
		return res
	}
	deadline := time.Now().Add(dialTimeout(conns))
	for cl.answered() < int64(conns) {
		if time.Now().After(deadline) {
			res.Err = fmt.Sprintf("%d of %d connections answered", cl.answered(), conns)
			return res
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(o.idleWait)
	if res.RSSAfter, err = vmRSS(srv.pid); err != nil {
		res.Err = err.Error()
		return res
	}
	res.BytesPerConn = float64(res.RSSAfter-res.RSSBefore) / float64(conns)
	return res
}

// prewarm runs 256 connections in a closed loop for 300 ms, then closes
// them: about 2,000 receives per shard at a few tens of microseconds each,
// enough to cycle a 1,024-buffer ring twice.
func prewarm(srv *server, w workload, o runOptions) error {
	cl, err := newClient(clientConfig{addr: srv.addr, conns: 256, loops: o.clientLoops, work: w})
	if err != nil {
		return err
	}
	if err := cl.dial(dialTimeout(256)); err != nil {
		_, _ = cl.close(closeTimeout)
		return err
	}
	cl.setPhase(phaseWarm)
	if err := cl.kick(); err != nil {
		_, _ = cl.close(closeTimeout)
		return err
	}
	time.Sleep(300 * time.Millisecond)
	res, err := cl.close(closeTimeout)
	if err == nil && res.errors > 0 {
		err = res.firstErr
	}
	return err
}

// setErr files a server start failure as unavailable (n/a in the report)
// or as an error.
func setErr(err error, unavailable, failed *string) {
	if errors.Is(err, errUnavailable) {
		*unavailable = err.Error()
	} else {
		*failed = err.Error()
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
