package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/testbrowser"
)

func TestHandlerServesAssets(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="web/app.js"`},
		{"/web/app.js", "text/javascript; charset=utf-8", "api/v1/status"},
		{"/web/style.css", "text/css; charset=utf-8", "prefers-color-scheme"},
		{"/web/favicon.svg", "image/svg+xml", "<svg"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if got := res.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", got)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q", got)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
		})
	}
	for _, p := range []string{"/web/nope.js", "/web/", "/web/index.html", "/web/../web/app.js", "/index.html", "/app.js", "/api/v1/status"} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
		}
	}
	res, err := http.Post(srv.URL+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: status %d, want 405", res.StatusCode)
	}
}

// TestAssetsHaveNothingInline keeps the page within its CSP: no inline
// script, style or event handler, and nothing loaded from elsewhere.
func TestAssetsHaveNothingInline(t *testing.T) {
	page, _ := files.ReadFile("index.html")
	for _, re := range []string{`<script>`, `<script [^>]*>[^<]`, `<style`, ` style=`, ` on[a-z]+=`, `https?://`} {
		if regexp.MustCompile(re).Match(page) {
			t.Errorf("index.html matches %s", re)
		}
	}
	js, _ := files.ReadFile("app.js")
	js = bytes.ReplaceAll(js, []byte("'http://www.w3.org/2000/svg'"), nil) // a namespace name, not a fetch
	for _, re := range []string{`innerHTML`, `outerHTML`, `insertAdjacentHTML`, `document\.write`, `eval\(`, `https?://`} {
		if regexp.MustCompile(re).Match(js) {
			t.Errorf("app.js matches %s", re)
		}
	}
}

// fixture is what the fake management API answers.
type fixture struct {
	status api.Status
	queues []api.Queue
	rates  []api.RatePoint
	events []api.Event
	// failQueues makes /api/v1/queues answer 403 {"error":"forbidden"}.
	failQueues bool
}

func newFixture() fixture {
	now := time.Date(2025, 3, 14, 15, 9, 0, 0, time.UTC)
	retry := now.Add(4 * time.Minute)
	f := fixture{
		status: api.Status{
			Version: "0.9.1-test", Host: "mta1.volley.test", Engine: "io_uring", Shards: 4,
			Started: now.Add(-26 * time.Hour), UptimeSeconds: 26 * 3600,
			Traffic:     api.Traffic{Since: now.Add(-26 * time.Hour), MessagesReceived: 1200, RecipientsReceived: 15400, Delivered: 14800, Bounced: 90, Deferred: 310},
			Queued:      api.Queued{Recipients: 510, Queues: 3, Domains: 3, Paused: 1, Backoff: 1},
			Connections: api.Connections{In: 7, Out: 12},
			Spool:       api.Spool{Messages: 480, Bytes: 12 << 20},
		},
		queues: []api.Queue{
			{Name: "gmail.com/vmta1", Domain: "gmail.com", VMTA: "vmta1", Recipients: 300, Ready: 250, Waiting: 40, InFlight: 10, Connections: 8, Mode: api.ModeNormal},
			{Name: "slow.example/vmta2", Domain: "slow.example", VMTA: "vmta2", Recipients: 150, Waiting: 150, Mode: api.ModeBackoff,
				NextRetry: &retry, LastError: "421 4.7.0 <script>alert(1)</script> try again later"},
			{Name: "paused.example/vmta1", Domain: "paused.example", VMTA: "vmta1", Recipients: 60, Ready: 60, Mode: api.ModeNormal, Paused: true},
		},
		events: []api.Event{
			{Time: now.Add(-time.Minute), Kind: "deferred", Queue: "slow.example/vmta2", Recipient: "a@slow.example", Reply: "421 4.7.0 Too many connections from your IP"},
			{Time: now.Add(-3 * time.Minute), Kind: "bounced", Queue: "gmail.com/vmta1", Recipient: "nobody@gmail.com", Reply: "550 5.1.1 The email account that you tried to reach does not exist"},
		},
	}
	for i := range 60 {
		f.rates = append(f.rates, api.RatePoint{
			Time:      now.Add(time.Duration(i-59) * time.Minute),
			Received:  uint64(200 + 50*(i%7)),
			Delivered: uint64(180 + 40*(i%5)),
			Bounced:   uint64(i % 4),
			Deferred:  uint64(10 + i%9),
		})
	}
	return f
}

