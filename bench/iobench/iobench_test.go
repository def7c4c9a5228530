//go:build linux

package main

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"
)

// TestMain lets the test binary serve as a server child too: the smoke
// tests start their servers the way iobench does, by re-executing the
// running binary with -serve.
func TestMain(m *testing.M) {
	if isServeInvocation(os.Args[1:]) {
		os.Exit(serveMain(os.Args[1:]))
	}
	if err := raiseNofile(); err != nil {
		println("iobench test: raise RLIMIT_NOFILE:", err.Error())
	}
	os.Exit(m.Run())
}

// smokeOptions keep every run short: the smoke test checks that each
// server answers correctly through the whole harness, not how fast.
var smokeOptions = runOptions{
	warmup:      50 * time.Millisecond,
	duration:    200 * time.Millisecond,
	shards:      2,
	clientLoops: 2,
	idleWait:    50 * time.Millisecond,
	prewarm:     true,
}

// TestSmoke runs every server, workload and 1 and 10 connections briefly
// and checks that requests completed with the expected replies. io_uring is
// skipped (with the reason) where the kernel cannot run it.
func TestSmoke(t *testing.T) {
	for _, kind := range allKinds {
		for _, w := range workloads {
			for _, n := range []int{1, 10} {
				r := runThroughput(kind, w, n, smokeOptions)
				switch {
				case r.Unavailable != "":
					t.Logf("%s: skipped: %s", kindTitle(kind), r.Unavailable)
				case r.Err != "":
					t.Errorf("%s %s %d conns: %s", kindTitle(kind), w.name, n, r.Err)
				case r.Requests == 0 || r.Errors != 0:
					t.Errorf("%s %s %d conns: %d requests, %d errors", kindTitle(kind), w.name, n, r.Requests, r.Errors)
				default:
					t.Logf("%s %s %d conns: %d requests, %.0f req/s (client: %s)", kindTitle(kind), w.name, n, r.Requests, r.ReqPerSec, r.Client)
				}
			}
		}
	}
}

// TestIdleSmoke runs the idle-memory measurement on a few connections; the
// number it gives is noise at this size, so only completion is checked.
func TestIdleSmoke(t *testing.T) {
	for _, kind := range allKinds {
		r := runIdle(kind, 20, smokeOptions)
		switch {
		case r.Unavailable != "":
			t.Logf("%s: skipped: %s", kindTitle(kind), r.Unavailable)
		case r.Err != "":
			t.Errorf("%s idle: %s", kindTitle(kind), r.Err)
		case r.RSSBefore <= 0 || r.RSSAfter <= 0:
			t.Errorf("%s idle: VmRSS %d -> %d", kindTitle(kind), r.RSSBefore, r.RSSAfter)
		}
	}
}

