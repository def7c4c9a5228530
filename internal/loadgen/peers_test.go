package loadgen

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/volleymta/volley/internal/testpeer"
)

// The harness against real SMTP peers: Python's smtplib as a client of the
// sink, Postfix's smtp-sink as the server Blast sends to, and swaks.

// smtplibScript sends two messages through smtplib: one to a good and a bad
// recipient (smtplib returns the refused one), one to the bad recipient
// alone (smtplib raises SMTPRecipientsRefused); it prints what it saw.
const smtplibScript = `
import json, smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
out = {}
s = smtplib.SMTP(host, port, timeout=10)
s.ehlo("python.test")
out["extensions"] = sorted(s.esmtp_features)
msg = "From: <a@src.test>\r\nTo: <good@dst.test>\r\nSubject: smtplib\r\n\r\nhello from python\r\n"
refused = s.sendmail("a@src.test", ["good@dst.test", "bad@dst.test"], msg)
out["refused"] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
try:
    s.sendmail("a@src.test", ["bad@dst.test"], msg)
    out["alone"] = "sent"
except smtplib.SMTPRecipientsRefused as e:
    out["alone"] = {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}
s.quit()
print(json.dumps(out))
`

func TestPythonSmtplibIntoSink(t *testing.T) {
	py := testpeer.Need(t, "python3", "/usr/bin/python3")
	s := startSink(t, SinkOptions{}, "rcpt:/^bad/=550 5.1.1 no such user")
	host, port, _ := strings.Cut(s.Addr().String(), ":")
	out, err := exec.Command(py, "-c", smtplibScript, host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("smtplib: %v\n%s", err, out)
	}
	var got struct {
		Extensions []string
		Refused    map[string][2]any
		Alone      map[string][2]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("smtplib printed %q: %v", out, err)
	}
	for _, ext := range []string{"pipelining", "chunking", "size", "smtputf8", "8bitmime", "dsn", "enhancedstatuscodes"} {
		if !strings.Contains(strings.Join(got.Extensions, " "), ext) {
			t.Errorf("smtplib did not see %s in %v", ext, got.Extensions)
		}
	}
	check := func(what string, m map[string][2]any) {
		t.Helper()
		r, ok := m["bad@dst.test"]
		if len(m) != 1 || !ok || r[0] != float64(550) || r[1] != "5.1.1 no such user" {
			t.Errorf("%s: smtplib saw %v, want bad@dst.test refused with 550 5.1.1 no such user", what, m)
		}
	}
	check("good and bad", got.Refused)
	check("bad alone", got.Alone)
	if c := s.Counters(); c.Messages != 1 || c.Recipients != 1 || c.Replies["rcpt"]["550"] != 2 {
		t.Errorf("sink counters %+v", c)
	}
}

// TestBlastIntoPostfixSink blasts into Postfix's smtp-sink, a server Volley
// did not write.
func TestBlastIntoPostfixSink(t *testing.T) {
	addr := testpeer.Sink(t)
	r := runBlast(t, BlastOptions{Server: addr, Messages: 300, Connections: 5, Rcpts: 2, Size: 2048})
	if r.Accepted != 300 || r.Refused != 0 || r.Errors != 0 || r.Codes["250"] != 300 || r.RcptsAccepted != 600 {
		t.Fatalf("result %+v", r)
	}
}

// TestSwaksIntoSink runs swaks against the sink's recipient rule: swaks
// shows the 550 and exits 24 (no recipient accepted).
func TestSwaksIntoSink(t *testing.T) {
	swaks := testpeer.Need(t, "swaks", "swaks")
	s := startSink(t, SinkOptions{}, "rcpt:/^bad/=550 5.1.1 no such user")
	cmd := exec.Command(swaks, "--server", s.Addr().String(), "--from", "a@src.test", "--to", "bad@x.test",
		"--helo", "swaks.test", "--timeout", "10")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 24 {
		t.Fatalf("swaks: %v, want exit status 24\n%s", err, out)
	}
	if !strings.Contains(string(out), "<** 550 5.1.1 no such user") {
		t.Errorf("swaks output lacks the 550:\n%s", out)
	}
	// A good recipient goes through.
	out, err = exec.Command(swaks, "--server", s.Addr().String(), "--from", "a@src.test", "--to", "good@x.test",
		"--helo", "swaks.test", "--timeout", "10").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "<-  250 2.0.0 ok: queued") {
		t.Fatalf("swaks to a good recipient: %v\n%s", err, out)
	}
	if c := s.Counters(); c.Messages != 1 || c.Replies["rcpt"]["550"] != 1 {
		t.Errorf("sink counters %+v", c)
	}
}
