package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/testcert"
	"github.com/volleymta/volley/internal/testpeer"
)

// TestAPIQueues drives every queue, job and read endpoint against a
// running daemon whose mail stays queued (no delivery leaves loopback).
func TestAPIQueues(t *testing.T) {
	acctPath := filepath.Join(t.TempDir(), "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records b\n</acct-file>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-job yes\n</source>\n")
	base := apiURL(t, d)
	sendMail(t, d, "s@origin.test", []string{"a@x.test", "b@y.test"}, "X-Job: job7\r\n")
	sendMail(t, d, "s@origin.test", []string{"c@x.test"}, "")
	sendMail(t, d, "other@origin.test", []string{"d@x.test"}, "")

	var qs []api.Queue
	waitFor(t, peerTimeout, "4 recipients queued and tried once", func() bool {
		get(t, base+"/api/v1/queues", &qs)
		n, tried := 0, true
		for _, q := range qs {
			n += q.Recipients
			tried = tried && q.LastError != ""
		}
		return n == 4 && tried
	})
	if len(qs) != 2 || qs[0].Name != "x.test/" || qs[0].Recipients != 3 || qs[1].Name != "y.test/" {
		t.Fatalf("queues, largest first: %+v", qs)
	}
	if qs[0].Waiting != 3 || qs[0].NextRetry == nil || !strings.Contains(qs[0].LastError, "451") {
		t.Fatalf("x.test after its failed attempt: %+v", qs[0])
	}
	get(t, base+"/api/v1/queues?sort=name&maxitems=1&pattern=*.test", &qs)
	if len(qs) != 1 || qs[0].Name != "x.test/" {
		t.Fatalf("sorted by name, one item: %+v", qs)
	}
	var one api.Queue
	get(t, base+"/api/v1/queues/y.test/_", &one)
	if one.Recipients != 1 || one.Domain != "y.test" {
		t.Fatalf("queue detail: %+v", one)
	}
	if code, body := call(t, "GET", base+"/api/v1/queues/none.test/_", nil); code != 404 || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("missing queue: %d %s", code, body)
	}

	// Pause, the paused filter, backoff mode, resume.
	var res api.Result
	post(t, "POST", base+"/api/v1/queues/x.test/*/pause", nil, &res, 200)
	if len(res.Affected) != 1 || res.Affected[0] != "x.test/" {
		t.Fatalf("pause: %+v", res)
	}
	get(t, base+"/api/v1/queues?paused=1", &qs)
	if len(qs) != 1 || !qs[0].Paused {
		t.Fatalf("paused filter: %+v", qs)
	}
	post(t, "POST", base+"/api/v1/queues/y.test/_/mode", api.ModeRequest{Mode: "backoff"}, &res, 200)
	get(t, base+"/api/v1/queues?mode=backoff", &qs)
	if len(qs) != 1 || qs[0].Name != "y.test/" || qs[0].Mode != "backoff" {
		t.Fatalf("backoff filter: %+v", qs)
	}
	post(t, "POST", base+"/api/v1/queues/y.test/_/mode", api.ModeRequest{Mode: "fast"}, nil, 400)
	post(t, "POST", base+"/api/v1/queues/nomatch.test/*/resume", nil, nil, 404)

	var st api.Status
	get(t, base+"/api/v1/status", &st)
	if st.Traffic.MessagesReceived != 3 || st.Traffic.RecipientsReceived != 4 || st.Queued.Recipients != 4 ||
		st.Queued.Paused != 1 || st.Queued.Backoff != 1 || st.Queued.Domains != 2 || st.Shards != 2 || st.Spool.Messages != 3 {
		t.Fatalf("status: %+v", st)
	}

	// Schedule makes the waiting recipients due now; they fail again and wait.
	post(t, "POST", base+"/api/v1/queues/y.test/_/schedule", api.ScheduleRequest{}, &res, 200)
	if res.Count != 1 {
		t.Fatalf("schedule moved %d, want 1", res.Count)
	}

	// Jobs.
	var jobs []api.Job
	get(t, base+"/api/v1/jobs", &jobs)
	if len(jobs) != 1 || jobs[0].ID != "job7" || jobs[0].Received != 2 || jobs[0].Queued != 2 {
		t.Fatalf("jobs: %+v", jobs)
	}
	post(t, "POST", base+"/api/v1/jobs/job7/pause", nil, &res, 200)
	get(t, base+"/api/v1/jobs", &jobs)
	if !jobs[0].Paused {
		t.Fatalf("job not paused: %+v", jobs)
	}
	post(t, "POST", base+"/api/v1/jobs/job7/resume", nil, &res, 200)

	// Recipients listed (PowerMTA's /listqueue) and the other read paths.
	var listed struct{ Data []api.Recipient }
	get(t, base+"/listqueue?format=json&queue=x.test/*&orig=other@origin.test", &listed)
	if len(listed.Data) != 1 || listed.Data[0].Rcpt != "d@x.test" {
		t.Fatalf("listqueue by orig: %+v", listed)
	}
	var pm struct {
		Data struct {
			Status struct {
				Traffic struct {
					Total struct {
						In struct{ Msg, Rcp int }
					}
				}
			}
		}
	}
	get(t, base+"/status?format=json", &pm)
	if pm.Data.Status.Traffic.Total.In.Msg != 3 || pm.Data.Status.Traffic.Total.In.Rcp != 4 {
		t.Fatalf("/status?format=json: %+v", pm)
	}
	if code, _ := call(t, "GET", base+"/status?format=xml", nil); code != 400 {
		t.Fatalf("format=xml: %d, want 400", code)
	}
	for _, p := range []string{"/queues", "/domains", "/vmtas", "/jobs", "/queueDetail?queue=x.test/&x=1"} {
		var v struct{ Data json.RawMessage }
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		get(t, base+p+sep+"format=json", &v)
		if len(v.Data) == 0 {
			t.Fatalf("%s: no data", p)
		}
	}
	var doms []api.Domain
	get(t, base+"/api/v1/domains", &doms)
	if len(doms) != 2 || doms[0].Name != "x.test" || doms[0].Recipients != 3 || doms[0].Paused != 1 {
		t.Fatalf("domains: %+v", doms)
	}
	var events []api.Event
	get(t, base+"/api/v1/events", &events)
	if len(events) < 4 || events[0].Kind != "deferred" || !strings.Contains(events[0].Reply, "451") {
		t.Fatalf("events: %+v", events)
	}
	var rates []api.RatePoint
	get(t, base+"/api/v1/rates", &rates)
	if len(rates) == 0 || rates[len(rates)-1].Received != 4 {
		t.Fatalf("rates: %+v", rates)
	}

	// Delete by recipient: a b record with category deleted.
	post(t, "DELETE", base+"/api/v1/queues?rcpt=c@x.test", nil, &res, 200)
	if res.Count != 1 {
		t.Fatalf("delete by rcpt: %+v", res)
	}
	post(t, "DELETE", base+"/api/v1/queues", nil, nil, 400) // no filter
	post(t, "DELETE", base+"/api/v1/queues?jobId=job7&queue=y.test", nil, &res, 200)
	if res.Count != 1 {
		t.Fatalf("delete by job in y.test: %+v", res)
	}
	waitFor(t, peerTimeout, "two b records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), ",deleted,") == 2 && containsAll(string(b), "c@x.test", "b@y.test")
	})

	// DNS, counters, settings, rotation.
	var rs api.Resolved
	get(t, base+"/api/v1/resolve/example.test", &rs)
	if rs.Error == "" || rs.Domain != "example.test" {
		t.Fatalf("resolve with a name server that refuses: %+v", rs)
	}
	post(t, "POST", base+"/api/v1/dnscache/clear?domain=*", nil, nil, 204)
	post(t, "POST", base+"/api/v1/counters/reset", nil, nil, 204)
	get(t, base+"/api/v1/status", &st)
	if st.Traffic.MessagesReceived != 0 || st.Queued.Recipients != 2 {
		t.Fatalf("after reset counters (the queues stay): %+v", st)
	}
	code, body := call(t, "GET", base+"/api/v1/settings", nil)
	if code != 200 || !strings.Contains(string(body), "host-name test.example") {
		t.Fatalf("settings: %d %.200s", code, body)
	}
	post(t, "POST", base+"/api/v1/rotate/acct", nil, nil, 204)
	post(t, "POST", base+"/api/v1/rotate/log", nil, nil, 501) // no log-file in this config
	var out api.CommandOutput
	post(t, "POST", base+"/api/v1/commands", api.Command{Args: []string{"show", "queues"}}, &out, 200)
	if !out.OK || !strings.Contains(out.Output, "x.test/") {
		t.Fatalf("commands: %+v", out)
	}
	if !strings.Contains(d.logs.String(), "mgmt: DELETE /api/v1/queues rcpt=c@x.test by 127.0.0.1: 200") {
		t.Fatalf("admin call not logged:\n%s", d.logs)
	}
}

