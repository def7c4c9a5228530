package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/emul"
	"github.com/volleymta/volley/internal/testdns"
	"github.com/volleymta/volley/internal/testpeer"
)

// The CLI against a real volleyd: the test builds cmd/volleyd once, runs
// it on loopback ports and runs every command of SPEC.md's list through
// run(), checking what it prints and what the daemon did.

var volleydBin struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildVolleyd builds cmd/volleyd once per test binary.
func buildVolleyd(t *testing.T) string {
	t.Helper()
	if emul.Active() {
		t.Skip("the daemon-level CLI tests run natively (building and running volleyd under emulation is too slow)")
	}
	goBin := testpeer.Need(t, "golang", "go")
	volleydBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "volley-cli-test")
		if err != nil {
			volleydBin.err = err
			return
		}
		volleydBin.path = filepath.Join(dir, "volleyd")
		cmd := exec.Command(goBin, "build", "-ldflags=-checklinkname=0", "-o", volleydBin.path, "github.com/volleymta/volley/cmd/volleyd")
		volleydBin.out, volleydBin.err = cmd.CombinedOutput()
	})
	if volleydBin.err != nil {
		t.Fatalf("go build ./cmd/volleyd: %v\n%s", volleydBin.err, volleydBin.out)
	}
	return volleydBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if volleydBin.path != "" {
		os.RemoveAll(filepath.Dir(volleydBin.path))
	}
	os.Exit(code)
}

// daemon is a running volleyd.
type daemon struct {
	cmd  *exec.Cmd
	logs *testpeer.Buffer
	smtp string // its SMTP listener
	api  string // its management API's base URL
	dir  string
	conf string
}

var mgmtLine = regexp.MustCompile(`management API and web monitor on (http://[0-9.:]+)`)

