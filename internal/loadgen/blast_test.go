package loadgen

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
)

// runBlast runs Blast with a deadline that only bounds a hung test.
func runBlast(t testing.TB, o BlastOptions) *BlastResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), emul.Scale(60*time.Second))
	defer cancel()
	r, err := Blast(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBlastIntoSink is the harness's main path: 1,000 messages over 10
// connections to 2 recipients each, all accepted and all counted.
func TestBlastIntoSink(t *testing.T) {
	s := startSink(t, SinkOptions{})
	var mu sync.Mutex
	var calls []int
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 1000, Connections: 10, Rcpts: 2, Size: 4096,
		Progress: func(done, total int) {
			mu.Lock()
			calls = append(calls, done)
			mu.Unlock()
			if total != 1000 {
				t.Errorf("Progress total %d", total)
			}
		}})
	if r.Sent != 1000 || r.Accepted != 1000 || r.Refused != 0 || r.Failed != 0 || r.Unsent != 0 || r.Errors != 0 ||
		r.RcptsAccepted != 2000 || r.Codes["250"] != 1000 || len(r.Codes) != 1 {
		t.Fatalf("result %+v", r)
	}
	if r.Latency.P50 <= 0 || r.Latency.P50 > r.Latency.P90 || r.Latency.P90 > r.Latency.P99 || r.Latency.P99 > r.Latency.Max ||
		r.MsgsPerSec <= 0 || r.Duration <= 0 {
		t.Errorf("latency %+v, %.0f msgs/s over %v", r.Latency, r.MsgsPerSec, r.Duration)
	}
	c := s.Counters()
	if c.Connections != 10 || c.Messages != 1000 || c.Recipients != 2000 || c.Refused != 0 ||
		c.Replies["data"]["250"] != 1000 || c.Replies["rcpt"]["250"] != 2000 || c.Replies["mail"]["250"] != 1000 {
		t.Errorf("sink counters %+v", c)
	}
	// Each message is its header plus exactly Size body bytes.
	if c.Bytes < 1000*4096 || c.Bytes > 1000*(4096+1024) {
		t.Errorf("sink got %d bytes for 1000 messages of 4096 body bytes", c.Bytes)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) == 0 || calls[len(calls)-1] != 1000 {
		t.Errorf("Progress calls %v, want the last to report 1000", calls)
	}
}

// TestBlastRcptRule refuses exactly the bad recipients: alone, a message
// to bad@ is refused with 550; beside a good one it is accepted.
func TestBlastRcptRule(t *testing.T) {
	s := startSink(t, SinkOptions{}, "rcpt:/^bad/=550 5.1.1 no such user")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 100, Connections: 4,
		To: []string{"good@x.test", "bad@x.test"}})
	if r.Accepted != 50 || r.Refused != 50 || r.Codes["550"] != 50 || r.Codes["250"] != 50 || r.RcptsRefused != 50 || r.Errors != 0 {
		t.Fatalf("one recipient each: %+v", r)
	}
	r = runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 100, Connections: 4, Rcpts: 2,
		To: []string{"good@x.test", "bad@x.test"}})
	if r.Accepted != 100 || r.RcptsAccepted != 100 || r.RcptsRefused != 100 {
		t.Fatalf("two recipients each: %+v", r)
	}
	c := s.Counters()
	if c.Messages != 150 || c.Recipients != 150 || c.Replies["rcpt"]["550"] != 150 || c.Scripted["rcpt"] != 150 {
		t.Errorf("sink counters %+v", c)
	}
}

// TestBlastThrottleAfter imitates Yahoo's TSS04: exactly 100 messages are
// accepted, then every one gets 421 and its connection is closed; Blast
// reconnects and counts them, without a connection error.
func TestBlastThrottleAfter(t *testing.T) {
	s := startSink(t, SinkOptions{}, "data:after:100=421 4.7.0 [TSS04] try later")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 300, Connections: 10})
	if r.Accepted != 100 || r.Refused != 200 || r.Codes["421"] != 200 || r.Codes["250"] != 100 || r.Errors != 0 || r.Failed != 0 {
		t.Fatalf("result %+v", r)
	}
	c := s.Counters()
	// A new connection follows each 421 while messages are left.
	if c.Messages != 100 || c.Refused != 200 || c.Replies["data"]["421"] != 200 || c.Connections < 200 || c.Connections > 210 {
		t.Errorf("sink counters %+v (want 200 to 210 connections)", c)
	}
}

// TestBlastPercentRule refuses 10% of the messages by a seeded draw: the
// count is near 10%, and exactly what the seed picks for events 0..1999.
func TestBlastPercentRule(t *testing.T) {
	const seed, n = 42, 2000
	want := 0
	for i := range uint64(n) {
		if draw(seed, 0, i)*100 < 10 {
			want++
		}
	}
	if want < 155 || want > 245 { // 10% of 2000 within 3.4 standard deviations
		t.Fatalf("seed %d picks %d of %d", seed, want, n)
	}
	s := startSink(t, SinkOptions{Seed: seed}, "10%=451 4.7.1 try later")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: n, Connections: 8})
	if r.Refused != want || r.Codes["451"] != want || r.Accepted != n-want {
		t.Fatalf("result %+v, want %d refused", r, want)
	}
}

// TestBlastRate paces 200 messages at 400 a second: the last may not start
// before 199/400 s.
func TestBlastRate(t *testing.T) {
	s := startSink(t, SinkOptions{})
	start := time.Now()
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 200, Connections: 4, Rate: 400})
	if r.Accepted != 200 {
		t.Fatalf("result %+v", r)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("200 messages at 400/s took %v, want at least 0.45 s", d)
	}
}