// TestAPIAccess checks http-access levels and X-API-Key: 403 or 401 with
// a JSON error, never the call.
func TestAPIAccess(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 monitor\nhttp-access 127.0.0.0/8 none\nhttp-api-key "+key+"\n")
	base := apiURL(t, d)
	var st api.Status
	get(t, base+"/api/v1/status", &st) // monitor reads
	for _, c := range []struct {
		method, path string
		headers      []string
		want         int
	}{
		{"POST", "/api/v1/queues/x.test/_/pause", nil, 403},             // operator call, monitor client
		{"POST", "/api/v1/reload", nil, 401},                            // admin call: a key would do
		{"POST", "/api/v1/reload", []string{"X-API-Key", "wrong"}, 401}, // a wrong key
		{"POST", "/api/v1/reload", []string{"X-API-Key", key}, 200},
		{"POST", "/api/v1/queues/x.test/_/pause", []string{"X-API-Key", key}, 200},
	} {
		code, body := call(t, c.method, base+c.path, nil, c.headers...)
		var e api.Error
		if code != c.want || code >= 400 && (json.Unmarshal(body, &e) != nil || e.Error == "") {
			t.Errorf("%s %s %v: %d %s, want %d (with a JSON error)", c.method, c.path, c.headers, code, body, c.want)
		}
	}
	if !strings.Contains(d.logs.String(), "mgmt: POST /api/v1/reload  by 127.0.0.1 (API key): 200") {
		t.Errorf("the admin call is not logged with its key:\n%s", d.logs)
	}
}