// serveFixture serves the monitor and the four API endpoints it reads, as
// the management server does.
func serveFixture(t *testing.T, f fixture) *httptest.Server {
	t.Helper()
	reply := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(v)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/", Handler())
	mux.Handle("GET /api/v1/status", reply(f.status))
	mux.Handle("GET /api/v1/rates", reply(f.rates))
	mux.Handle("GET /api/v1/events", reply(f.events))
	mux.HandleFunc("GET /api/v1/queues", func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("maxitems") != "20" || q.Get("sort") != "recipients" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(api.Error{Error: "unexpected query " + r.URL.RawQuery})
			return
		}
		if f.failQueues {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(api.Error{Error: "forbidden"})
			return
		}
		reply(f.queues)(w, r)
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

// wait is the virtual time the page's scripts get: enough for the first
// refresh, less than the 5 s to the next.
const wait = 3 * time.Second

func TestMonitorInChromium(t *testing.T) {
	testbrowser.Find(t)
	srv := serveFixture(t, newFixture())
	dom := testbrowser.DumpDOM(t, srv.URL+"/", wait)

	row := queueRow(t, dom, "paused.example/vmta1")
	if !strings.Contains(row, `<td class="paused">paused</td>`) {
		t.Errorf("paused queue's row lacks the paused cell:\n%s", row)
	}
	if row := queueRow(t, dom, "gmail.com/vmta1"); strings.Contains(row, `class="paused"`) {
		t.Errorf("running queue's row has a paused cell:\n%s", row)
	}
	backoff := queueRow(t, dom, "slow.example/vmta2")
	for _, want := range []string{`data-mode="backoff"`, `<td class="mode backoff">backoff</td>`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(backoff, want) {
			t.Errorf("backoff queue's row lacks %q:\n%s", want, backoff)
		}
	}
	for _, want := range []string{
		`<dd id="host">mta1.volley.test</dd>`,
		`<dd id="version">0.9.1-test</dd>`,
		"io_uring × 4 shards",
		`<dd id="uptime">1d 2h 0m</dd>`,
		`data-tile="recipients"`, ">510<", "12.0 MiB",
		"421 4.7.0 Too many connections from your IP",
		"550 5.1.1 The email account that you tried to reach does not exist",
		`data-event-kind="bounced"`,
		`<svg id="rates-chart"`,
		"updated ",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	for _, s := range []string{"received", "delivered", "bounced", "deferred"} {
		path := regexp.MustCompile(`<path class="series ` + s + `" data-series="` + s + `" d="M[^"]*"`).FindString(dom)
		if n := strings.Count(path, "L"); n != 59 {
			t.Errorf("series %s: %d segments, want 59 (path %.80q)", s, n, path)
		}
	}
	if strings.Contains(dom, `id="banner" class="banner" role="alert">`) || !strings.Contains(dom, `role="alert" hidden=""`) {
		t.Errorf("error banner shown with every call succeeding:\n%s", between(dom, `id="banner"`, "</div>"))
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	testbrowser.Screenshot(t, srv.URL+"/", testbrowser.Artifact(t, "monitor.png"), 1280, 900, wait)
}

func TestMonitorShowsAPIError(t *testing.T) {
	testbrowser.Find(t)
	f := newFixture()
	f.failQueues = true
	srv := serveFixture(t, f)
	dom := testbrowser.DumpDOM(t, srv.URL+"/", wait)

	banner := between(dom, `id="banner"`, "</div>")
	if !strings.Contains(banner, "API: 403 forbidden") || strings.Contains(banner, "hidden") {
		t.Errorf("banner does not show the API error: %s", banner)
	}
	if strings.Contains(dom, "data-queue=") {
		t.Error("queue rows shown although the call failed")
	}
	if !strings.Contains(dom, `<dd id="host">mta1.volley.test</dd>`) {
		t.Error("status not shown next to the failed queues call")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}

// queueRow returns the <tr> of the named queue, failing t without one.
func queueRow(t *testing.T, dom, name string) string {
	t.Helper()
	row := between(dom, `<tr data-queue="`+name+`"`, "</tr>")
	if row == "" {
		t.Fatalf("no row for queue %s in DOM:\n%s", name, dom)
	}
	return row
}

// between returns s from start up to and including the next end, or "".
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return ""
	}
	return s[i : i+j+len(end)]
}
