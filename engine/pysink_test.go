package engine

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/internal/testdns"
	"github.com/volleymta/volley/internal/testpeer"
)

// startPySink runs testdata/sink.py (Python's aiosmtpd) on a free port and
// returns its address and the file its accepted messages go to.
func startPySink(t *testing.T, args ...string) (addr, log string) {
	t.Helper()
	py := testpeer.Need(t, "python3-aiosmtpd", "/usr/bin/python3")
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
			t.Fatal("aiosmtpd not installed (apt-get install python3-aiosmtpd)")
		}
		t.Skip("aiosmtpd not installed (apt-get install python3-aiosmtpd)")
	}
	port := testdns.FreePort(t)
	log = filepath.Join(t.TempDir(), "received.jsonl")
	cmd := exec.Command(py, append([]string{"testdata/sink.py", fmt.Sprint(port), log}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("sink.py did not start")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sink.py did not start within 10 s")
	}
	return fmt.Sprintf("127.0.0.1:%d", port), log
}

// TestPythonSink delivers to Python's aiosmtpd, which accepts, defers or
// refuses by recipient: the accepted one arrives, the refused one is
// bounced (b record), the deferred one waits (t record, still queued).
func TestPythonSink(t *testing.T) {
	sink, received := startPySink(t)
	_, dir, rn, stop := startRunningAndSend(t, fmt.Sprintf(`<acct-file DIR/acct.csv>
    records d,b,t
</acct-file>
<domain *>
    smtp-hosts [%s]:%s
</domain>
`, sinkHost(sink), sinkPort(sink)), "ok@dest.test")
	addr := rn.Listeners[0].String()
	if err := smtp.SendMail(addr, nil, "s@origin.test", []string{"deferme@dest.test", "bad@dest.test"}, []byte("Subject: py\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	var got map[string]acct.Type
	for {
		// The writer may be mid-line: read what parses so far.
		data, _ := os.ReadFile(filepath.Join(filepath.Dir(dir), "acct.csv"))
		recs, _ := acct.Parse(data)
		got = map[string]acct.Type{}
		for _, r := range recs {
			if r.Orig == "s@origin.test" {
				got[r.Rcpt] = r.Type
			}
		}
		if len(got) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("accounting records %v, want all three recipients", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got["ok@dest.test"] != acct.Delivered || got["bad@dest.test"] != acct.Bounced || got["deferme@dest.test"] != acct.Transient {
		t.Fatalf("records %v: want d for ok, b for bad, t for deferme", got)
	}
	stop()
	data, err := os.ReadFile(received)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m struct {
			From string
			To   []string
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m.From == "s@origin.test" && len(m.To) == 1 && m.To[0] == "ok@dest.test" {
			found = true
		}
	}
	if !found {
		t.Fatalf("aiosmtpd did not receive the message to ok@dest.test:\n%s", data)
	}
}

// TestPythonSinkThrottle: aiosmtpd answering Yahoo's "421 4.7.0 [TSS04]"
// to a recipient puts the queue in backoff mode (the built-in pattern
// list), and the deferral is recorded.
func TestPythonSinkThrottle(t *testing.T) {
	sink, _ := startPySink(t)
	_, _, rn, _ := startRunningAndSend(t, fmt.Sprintf(`<domain *>
    smtp-hosts [%s]:%s
</domain>
`, sinkHost(sink), sinkPort(sink)), "throttle@slow.test")
	deadline := time.Now().Add(15 * time.Second)
	for {
		qs, err := rn.Queues(t.Context(), api.QueueFilter{Pattern: "slow.test"})
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) == 1 && qs[0].Mode == api.ModeBackoff {
			if !strings.Contains(qs[0].LastError, "[TSS04]") {
				t.Fatalf("last error %q", qs[0].LastError)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slow.test/ not in backoff after the 421: %+v", qs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSmarthostAuth: a domain with auth-username/auth-password delivers
// through a smarthost (aiosmtpd) that requires AUTH, logged in as that
// user; without use-unencrypted-plain-auth the password is not sent over
// a session without TLS and the mail waits.
func TestSmarthostAuth(t *testing.T) {
	sink, received := startPySink(t, "relayuser:s3cret")
	addr, _, rn, _ := startRunning(t, fmt.Sprintf(`<domain open.test>
    smtp-hosts [%s]:%s
    auth-username relayuser
    auth-password s3cret
    use-unencrypted-plain-auth yes
</domain>
<domain guarded.test>
    smtp-hosts [%s]:%s
    auth-username relayuser
    auth-password s3cret
</domain>
`, sinkHost(sink), sinkPort(sink), sinkHost(sink), sinkPort(sink)))
	for _, rcpt := range []string{"a@open.test", "b@guarded.test"} {
		if err := smtp.SendMail(addr, nil, "s@origin.test", []string{rcpt}, []byte("Subject: via smarthost\r\n\r\nx\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	var login string
	waitForEngine(t, 15*time.Second, "the message through the smarthost", func() bool {
		data, _ := os.ReadFile(received)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var m struct {
				To    []string
				Login string
			}
			if json.Unmarshal([]byte(line), &m) == nil && len(m.To) == 1 && m.To[0] == "a@open.test" {
				login = m.Login
				return true
			}
		}
		return false
	})
	if login != "relayuser" {
		t.Fatalf("delivered under login %q, want relayuser", login)
	}
	var q []queue.Summary
	waitForEngine(t, 10*time.Second, "guarded.test deferred", func() bool {
		perShard, _ := rn.ShardQueues(t.Context())
		q = q[:0]
		for _, qs := range perShard {
			for _, s := range qs {
				if s.Key.Domain == "guarded.test" && s.Recipients == 1 {
					q = append(q, s)
				}
			}
		}
		return len(q) == 1
	})
	if data, _ := os.ReadFile(received); strings.Contains(string(data), "guarded.test") {
		t.Fatalf("the password went in the clear:\n%s", data)
	}
}

// waitForEngine polls cond until it holds or limit passes.
func waitForEngine(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