// TestAPIInjectAndVMTAs injects through the API and the Transmissions API
// and changes virtual MTAs live; the messages are in the spool after.
func TestAPIInjectAndVMTAs(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\nhttp-api-key "+key+"\n"+
		"<virtual-mta v1>\n smtp-source-host 127.0.0.1 v1.test.example\n</virtual-mta>\n")
	base := apiURL(t, d)

	var rl api.Reload
	post(t, "PUT", base+"/api/v1/vmtas/v2", api.VMTASpec{Directives: []string{"smtp-source-host 127.0.0.2 v2.test.example", "max-smtp-out 3"}}, &rl, 200)
	if !rl.OK {
		t.Fatalf("put v2: %+v", rl)
	}
	var v api.VMTA
	get(t, base+"/api/v1/vmtas/v2", &v)
	if !v.Live || v.MaxSMTPOut != 3 || len(v.Sources) != 1 || v.Sources[0].IP != "127.0.0.2" {
		t.Fatalf("live vMTA: %+v", v)
	}
	post(t, "PUT", base+"/api/v1/vmtas/v3", api.VMTASpec{Directives: []string{"max-smtp-out lots"}}, &rl, 422)
	if rl.OK || len(rl.Problems) == 0 || !strings.Contains(rl.Problems[0], "api:virtual-mta v3:2") {
		t.Fatalf("bad directive: %+v", rl)
	}

	var got api.Injected
	post(t, "POST", base+"/api/v1/inject", api.Inject{From: "s@origin.test", To: []string{"a@x.test", "b@x.test"}, VMTA: "v2",
		Data: "From: s@origin.test\nSubject: by API\n\nhello\n"}, &got, 200)
	if got.ID == "" || got.Recipients != 2 {
		t.Fatalf("inject: %+v", got)
	}
	post(t, "POST", base+"/api/v1/inject", api.Inject{To: []string{"not an address"}, Data: "Subject: x\n\nx\n"}, nil, 400)
	post(t, "POST", base+"/api/v1/inject", api.Inject{To: []string{"a@x.test"}, VMTA: "nope", Data: "Subject: x\n\nx\n"}, nil, 400)
	var q api.Queue
	waitFor(t, peerTimeout, "queue x.test/v2", func() bool {
		code, body := call(t, "GET", base+"/api/v1/queues/x.test/v2", nil)
		return code == 200 && json.Unmarshal(body, &q) == nil && q.Recipients == 2
	})

	tr := map[string]any{"return_path": "bounces@origin.test", "campaign_id": "camp1",
		"recipients": []any{map[string]any{"address": "c@x.test"}, map[string]any{"address": map[string]string{"email": "d@x.test"}}},
		"content":    map[string]string{"email_rfc822": "From: s@origin.test\r\nSubject: transmission\r\n\r\nhi\r\n"}}
	var trOut struct {
		Results struct {
			Accepted int `json:"total_accepted_recipients"`
		}
	}
	post(t, "POST", base+"/api/v1/transmissions", tr, &trOut, 200, "Authorization", key)
	if trOut.Results.Accepted != 2 {
		t.Fatalf("transmission: %+v", trOut)
	}

	post(t, "DELETE", base+"/api/v1/vmtas/v1", nil, &rl, 200)
	var all []api.VMTA
	get(t, base+"/api/v1/vmtas", &all)
	if len(all) != 1 || all[0].Name != "v2" || all[0].Recipients != 2 {
		t.Fatalf("after deleting v1: %+v", all)
	}

	msgs := readSpool(t, d) // stops the daemon
	if len(msgs) != 2 {
		t.Fatalf("%d messages in the spool, want 2", len(msgs))
	}
	var sawJob bool
	for _, m := range msgs {
		if m.Job == "camp1" && m.From == "bounces@origin.test" && strings.Join(m.rcpts(), ",") == "c@x.test,d@x.test" {
			sawJob = true
		}
		if m.VMTA == "v2" && !strings.Contains(string(m.body), "\r\nSubject: by API\r\n") {
			t.Fatalf("API message body not in CRLF form: %q", m.body)
		}
	}
	if !sawJob {
		t.Fatalf("no transmission in the spool: %+v", msgs)
	}
}

