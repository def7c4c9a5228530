package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/testpeer"
)

// TestReloadUnderLoad reloads the config over and over, by the API and by
// SIGHUP, while Postfix's smtp-source injects 20,000 messages over 20
// connections: no connection is dropped (smtp-source fails on any), no
// message is lost (every one is in the spool after).
func TestReloadUnderLoad(t *testing.T) {
	bin := testpeer.Need(t, "postfix", "smtp-source", "/usr/sbin/smtp-source")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<domain load.test>\n max-smtp-out 5\n</domain>\n")
	base := apiURL(t, d)
	conf := filepath.Join(filepath.Dir(d.spool), "volley.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	src := exec.Command(bin, "-d", "-s", "20", "-m", strconv.Itoa(n), "-l", "4096", "-f", "s@origin.test", "-t", "r@load.test", d.addr)
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = src.CombinedOutput()
		done <- err
	}()
	reloads := 0
	for running := true; running; {
		// Each round changes a setting, so every reload is a real new snapshot.
		text := strings.Replace(string(orig), "max-smtp-out 5", "max-smtp-out "+strconv.Itoa(5+reloads%7), 1)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if reloads%2 == 0 {
			var rl api.Reload
			post(t, "POST", base+"/api/v1/reload", nil, &rl, 200)
		} else {
			_ = d.cmd.Process.Signal(syscall.SIGHUP)
		}
		reloads++
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("smtp-source: %v\n%s", err, out)
			}
			running = false
		case <-time.After(50 * time.Millisecond):
		}
	}
	if reloads < 5 {
		t.Fatalf("only %d reloads during the load", reloads)
	}
	logs := d.logs.String()
	if strings.Contains(logs, "reload refused") {
		t.Fatalf("a reload was refused:\n%s", logs)
	}
	var st api.Status
	get(t, base+"/api/v1/status", &st)
	if st.Traffic.MessagesReceived != n {
		t.Fatalf("status counts %d messages received, want %d", st.Traffic.MessagesReceived, n)
	}
	if msgs := readSpool(t, d); len(msgs) != n {
		t.Fatalf("%d messages in the spool after %d reloads, want %d", len(msgs), reloads, n)
	}
	t.Logf("%d reloads during %d messages", reloads, n)
}

// TestMetricsAfterLoad scrapes /metrics after a known load (messages
// delivered to Postfix's smtp-sink, one queue deleted), checks the values
// and runs promtool's lint over the scrape.
func TestMetricsAfterLoad(t *testing.T) {
	sink := testpeer.Sink(t)
	host, port := hostPort(sink)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"<domain sink.test>\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	base := apiURL(t, d)
	const delivered = 25
	for i := range delivered {
		sendMail(t, d, "s@origin.test", []string{fmt.Sprintf("r%d@sink.test", i)}, "")
	}
	sendMail(t, d, "s@origin.test", []string{"a@held.test", "b@held.test"}, "")
	waitFor(t, peerTimeout, "the deliveries", func() bool {
		return metricValue(t, base, `volley_recipients_delivered_total`) == delivered
	})
	var res api.Result
	post(t, "DELETE", base+"/api/v1/queues?queue=held.test", nil, &res, 200)
	if res.Count != 2 {
		t.Fatalf("deleted %d, want 2", res.Count)
	}
	waitFor(t, peerTimeout, "the deleted bounces", func() bool {
		return metricValue(t, base, `volley_recipients_bounced_total{category="deleted"}`) == 2
	})
	for metric, want := range map[string]float64{
		`volley_messages_received_total{source="smtp"}`: delivered + 1,
		`volley_smtp_replies_total{class="2xx"}`:        delivered,
		`volley_delivery_seconds_count`:                 delivered,
		`volley_engine_info{engine="io_uring",shards="2"}` + "|" + `volley_engine_info{engine="epoll",shards="2"}`: 1,
		`volley_spool_messages`: 0,
	} {
		got := -1.0
		for _, m := range strings.Split(metric, "|") {
			if v := metricValue(t, base, m); v >= 0 {
				got = v
			}
		}
		if got != want {
			t.Errorf("%s = %v, want %v", metric, got, want)
		}
	}
	// The queue gauges are sampled from the shards at most once a second.
	waitFor(t, 3*time.Second, "held.test/ empty in volley_queue_recipients", func() bool {
		return metricValue(t, base, `volley_queue_recipients{queue="held.test/"}`) == 0
	})
	if metricValue(t, base, `volley_recipients_deferred_total`) < 2 {
		t.Errorf("the held recipients' deferrals are not counted")
	}
	promtool := testpeer.Need(t, "prometheus", "promtool", "/usr/bin/promtool")
	code, body := call(t, "GET", base+"/metrics", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(string(body))
	if out, err := cmd.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// metricValue returns the value of the series named exactly (with its
// labels as Prometheus prints them), or -1 when it is not there.
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	code, body := call(t, "GET", base+"/metrics", nil)
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// TestLogFileReopen checks the log-file: lines go there as well as to
// stderr, and SIGUSR1 starts a new file after logrotate moved the old one.
func TestLogFileReopen(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "log", "volley.log")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\nlog-file "+logPath+"\n")
	base := apiURL(t, d)
	waitFor(t, peerTimeout, "the log file", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "management API")
	})
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, peerTimeout, "a new log file", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	post(t, "POST", base+"/api/v1/queues/none.test/_/pause", nil, nil, 200) // a logged admin call
	post(t, "POST", base+"/api/v1/rotate/log", nil, nil, 204)
	waitFor(t, peerTimeout, "the call's line in the new file", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "level=INFO") && strings.Contains(string(b), "mgmt: POST /api/v1/queues/none.test/_/pause")
	})
	old, _ := os.ReadFile(logPath + ".1")
	if strings.Contains(string(old), "none.test") {
		t.Fatalf("the moved file got lines after SIGUSR1")
	}
}
