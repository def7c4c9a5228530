package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
	"github.com/volleymta/volley/internal/testbrowser"
)

// The management API tests run the real daemon and talk HTTP to it, as
// the volley CLI and an operator's scripts do.

// apiConf makes the management API listen on a free loopback port.
const apiConf = "http-mgmt-listen 127.0.0.1:0\n"

var mgmtLine = regexp.MustCompile(`management API and web monitor on (http://[0-9.:]+)`)

// apiURL waits for d's log line naming the management API's address.
func apiURL(t *testing.T, d *daemon) string {
	t.Helper()
	for deadline := time.Now().Add(peerTimeout); ; {
		if m := mgmtLine.FindStringSubmatch(d.logs.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("volleyd did not log its management API address:\n%s", d.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call sends one request and returns the status and body; a non-nil in
// is sent as JSON; headers are name, value pairs.
func call(t *testing.T, method, url string, in any, headers ...string) (int, []byte) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{Timeout: peerTimeout}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// get decodes a 200 answer of GET url into out.
func get(t *testing.T, url string, out any) {
	t.Helper()
	code, body := call(t, "GET", url, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

// post sends in (may be nil) and decodes the answer into out (may be nil),
// failing unless the status is want.
func post(t *testing.T, method, url string, in, out any, want int, headers ...string) {
	t.Helper()
	code, body := call(t, method, url, in, headers...)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, code, body, want)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, body)
		}
	}
}

// sendMail sends one message through d's SMTP listener.
func sendMail(t *testing.T, d *daemon, from string, to []string, headers string) {
	t.Helper()
	msg := headers + "Subject: api test\r\n\r\nbody\r\n"
	if err := smtp.SendMail(d.addr, nil, from, to, []byte(msg)); err != nil {
		t.Fatalf("send to %v: %v", to, err)
	}
}

// isSuppressed asks d's API (at base) whether addr is suppressed.
func isSuppressed(t *testing.T, base, addr string) bool {
	t.Helper()
	var c api.SuppressionCheck
	get(t, base+"/api/v1/suppressions/check?address="+addr, &c)
	return c.Suppressed
}

// releaseTimed resumes the paused queues once their messages are in and
// returns how long the sink took to receive n messages, at most limit.
func releaseTimed(t *testing.T, base string, queues []string, sink *loadgen.Sink, n int64, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for _, q := range queues {
		post(t, "POST", base+"/api/v1/queues/"+q+"/resume", nil, nil, 200)
	}
	waitFor(t, limit, "all delivered", func() bool { return sink.Counters().Messages == n })
	return time.Since(start)
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// dialSMTP opens a session on addr and starts a transaction (EHLO, MAIL).
func dialSMTP(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("s@origin.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

// rcptReply sends RCPT TO and returns the reply code.
func rcptReply(t *testing.T, c *smtp.Client, rcpt string) int {
	t.Helper()
	err := c.Rcpt(rcpt)
	if err == nil {
		return 250
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		t.Fatalf("RCPT %s: %v", rcpt, err)
	}
	return te.Code
}

// browserDOM loads url in headless Chromium and returns the DOM after the
// page's scripts ran.
func browserDOM(t *testing.T, url string) string {
	t.Helper()
	testbrowser.Find(t)
	return testbrowser.DumpDOM(t, url, 3*time.Second)
}

// browserScreenshot saves url's rendering as a test artifact.
func browserScreenshot(t *testing.T, url, name string) {
	t.Helper()
	testbrowser.Screenshot(t, url, testbrowser.Artifact(t, name), 1280, 900, 3*time.Second)
}

// callText sends body as text/plain and returns the status and answer.
func callText(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := (&http.Client{Timeout: peerTimeout}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func jsonInto(t *testing.T, b []byte, v any) error {
	t.Helper()
	return json.Unmarshal(b, v)
}

// serveSink runs a volley sink (internal/loadgen) on a free loopback port
// until the test ends and returns its host and port.
func serveSink(t *testing.T, sink *loadgen.Sink) (host, port string) {
	t.Helper()
	if err := sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go sink.Serve()
	t.Cleanup(func() { _ = sink.Shutdown(context.Background()) })
	host, port, _ = net.SplitHostPort(sink.Addr().String())
	return host, port
}
