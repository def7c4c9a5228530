package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an output both the command's goroutine and the test use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// sinkRun is `volley sink` running in a goroutine.
type sinkRun struct {
	addr           string
	stdout, stderr *lockedBuffer
	code           chan int
}

// startSinkCLI runs `volley [global] sink ARGS --listen 127.0.0.1:0` and
// returns once it printed the address it listens on.
func startSinkCLI(t *testing.T, global []string, args ...string) *sinkRun {
	t.Helper()
	s := &sinkRun{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, code: make(chan int, 1)}
	argv := append(append(append([]string(nil), global...), "sink", "--listen", "127.0.0.1:0"), args...)
	go func() { s.code <- run(argv, s.stdout, s.stderr) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if line, _, ok := strings.Cut(s.stdout.String(), "\n"); ok {
			addr, found := strings.CutPrefix(line, "sink listening on ")
			if !found {
				t.Fatalf("sink printed %q first", line)
			}
			s.addr = addr
			return s
		}
		select {
		case code := <-s.code:
			t.Fatalf("sink exited %d: %s", code, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("sink did not print its address")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wait returns the sink's exit status once it ends by --count.
func (s *sinkRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.code:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("sink did not exit after --count messages")
		return 0
	}
}

func TestBlastIntoSinkCLI(t *testing.T) {
	sink := startSinkCLI(t, nil, "--count", "200")
	code, out, errOut := cli(t, "blast", "--server", sink.addr, "--messages", "200", "--connections", "4",
		"--rcpts", "2", "--size", "2k", "--rate", "60000/min", "--to", "a@dst.test")
	if code != exitOK {
		t.Fatalf("blast exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if errOut != "" {
		t.Errorf("blast wrote to a stderr that is not a terminal: %q", errOut)
	}
	for _, want := range []string{
		"messages   sent 200, accepted 200, refused 0, failed 0, unsent 0\n",
		"recipients accepted 400, refused 0\n",
		"errors     0\n",
		" msgs/s\n",
		"latency    p50 ",
		"replies    250 200\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("blast summary lacks %q:\n%s", want, out)
		}
	}
	if code := sink.wait(t); code != exitOK {
		t.Fatalf("sink exit %d: %s", code, sink.stderr)
	}
	for _, want := range []string{
		"connections 4 (TLS 0)\n",
		"messages    200 accepted, 0 refused after data\n",
		"recipients  400\n",
		"replies     rcpt    250 400\n",
		"replies     data    250 200\n",
	} {
		if !strings.Contains(sink.stdout.String(), want) {
			t.Errorf("sink counters lack %q:\n%s", want, sink.stdout)
		}
	}
}

// TestBlastIntoSinkJSON scripts a recipient refusal and reads both
// summaries as JSON: half the messages refused, exit status 1.
func TestBlastIntoSinkJSON(t *testing.T) {
	sink := startSinkCLI(t, []string{"--json"}, "--count", "50", "--reply", "rcpt:/^bad/=550 5.1.1 no such user",
		"--hostname", "mx.test")
	// One connection, bad recipient first: the 50th accepted message is the
	// last one sent, so the sink's --count exit cannot cut a later one off.
	code, out, errOut := cli(t, "--json", "blast", "--server", sink.addr, "--messages", "100", "--connections", "1",
		"--to", "bad@dst.test", "--to", "good@dst.test", "--size", "512")
	if code != exitProblem {
		t.Fatalf("blast exit %d, want 1 (some refused)\nstdout %s\nstderr %s", code, out, errOut)
	}
	var b blastSummary
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("blast --json printed %q: %v", out, err)
	}
	if b.Sent != 100 || b.Accepted != 50 || b.Refused != 50 || b.Errors != 0 || b.RcptsRefused != 50 ||
		b.Replies["250"] != 50 || b.Replies["550"] != 50 || b.Seconds <= 0 || b.MsgsPerSec <= 0 ||
		b.LatencyMS.P50 <= 0 || b.LatencyMS.Max < b.LatencyMS.P99 {
		t.Errorf("blast summary %+v", b)
	}
	if code := sink.wait(t); code != exitOK {
		t.Fatalf("sink exit %d: %s", code, sink.stderr)
	}
	_, counters, _ := strings.Cut(sink.stdout.String(), "\n")
	var c struct {
		Connections, Messages, Recipients int64
		Replies                           map[string]map[string]int64
		Scripted                          map[string]int64
	}
	if err := json.Unmarshal([]byte(counters), &c); err != nil {
		t.Fatalf("sink --json printed %q: %v", counters, err)
	}
	if c.Messages != 50 || c.Recipients != 50 || c.Replies["rcpt"]["550"] != 50 || c.Scripted["rcpt"] != 50 || c.Connections != 1 {
		t.Errorf("sink counters %+v", c)
	}
}

func TestBlastSinkUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"bad size", []string{"blast", "--size", "4q"}, "invalid value \"4q\" for flag -size"},
		{"bad rate", []string{"blast", "--rate", "fast"}, "invalid value \"fast\" for flag -rate"},
		{"no messages", []string{"blast", "--messages", "0"}, "messages must be > 0"},
		{"no port", []string{"blast", "--server", "localhost"}, "server \"localhost\""},
		{"extra argument", []string{"blast", "now"}, "unexpected argument \"now\""},
		{"bad rule", []string{"sink", "--reply", "sometimes=451 x"}, `reply rule "sometimes=451 x": unknown selector`},
		{"bad code", []string{"sink", "--reply", "rcpt:*=354 go"}, `reply rule "rcpt:*=354 go"`},
		{"negative count", []string{"sink", "--count", "-1"}, "--count cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.stderr)
			}
		})
	}
	code, out, _ := cli(t, "sink", "--help")
	if code != exitOK || !strings.Contains(out, "rcpt:/^bad/=550 5.1.1 no such user") || !strings.Contains(out, "after:N") {
		t.Errorf("sink --help: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, "blast", "-h")
	if code != exitOK || !strings.Contains(out, "-connections") {
		t.Errorf("blast -h: exit %d\n%s", code, out)
	}
}

// TestBlastNoServerCLI reports a server nobody listens on: every message
// unsent, dial errors counted, exit status 1.
func TestBlastNoServerCLI(t *testing.T) {
	sink := startSinkCLI(t, nil, "--count", "1")
	addr := sink.addr
	cli(t, "blast", "--server", addr, "--messages", "1") // ends the sink
	sink.wait(t)
	code, out, _ := cli(t, "blast", "--server", addr, "--messages", "5", "--connections", "1", "--timeout", "2s")
	if code != exitProblem || !strings.Contains(out, "unsent 5") || !strings.Contains(out, "(dial 10)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestSizeAndRateFlags(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "512": 512, "4k": 4096, "4K": 4096, "20KB": 20480, "20kib": 20480,
		"1M": 1 << 20, "1MB": 1 << 20, "1.5k": 1536, "100b": 100} {
		var b byteSize
		if err := b.Set(in); err != nil || int(b) != want {
			t.Errorf("--size %s = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "k", "4q", "-1", "4kk", "9G"} {
		var b byteSize
		if b.Set(in) == nil {
			t.Errorf("--size %q accepted as %d", in, b)
		}
	}
	for in, want := range map[string]float64{"0": 0, "500": 500, "500/s": 500, "3000/min": 50, "3600/h": 1, "2.5/sec": 2.5} {
		var p perSecond
		if err := p.Set(in); err != nil || float64(p) != want {
			t.Errorf("--rate %s = %v, %v; want %v", in, p, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-5", "5/day", "NaN"} {
		var p perSecond
		if p.Set(in) == nil {
			t.Errorf("--rate %q accepted as %v", in, p)
		}
	}
}