// startDaemon runs volleyd with conf after its own lines (loopback ports,
// a temporary spool, admin access from 127.0.0.1, and mail for domains
// without their own block held: sent to a closed loopback port).
func startDaemon(t *testing.T, conf string) *daemon {
	t.Helper()
	bin := buildVolleyd(t)
	d := &daemon{dir: t.TempDir(), logs: &testpeer.Buffer{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.smtp = ln.Addr().String()
	ln.Close()
	d.conf = filepath.Join(d.dir, "volley.conf")
	text := "host-name cli.test.example\nshards 2\nsmtp-listener " + d.smtp + "\nhttp-mgmt-listen 127.0.0.1:0\n" +
		"http-access 127.0.0.1 admin\n<spool " + filepath.Join(d.dir, "spool") + ">\n</spool>\n" +
		"log-file " + filepath.Join(d.dir, "volley.log") + "\n" +
		"<acct-file " + filepath.Join(d.dir, "acct.csv") + ">\n records d,b\n</acct-file>\n" +
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-job yes\n</source>\n" + conf +
		"<domain *>\n smtp-hosts [127.0.0.1]:1\n</domain>\n"
	if !strings.Contains(conf, "name-server") {
		text += "name-server 127.0.0.1:1\n" // a server that refuses: no question leaves loopback
	}
	if err := os.WriteFile(d.conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "--config", d.conf)
	d.cmd.Dir = d.dir
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.cmd.Wait() }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("volleyd exit: %v\n%s", err, d.logs)
			}
		case <-time.After(15 * time.Second):
			_ = d.cmd.Process.Kill()
			t.Errorf("volleyd did not stop on SIGTERM")
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if m := mgmtLine.FindStringSubmatch(d.logs.String()); m != nil {
			if c, err := net.Dial("tcp", d.smtp); err == nil {
				c.Close()
				d.api = m[1]
				return d
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("volleyd exited: %v\n%s", err, d.logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("volleyd did not start:\n%s", d.logs)
		}
	}
}

// volley runs the CLI against d and returns its exit status and output.
func (d *daemon) volley(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"--api", d.api}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// ok runs the CLI and fails unless it exits 0 with every want in stdout.
func (d *daemon) ok(t *testing.T, args []string, want ...string) string {
	t.Helper()
	code, out, errOut := d.volley(t, args...)
	if code != exitOK {
		t.Fatalf("volley %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("volley %s: no %q in\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

func (d *daemon) send(t *testing.T, from string, to []string, headers string) {
	t.Helper()
	if err := smtp.SendMail(d.smtp, nil, from, to, []byte(headers+"Subject: cli\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
}

// queued returns the recipients queued, by the API's JSON through the CLI.
func (d *daemon) queued(t *testing.T) map[string]api.Queue {
	t.Helper()
	var qs []api.Queue
	if err := json.Unmarshal([]byte(d.ok(t, []string{"--json", "show", "queues"})), &qs); err != nil {
		t.Fatal(err)
	}
	m := map[string]api.Queue{}
	for _, q := range qs {
		m[q.Name] = q
	}
	return m
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCommandsAgainstDaemon runs SPEC.md's API commands against volleyd.
func TestCommandsAgainstDaemon(t *testing.T) {
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"},
		[]string{"mail.test. 300 IN MX 10 mx1.mail.test.", "mx1.mail.test. 300 IN A 127.0.0.5"}, "test.")
	d := startDaemon(t, "name-server "+ns.Addr.String()+"\n<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.cli.test.example\n</virtual-mta>\n")
	d.send(t, "s@origin.test", []string{"a@x.test", "b@y.test"}, "X-Job: j1\r\n")
	d.send(t, "other@origin.test", []string{"c@x.test"}, "")
	eventually(t, "3 queued recipients, each tried once", func() bool {
		q := d.queued(t)
		return q["x.test/"].Recipients == 2 && q["y.test/"].Recipients == 1 && q["x.test/"].LastError != ""
	})

	d.ok(t, []string{"show", "status"}, "cli.test.example", "3")
	d.ok(t, []string{"show", "queues"}, "x.test/", "y.test/")
	d.ok(t, []string{"show", "topqueues", "--maxitems=1"}, "x.test/")
	d.ok(t, []string{"show", "domains"}, "x.test", "y.test")
	d.ok(t, []string{"show", "topdomains"}, "x.test")
	d.ok(t, []string{"show", "vmtas"}, "v1", "127.0.0.1")
	d.ok(t, []string{"show", "jobs"}, "j1")
	d.ok(t, []string{"show", "settings"}, "host-name cli.test.example")
	d.ok(t, []string{"show", "settings", "x.test/v1"}, "smtp-hosts [127.0.0.1]:1", "max-smtp-out 20")
	d.ok(t, []string{"list", "--queue=x.test"}, "a@x.test", "c@x.test")
	if out := d.ok(t, []string{"list", "--orig=other@origin.test"}); strings.Contains(out, "a@x.test") || !strings.Contains(out, "c@x.test") {
		t.Fatalf("list --orig:\n%s", out)
	}

	d.ok(t, []string{"pause", "queue", "x.test"}, "x.test/")
	if !d.queued(t)["x.test/"].Paused {
		t.Fatal("x.test/ not paused")
	}
	d.ok(t, []string{"show", "queues", "--paused"}, "x.test/")
	d.ok(t, []string{"resume", "queue", "x.test/*"}, "x.test/")
	d.ok(t, []string{"set", "queue", "--mode=backoff", "y.test"}, "y.test/")
	if d.queued(t)["y.test/"].Mode != "backoff" {
		t.Fatal("y.test/ not in backoff")
	}
	d.ok(t, []string{"set", "queue", "--mode=normal", "y.test"})
	d.ok(t, []string{"schedule", "y.test"}, "y.test/")
	d.ok(t, []string{"pause", "job", "j1"}, "j1")
	d.ok(t, []string{"resume", "job", "j1"}, "j1")
	if code, _, errOut := d.volley(t, "pause", "queue", "nomatch-*.test"); code != exitProblem || !strings.Contains(errOut, "no queue matches") {
		t.Fatalf("pause of nothing: exit %d, %s", code, errOut)
	}

	d.ok(t, []string{"disable", "source", "127.0.0.1", "x.test"}, "127.0.0.1")
	d.ok(t, []string{"show", "disabled", "sources"}, "127.0.0.1", "x.test/*")
	d.ok(t, []string{"enable", "source", "127.0.0.1"}, "127.0.0.1")
	d.ok(t, []string{"resolve", "mail.test"}, "mx1.mail.test", "127.0.0.5")
	d.ok(t, []string{"clear", "dnscache", "*"})

	// vMTAs live, then a message injected for the new one.
	d.ok(t, []string{"vmta", "set", "v2", "smtp-source-host 127.0.0.2 v2.cli.test.example"})
	d.ok(t, []string{"show", "vmtas"}, "v2", "127.0.0.2")
	msg := filepath.Join(d.dir, "m.eml")
	if err := os.WriteFile(msg, []byte("From: s@origin.test\nSubject: injected\n\nhello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.ok(t, []string{"inject", "--from=s@origin.test", "--to=d@z.test", "--vmta=v2", msg})
	eventually(t, "the injected recipient queued for v2", func() bool { return d.queued(t)["z.test/v2"].Recipients == 1 })
	if code, _, _ := d.volley(t, "vmta", "set", "v3", "max-smtp-out many"); code != exitProblem {
		t.Fatalf("a bad vMTA directive: exit %d, want 1", code)
	}
	d.ok(t, []string{"vmta", "delete", "v1"})

	// Delete, with b records of category deleted.
	d.ok(t, []string{"delete", "--rcpt=c@x.test"}, "1")
	eventually(t, "the deleted recipient's b record", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.dir, "acct.csv"))
		return strings.Contains(string(b), "c@x.test") && strings.Contains(string(b), "deleted")
	})

	// Suppression lists.
	d.ok(t, []string{"suppress", "add", "blocked@x.test", "@blocked.test"}, "2 entries added")
	if code, out, _ := d.volley(t, "suppress", "check", "blocked@x.test", "free@x.test"); code != exitProblem ||
		!strings.Contains(out, "blocked@x.test\tsuppressed\truntime (address)") || !strings.Contains(out, "free@x.test\tnot suppressed") {
		t.Fatalf("suppress check: exit %d\n%s", code, out)
	}
	list := filepath.Join(d.dir, "list.txt")
	if err := os.WriteFile(list, []byte("imported@x.test\nnot an entry\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := d.volley(t, "suppress", "import", list); code != exitProblem || !strings.Contains(out, "1 added, 1 bad") {
		t.Fatalf("suppress import: exit %d\n%s", code, out)
	}
	d.ok(t, []string{"suppress", "export"}, "blocked@x.test", "@blocked.test", "imported@x.test")
	d.ok(t, []string{"suppress", "lists"}, "runtime", "3")
	d.ok(t, []string{"suppress", "remove", "blocked@x.test"}, "1 entry removed")
	d.send(t, "s@origin.test", []string{"u@blocked.test"}, "")
	eventually(t, "the suppressed recipient's b record", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.dir, "acct.csv"))
		return strings.Contains(string(b), "u@blocked.test") && strings.Contains(string(b), "suppressed")
	})

	// Reload: ok, then refused with the file and line of the problem.
	d.ok(t, []string{"reload"}, "ok")
	conf, _ := os.ReadFile(d.conf)
	if err := os.WriteFile(d.conf, append(conf, "no-such-directive 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := d.volley(t, "reload"); code != exitProblem || !strings.Contains(out+errOut, "volley.conf:") {
		t.Fatalf("a refused reload: exit %d\n%s%s", code, out, errOut)
	}
	if err := os.WriteFile(d.conf, conf, 0o600); err != nil {
		t.Fatal(err)
	}

	d.ok(t, []string{"reset", "counters"})
	var st api.Status
	if err := json.Unmarshal([]byte(d.ok(t, []string{"--json", "show", "status"})), &st); err != nil || st.Traffic.MessagesReceived != 0 {
		t.Fatalf("after reset counters: %+v %v", st.Traffic, err)
	}
	d.ok(t, []string{"rotate", "acct"})
	d.ok(t, []string{"rotate", "log"})
}

// TestBlastAndSinkThroughDaemon runs the load harness end to end: volley
// blast injects into volleyd, which delivers to volley sink; blast's
// summary and the sink's counters agree with what volleyd reports.
func TestBlastAndSinkThroughDaemon(t *testing.T) {
	const n = 300
	sink := startSinkCLI(t, nil, "--count", strconv.Itoa(n))
	host, port, _ := net.SplitHostPort(sink.addr)
	d := startDaemon(t, "<domain sink.test>\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	_, smtpPort, _ := net.SplitHostPort(d.smtp)
	code, out, errOut := d.volley(t, "blast", "--server", "127.0.0.1:"+smtpPort, "--messages", strconv.Itoa(n),
		"--connections", "10", "--size", "4k", "--from", "s@origin.test", "--to", "r@sink.test")
	if code != exitOK || !strings.Contains(out, fmt.Sprint(n)) {
		t.Fatalf("blast: exit %d\n%s%s", code, out, errOut)
	}
	if c := sink.wait(t); c != exitOK {
		t.Fatalf("sink exit %d: %s", c, sink.stderr)
	}
	if !strings.Contains(sink.stdout.String(), fmt.Sprint(n)) {
		t.Fatalf("sink counters:\n%s", sink.stdout)
	}
	eventually(t, "volleyd to count the deliveries", func() bool {
		var st api.Status
		_ = json.Unmarshal([]byte(d.ok(t, []string{"--json", "show", "status"})), &st)
		return st.Traffic.Delivered == n && st.Traffic.MessagesReceived == n
	})
}