// TestReloadBySignal reloads on SIGHUP: a changed policy applies to new
// connections, an open one keeps the settings it started with, and a bad
// config is refused with its file and line while the old one runs on.
func TestReloadBySignal(t *testing.T) {
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n")
	base := apiURL(t, d)
	conf := filepath.Join(filepath.Dir(d.spool), "volley.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	open := dialSMTP(t, d.addr) // opened under the old config: may relay

	// A bad config: refused, named by file and line; the old one runs on.
	if err := os.WriteFile(conf, append(append([]byte{}, orig...), "max-smtp-out-typo 3\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, peerTimeout, "the refusal in the log", func() bool {
		return containsAll(d.logs.String(), "reload refused", "volley.conf:")
	})
	var st api.Status
	get(t, base+"/api/v1/status", &st)
	if len(st.Config.Problems) == 0 || st.Config.Reloads != 0 {
		t.Fatalf("status after a refused reload: %+v", st.Config)
	}
	sendMail(t, d, "s@origin.test", []string{"a@x.test"}, "") // still relaying

	// A good config that stops relaying from 127.0.0.1.
	noRelay := strings.Replace(string(orig), "always-allow-relaying yes", "always-allow-relaying no", 1)
	if err := os.WriteFile(conf, []byte(noRelay), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, peerTimeout, "the reload", func() bool {
		get(t, base+"/api/v1/status", &st)
		return st.Config.Reloads == 1
	})
	if code := rcptReply(t, dialSMTP(t, d.addr), "b@x.test"); code != 550 {
		t.Fatalf("a new connection after the reload: RCPT %d, want 550 5.7.1", code)
	}
	if code := rcptReply(t, open, "c@x.test"); code != 250 {
		t.Fatalf("the connection open before the reload: RCPT %d, want 250 (its old settings)", code)
	}
}

// TestMonitorInChromium loads the web monitor of a running daemon in
// headless Chromium and finds the paused queue in its table.
func TestMonitorInChromium(t *testing.T) {
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n")
	base := apiURL(t, d)
	sendMail(t, d, "s@origin.test", []string{"a@paused.test"}, "")
	sendMail(t, d, "s@origin.test", []string{"b@running.test"}, "")
	waitFor(t, peerTimeout, "two queues", func() bool {
		var qs []api.Queue
		get(t, base+"/api/v1/queues", &qs)
		return len(qs) == 2
	})
	post(t, "POST", base+"/api/v1/queues/paused.test/_/pause", nil, nil, http.StatusOK)
	dom := browserDOM(t, base+"/")
	row := rowOf(dom, `data-queue="paused.test/"`)
	if row == "" || !strings.Contains(row, `<td class="paused">paused</td>`) {
		t.Fatalf("no paused row for paused.test/ in the monitor:\n%s", dom)
	}
	if r := rowOf(dom, `data-queue="running.test/"`); r == "" || strings.Contains(r, `class="paused"`) {
		t.Fatalf("running.test/ missing or shown paused: %q", r)
	}
	if !strings.Contains(dom, `id="host">test.example<`) {
		t.Fatalf("the status header lacks the host name")
	}
	browserScreenshot(t, base+"/", "monitor.png")
}

// rowOf returns the <tr> element of dom holding attr, or "".
func rowOf(dom, attr string) string {
	i := strings.Index(dom, attr)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(dom[:i], "<tr")
	end := strings.Index(dom[i:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return dom[start : i+end]
}

// TestInjectTryLater: past spool-max-recipients both injection APIs answer
// 503 (retry later), not 400 (a bad request, never to be retried).
func TestInjectTryLater(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\nhttp-api-key "+key+"\nspool-max-recipients 1\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n")
	base := apiURL(t, d)
	sendMail(t, d, "s@origin.test", []string{"a@x.test", "b@x.test"}, "")
	in := api.Inject{From: "s@origin.test", To: []string{"c@x.test"}, Data: "Subject: x\n\nx\n"}
	var code int
	var body []byte
	waitFor(t, peerTimeout, "503 from /api/v1/inject", func() bool {
		code, body = call(t, "POST", base+"/api/v1/inject", in)
		return code == 503
	})
	if !strings.Contains(string(body), "spool-max-recipients is 1") {
		t.Errorf("503 body %s", body)
	}
	tr := map[string]any{"recipients": []any{map[string]any{"address": "d@x.test"}},
		"content": map[string]string{"email_rfc822": "From: s@origin.test\r\nSubject: t\r\n\r\nhi\r\n"}}
	post(t, "POST", base+"/api/v1/transmissions", tr, nil, 503, "Authorization", key)
}

// TestTransmissionsListener: a <transmissions-api-listener> serves the
// Transmissions API over HTTPS (curl, a real client) to a client with a
// <transmissions-api> key; without one it is refused, in the API's error
// shape; other paths are not served there.
func TestTransmissionsListener(t *testing.T) {
	curl := testpeer.Need(t, "curl", "curl")
	const key = "fedcba9876543210fedcba9876543210"
	port := freePort(t)
	listen := "127.0.0.1:" + strconv.Itoa(port)
	d := startVolleyd(t, "", `<transmissions-api>
    api-key `+key+`
    log-requests yes
</transmissions-api>
<transmissions-api-listener `+listen+`>
    tls-certificate `+testcert.WritePEM(t, "api.test.example")+`
</transmissions-api-listener>
`)
	if err := d.waitListening(listen); err != nil {
		t.Fatal(err)
	}
	body := `{"return_path":"bounces@origin.test","campaign_id":"c7","recipients":[{"address":"a@x.test"},{"address":{"email":"b@x.test"}}],` +
		`"content":{"email_rfc822":"From: s@origin.test\r\nSubject: over https\r\n\r\nhi\r\n"}}`
	run := func(args ...string) (string, string) {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sk", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		i := strings.LastIndexByte(string(out), '\n')
		return string(out[:i]), string(out[i+1:])
	}
	url := "https://" + listen + "/api/v1/transmissions"
	resp, code := run("-H", "Authorization: "+key, "-H", "Content-Type: application/json", "--data-binary", body, url)
	if code != "200" || !strings.Contains(resp, `"total_accepted_recipients": 2`) {
		t.Fatalf("with the key: %s %s", code, resp)
	}
	if resp, code := run("-H", "Authorization: wrong-key-wrong-key-wrong-key-wrong", "--data-binary", body, url); code != "401" || !strings.Contains(resp, `"errors"`) {
		t.Errorf("with a wrong key: %s %s", code, resp)
	}
	if _, code := run("-H", "Authorization: "+key, "https://"+listen+"/api/v1/status"); code != "404" {
		t.Errorf("the status path on the transmissions listener: %s, want 404", code)
	}
	if !strings.Contains(d.logs.String(), "refused: no valid key") {
		t.Errorf("log-requests did not log the refusal:\n%s", d.logs)
	}
	msgs := readSpool(t, d)
	if len(msgs) != 1 || len(msgs[0].Recipients) != 2 || msgs[0].Job != "c7" || msgs[0].From != "bounces@origin.test" {
		t.Fatalf("spool: %+v", msgs)
	}
}
