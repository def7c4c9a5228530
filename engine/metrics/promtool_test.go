package metrics

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/testpeer"
)

// TestPromtool runs Prometheus's own linter, `promtool check metrics`, over
// a full scrape (every metric family present, Go and process collectors
// included): it must exit 0 and report nothing.
func TestPromtool(t *testing.T) {
	promtool := testpeer.Need(t, "prometheus", "promtool")
	m := New(Options{Engine: "io_uring", Shards: 4, Sample: func() Sample {
		return Sample{
			Queues: []QueueSample{
				{Name: "gmail.com/vmta1", Recipients: 10, Mode: ModeBackoff},
				{Name: "yahoo.com/vmta2", Recipients: 3},
			},
			ConnectionsIn: 2, ConnectionsOut: 5, SpoolBytes: 4096, SpoolMessages: 7,
			Warmups:         []WarmupSample{{Source: "192.0.2.1", Fraction: 0.51}},
			SourcesDisabled: 1,
		}
	}})
	load(m)
	file := filepath.Join(t.TempDir(), "metrics.txt")
	tcheck(t, os.WriteFile(file, []byte(scrape(t, m)), 0o644), "write scrape")

	in, err := os.Open(file)
	tcheck(t, err, "open scrape")
	defer in.Close()
	var out bytes.Buffer
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &out, &out
	done := make(chan error, 1)
	tcheck(t, cmd.Start(), "start promtool")
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("promtool did not finish in a minute")
	}
	if err != nil || out.Len() != 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out.String())
	}
}