// TestBlastLockstep sends one command at a time to a server whose EHLO
// reply (a rule's one-liner) offers no PIPELINING.
func TestBlastLockstep(t *testing.T) {
	s := startSink(t, SinkOptions{}, "ehlo:*=250 plain server", "rcpt:/^bad/=550 5.1.1 no")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 30, Connections: 3,
		To: []string{"a@x.test", "bad@x.test", "c@x.test"}})
	if r.Accepted != 20 || r.Refused != 10 || r.Codes["550"] != 10 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
	// Every connection that reached the sink was greeted by the scripted EHLO
	// (a slow machine may not need all three before the messages run out).
	if c := s.Counters(); c.Messages != 20 || c.Connections == 0 || c.Connections > 3 || c.Replies["ehlo"]["250"] != c.Connections {
		t.Errorf("sink counters %+v", c)
	}
}

// TestBlastMailRefused counts a refused MAIL by its code and goes on.
func TestBlastMailRefused(t *testing.T) {
	s := startSink(t, SinkOptions{}, "mail:every:5=553 5.7.1 sender refused")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 50, Connections: 2})
	if r.Accepted != 40 || r.Codes["553"] != 10 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
}

// TestBlastGreetingRefused gives up after maxConnFailures refused
// greetings per connection and reports every message unsent.
func TestBlastGreetingRefused(t *testing.T) {
	s := startSink(t, SinkOptions{}, "connect:*=554 5.3.2 not today")
	r := runBlast(t, BlastOptions{Server: s.Addr().String(), Messages: 10, Connections: 2})
	if r.Sent != 0 || r.Unsent != 10 || r.Errors != 2*maxConnFailures || r.ConnErrors["greeting 554"] != 2*maxConnFailures {
		t.Fatalf("result %+v", r)
	}
}

// TestBlastNoServer reports dial failures for a port nobody listens on.
func TestBlastNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := runBlast(t, BlastOptions{Server: addr, Messages: 5, Connections: 1})
	if r.Unsent != 5 || r.ConnErrors["dial"] != maxConnFailures {
		t.Fatalf("result %+v", r)
	}
}

// TestBlastCancel stops a slow run when its context ends.
func TestBlastCancel(t *testing.T) {
	s := startSink(t, SinkOptions{})
	limit := emul.Scale(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	r, err := Blast(ctx, BlastOptions{Server: s.Addr().String(), Messages: 1000, Connections: 2, Rate: 50})
	if err != nil {
		t.Fatal(err)
	}
	if most := int(50*limit.Seconds()) + 2; r.Sent == 0 || r.Sent > most || r.Unsent != 1000-r.Sent ||
		r.Accepted+r.Failed != r.Sent || r.Errors != r.ConnErrors["canceled"] {
		t.Fatalf("result %+v, want 1 to %d sent and no errors but cancellation", r, most)
	}
}

func TestBlastOptionErrors(t *testing.T) {
	for _, o := range []BlastOptions{
		{Messages: 1},
		{Server: "127.0.0.1:1"},
		{Server: "127.0.0.1", Messages: 1},
		{Server: "127.0.0.1:1", Messages: 1, Rate: -1},
		{Server: "127.0.0.1:1", Messages: 1, To: []string{"a b@x"}},
	} {
		if _, err := Blast(context.Background(), o); err == nil || !strings.HasPrefix(err.Error(), "loadgen: blast: ") {
			t.Errorf("Blast(%+v) error %v", o, err)
		}
	}
}

func TestTextBody(t *testing.T) {
	for _, size := range []int{0, 2, 3, 50, 78, 79, 80, 81, 82, 157, 158, 4096, 20 << 10} {
		b := textBody(size)
		if len(b) != size {
			t.Errorf("textBody(%d) has %d bytes", size, len(b))
		}
		if size == 0 {
			continue
		}
		if !strings.HasSuffix(string(b), "\r\n") {
			t.Errorf("textBody(%d) does not end with CRLF", size)
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n") {
			if len(line) > 78 || strings.HasPrefix(line, ".") || strings.ContainsAny(line, "\r\n") {
				t.Errorf("textBody(%d): bad line %q", size, line)
			}
		}
	}
	if len(textBody(1)) != 2 {
		t.Error("textBody(1) is not the shortest line")
	}
}

func TestRecipients(t *testing.T) {
	b := &blastRun{o: BlastOptions{Rcpts: 3}}
	b.rcpts = recipients([]string{"a@d.test"}, 3)
	if got := strings.Join(b.rcptsOf(nil, 7), " "); got != "a@d.test rcpt2@d.test rcpt3@d.test" {
		t.Errorf("3 recipients from one: %s", got)
	}
	b = &blastRun{o: BlastOptions{Rcpts: 1}, rcpts: recipients([]string{"a@x", "b@x"}, 1)}
	if got := strings.Join(append(b.rcptsOf(nil, 0), b.rcptsOf(nil, 1)...), " "); got != "a@x b@x" {
		t.Errorf("in turn: %s", got)
	}
}

func TestPercentiles(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	if got := percentiles(lat); got != (Latency{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}) {
		t.Errorf("percentiles of 1..100 ms: %+v", got)
	}
	if percentiles(nil) != (Latency{}) {
		t.Error("percentiles of nothing")
	}
}