// TestSplitRequests sends requests to each server a few bytes at a time, so
// that lines and DATA payloads arrive split across reads, and then several
// requests in one write, and checks every reply.
func TestSplitRequests(t *testing.T) {
	var in []byte
	var want []byte
	for i := 0; i < 3; i++ {
		in = append(in, cmdRequest...)
		want = append(want, replyOK...)
		in = append(in, dataRequest(100)...)
		want = append(want, replyQueued...)
	}
	in = append(in, "DATA x\r\n"...)
	want = append(want, replySyntax...)
	for _, kind := range allKinds {
		srv, err := startServer(kind, 2, startTimeout)
		if errors.Is(err, errUnavailable) {
			t.Logf("%s: skipped: %v", kindTitle(kind), err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer srv.stop()
			c, err := net.DialTimeout("tcp", srv.addr.String(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			got := make(chan []byte, 1)
			go func() {
				b := make([]byte, 2*len(want))
				n, _ := io.ReadAtLeast(bufio.NewReader(c), b, len(b)) // or the deadline
				got <- b[:n]
			}()
			// Split: pieces of 1 to 7 bytes with pauses, so the server sees
			// them in separate reads; then everything again in one write.
			rng := rand.New(rand.NewPCG(1, 2))
			for p := in; len(p) > 0; {
				k := min(len(p), 1+rng.IntN(7))
				if _, err := c.Write(p[:k]); err != nil {
					t.Fatal(err)
				}
				p = p[k:]
				time.Sleep(200 * time.Microsecond)
			}
			if _, err := c.Write(in); err != nil {
				t.Fatal(err)
			}
			b := <-got
			if string(b) != string(want)+string(want) {
				t.Errorf("%s: replies\n%q\nwant twice\n%q", kindTitle(kind), b, want)
			}
		}()
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line       string
		n          int
		isData, ok bool
	}{
		{"MAIL FROM:<a@b>\r\n", 0, false, true},
		{"DATA 4096\r\n", 4096, true, true},
		{"data 7\n", 7, true, true},
		{"DATA 0\r\n", 0, true, true},
		{"DATA\r\n", 0, true, false},
		{"DATA x\r\n", 0, true, false},
		{"DATA 1234567890\r\n", 0, true, false},
		{"DATAX\r\n", 0, false, true},
		{"RSET\r\n", 0, false, true},
	} {
		n, isData, ok := parseLine([]byte(tc.line))
		if n != tc.n || isData != tc.isData || ok != tc.ok {
			t.Errorf("parseLine(%q) = %d, %v, %v; want %d, %v, %v", tc.line, n, isData, ok, tc.n, tc.isData, tc.ok)
		}
	}
	if r := dataRequest(4096); len(r) != len("DATA 4096\r\n")+4096 {
		t.Errorf("dataRequest(4096) is %d bytes", len(r))
	}
}

// TestHist checks that every value lands in a bucket whose bounds hold it,
// buckets are at most 1/16 wide, and quantiles come out within that.
func TestHist(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v += 1 + v/64 {
		i := histIndex(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d after %d", v, i, prev)
		}
		prev = i
		if v > histUpper(i) || (i > 0 && v <= histUpper(i-1)) {
			t.Fatalf("value %d outside bucket %d (%d, %d]", v, i, histUpper(i-1), histUpper(i))
		}
		if i >= histExact && float64(histUpper(i)-histUpper(i-1)) > float64(v)/histSub+1 {
			t.Fatalf("bucket %d too wide for %d", i, v)
		}
	}
	if i := histIndex(^uint64(0)); i != histBuckets-1 {
		t.Fatalf("histIndex(max) = %d, want %d", i, histBuckets-1)
	}
	var h hist
	for us := 1; us <= 10000; us++ {
		h.record(time.Duration(us) * time.Microsecond)
	}
	p99 := h.quantile(0.99)
	if p99 < 9900*time.Microsecond || p99 > 9900*time.Microsecond*17/16 {
		t.Errorf("p99 = %v, want 9.9ms within 1/16", p99)
	}
	var m hist
	m.merge(&h)
	m.merge(&h)
	if m.total != 2*h.total || m.quantile(0.5) != h.quantile(0.5) {
		t.Errorf("merge: total %d, p50 %v; want %d, %v", m.total, m.quantile(0.5), 2*h.total, h.quantile(0.5))
	}
}

// TestGonetClient drives the fallback client (used when the epoll reactor
// cannot be created) through a closed loop and a one-shot idle set.
func TestGonetClient(t *testing.T) {
	srv, err := startServer(kindGonet, 1, startTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	for _, oneShot := range []bool{false, true} {
		gc := newGonetClient(clientConfig{addr: srv.addr, conns: 5, work: workloads[1], oneShot: oneShot})
		if err := gc.dial(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if oneShot {
			deadline := time.Now().Add(5 * time.Second)
			for gc.answered() < 5 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := gc.answered(); n != 5 {
				t.Errorf("one-shot: %d of 5 answered", n)
			}
		} else {
			gc.setPhase(phaseMeasure)
			_ = gc.kick()
			time.Sleep(100 * time.Millisecond)
		}
		res, err := gc.close(5 * time.Second)
		if err != nil || res.errors != 0 || (!oneShot && res.requests == 0) {
			t.Errorf("oneShot %v: %d requests, %d errors (%v), close: %v", oneShot, res.requests, res.errors, res.firstErr, err)
		}
	}
}
