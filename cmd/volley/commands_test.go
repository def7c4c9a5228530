package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
)

// The fixed answers of fakeAPI. Times are in UTC so that JSON round trips compare equal.
var (
	started   = time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	farFuture = time.Date(2099, 6, 1, 12, 0, 0, 0, time.UTC)

	fixedStatus = api.Status{
		Version: "v0.9.1", Host: "mta.example.com", Engine: "io_uring", Shards: 4,
		Started: started, UptimeSeconds: 93784, Listeners: []string{"smtp 127.0.0.1:2525", "http 127.0.0.1:8080"},
		Traffic: api.Traffic{Since: started, MessagesReceived: 1200, RecipientsReceived: 3400,
			Delivered: 3000, Bounced: 50, Deferred: 350},
		Queued:      api.Queued{Recipients: 350, Queues: 12, Domains: 5, Paused: 2, Backoff: 1},
		Connections: api.Connections{In: 3, Out: 10},
		Spool:       api.Spool{Messages: 1234, Bytes: 5242880},
		Config:      api.ConfigInfo{File: "/etc/volley/volley.conf", Loaded: started, Reloads: 2},
	}
	fixedQueues = []api.Queue{
		{Name: "gmail.com/mta1", Domain: "gmail.com", VMTA: "mta1", Recipients: 120, Ready: 100,
			Waiting: 15, InFlight: 5, Connections: 7, Mode: "backoff", Paused: true, NextRetry: &farFuture,
			LastError: "421 4.7.0 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address"},
		{Name: "yahoo.com/mta2", Domain: "yahoo.com", VMTA: "mta2", Recipients: 9, Ready: 9, Mode: "normal"},
	}
	fixedDomains = []api.Domain{
		{Name: "yahoo.com", Queues: 1, Recipients: 9, Connections: 1},
		{Name: "gmail.com", Queues: 2, Recipients: 120, Connections: 7, Paused: 1, Backoff: 1},
		{Name: "outlook.com", Queues: 1, Recipients: 33, Connections: 2},
	}
	fixedVMTAs = []api.VMTA{
		{Name: "mta1", Sources: []api.Source{{IP: "192.0.2.1", Host: "mta1.example.com"}}, MaxSMTPOut: 20,
			Queues: 2, Recipients: 129, Connections: 8},
		{Name: "pool1", Pool: true, Members: []string{"mta1", "mta2"}, Queues: 0},
	}
	fixedJobs = []api.Job{
		{ID: "spring-sale", Received: 5000, Delivered: 4500, Bounced: 20, Deferrals: 80, Queued: 480,
			Paused: true, FirstSeen: started},
	}
	fixedResolved = api.Resolved{Domain: "gmail.com", Hosts: []api.ResolvedHost{
		{Name: "gmail-smtp-in.l.google.com", Pref: 5, Addrs: []string{"192.0.2.25", "2001:db8::25"}},
		{Name: "alt1.gmail-smtp-in.l.google.com", Pref: 10, Addrs: []string{"192.0.2.26"}},
	}}
	fixedPrecache = []api.Precached{
		{Domain: "gmail.com", Hosts: 5, Addrs: 9, Refreshed: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Expires: time.Date(2026, 12, 7, 9, 5, 0, 0, time.UTC)},
		{Domain: "gone.example", Refreshed: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), Error: "gone.example: no such domain"},
	}
	fixedSettings = "postmaster postmaster@example.com\n<domain *>\n    max-smtp-out 20\n</domain>\n"
)

// recorded is one request fakeAPI got.
type recorded struct {
	method  string
	path    string // decoded
	rawPath string // as sent
	query   url.Values
	body    string
	apiKey  string
}

// fakeAPI serves the management API routes with the fixed answers and records every
// request. Its knobs choose the refusals.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	// key, when set, is the API key every request must carry (else 401).
	key string
	// forbid answers every request 403.
	forbid bool
	// reloadProblems makes POST /reload refuse with 422.
	reloadProblems []string

	mu   sync.Mutex
	reqs []recorded
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t}
	mux := http.NewServeMux()
	get := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, v) }
	}
	noContent := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	mux.HandleFunc("GET /api/v1/status", get(fixedStatus))
	mux.HandleFunc("GET /api/v1/queues", get(fixedQueues))
	mux.HandleFunc("GET /api/v1/domains", get(fixedDomains))
	mux.HandleFunc("GET /api/v1/vmtas", get(fixedVMTAs))
	mux.HandleFunc("GET /api/v1/vmtas/{name}", f.oneVMTA)
	mux.HandleFunc("PUT /api/v1/vmtas/{name}", f.putVMTA)
	mux.HandleFunc("DELETE /api/v1/vmtas/{name}", get(api.Reload{OK: true}))
	mux.HandleFunc("GET /api/v1/jobs", get(fixedJobs))
	mux.HandleFunc("POST /api/v1/jobs/{id}/{action}", f.jobAction)
	mux.HandleFunc("POST /api/v1/queues/{domain}/{vmta}/{action}", f.queueAction)
	mux.HandleFunc("DELETE /api/v1/queues", f.deleteRecipients)
	mux.HandleFunc("POST /api/v1/reload", f.reload)
	mux.HandleFunc("POST /api/v1/inject", f.inject)
	mux.HandleFunc("POST /api/v1/counters/reset", noContent)
	mux.HandleFunc("POST /api/v1/rotate/{what}", noContent)
	mux.HandleFunc("GET /api/v1/resolve/{domain}", get(fixedResolved))
	mux.HandleFunc("POST /api/v1/dnscache/clear", noContent)
	mux.HandleFunc("GET /api/v1/dns/precache", get(fixedPrecache))
	mux.HandleFunc("GET /api/v1/settings", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, fixedSettings)
	})
	f.srv = httptest.NewServer(f.record(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// record logs the request and applies the access knobs before routing it.
func (f *fakeAPI) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(),
			query: r.URL.Query(), body: string(body), apiKey: r.Header.Get("X-API-Key")})
		f.mu.Unlock()
		switch {
		case f.key != "" && r.Header.Get("X-API-Key") != f.key:
			writeJSON(w, http.StatusUnauthorized, api.Error{Error: "missing or wrong API key"})
		case f.forbid:
			writeJSON(w, http.StatusForbidden, api.Error{Error: "operator access required"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) oneVMTA(w http.ResponseWriter, r *http.Request) {
	for _, v := range fixedVMTAs {
		if v.Name == r.PathValue("name") {
			writeJSON(w, 200, v)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, api.Error{Error: "no such vmta"})
}

// putVMTA refuses any directive that mentions "bogus".
func (f *fakeAPI) putVMTA(w http.ResponseWriter, r *http.Request) {
	var spec api.VMTASpec
	json.NewDecoder(r.Body).Decode(&spec)
	for _, d := range spec.Directives {
		if strings.Contains(d, "bogus") {
			writeJSON(w, http.StatusUnprocessableEntity, api.Reload{Problems: []string{"vmta " + r.PathValue("name") + ": unknown directive " + d}})
			return
		}
	}
	writeJSON(w, 200, api.Reload{OK: true})
}

func (f *fakeAPI) jobAction(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != "spring-sale" {
		writeJSON(w, http.StatusNotFound, api.Error{Error: "no such job"})
		return
	}
	writeJSON(w, 200, api.Result{Affected: []string{"spring-sale"}})
}

// queueAction matches the domain segment against the fixed queues' domains.
func (f *fakeAPI) queueAction(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, q := range fixedQueues {
		if wildcardMatch(r.PathValue("domain"), q.Domain) && (r.PathValue("vmta") == "*" || r.PathValue("vmta") == q.VMTA) {
			names = append(names, q.Name)
		}
	}
	if len(names) == 0 {
		writeJSON(w, http.StatusNotFound, api.Error{Error: "no queue matches"})
		return
	}
	writeJSON(w, 200, api.Result{Affected: names})
}

// deleteRecipients deletes 42 recipients unless the rcpt filter names nobody.
func (f *fakeAPI) deleteRecipients(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("rcpt") == "nobody@example.com" {
		writeJSON(w, 200, api.Result{Affected: []string{}})
		return
	}
	writeJSON(w, 200, api.Result{Affected: []string{"gmail.com/mta1"}, Count: 42})
}

func (f *fakeAPI) reload(w http.ResponseWriter, r *http.Request) {
	if len(f.reloadProblems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, api.Reload{Problems: f.reloadProblems})
		return
	}
	writeJSON(w, 200, api.Reload{OK: true, Restart: []string{"smtp-listener 0.0.0.0:25"}})
}

// inject answers an id derived from the request count.
func (f *fakeAPI) inject(w http.ResponseWriter, r *http.Request) {
	var in api.Inject
	json.NewDecoder(r.Body).Decode(&in)
	f.mu.Lock()
	n := len(f.reqs)
	f.mu.Unlock()
	writeJSON(w, 200, api.Injected{ID: "msg-" + itoa(n), Recipients: len(in.To)})
}

// call runs volley against the fake API.
func (f *fakeAPI) call(args ...string) (code int, stdout, stderr string) {
	f.t.Helper()
	return cli(f.t, append([]string{"--api", f.srv.URL}, args...)...)
}

// TestRequests checks each command's request and its text output.
func TestRequests(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		method  string
		path    string
		rawPath string // when escaping matters
		query   url.Values
		body    string // compact JSON, "" for none
		code    int
		out     []string // in stdout
		notOut  []string // not in stdout
	}{
		{name: "status", args: []string{"show", "status"}, method: "GET", path: "/api/v1/status",
			out: []string{"Volley v0.9.1 on mta.example.com, up 1d 02:03:04", "io_uring, 4 shards",
				"smtp 127.0.0.1:2525", "1200 messages, 3400 recipients", "3000 recipients", "50 recipients",
				"350 recipients in 12 queues for 5 domains", "2 queues paused, 1 in backoff", "3 in, 10 out",
				"1234 messages, 5242880 bytes (5.2 MB)", "/etc/volley/volley.conf", "2 reloads"}},
		{name: "queues", args: []string{"show", "queues"}, method: "GET", path: "/api/v1/queues",
			out: []string{"QUEUE", "RCPTS", "IN-FLIGHT", "NEXT-RETRY", "LAST-ERROR", "gmail.com/mta1", "yahoo.com/mta2",
				"backoff", "2099-06-01 ", "421 4.7.0 [192.0.2.1] Our system has detected an unusual ...\n"},
			notOut: []string{"originating"}},
		{name: "queues all flags", args: []string{"show", "queues", "--maxitems=5", "--paused", "--mode=backoff", "--errors", "--sort=name", "gmail.*"},
			method: "GET", path: "/api/v1/queues",
			query: url.Values{"maxitems": {"5"}, "paused": {"1"}, "mode": {"backoff"}, "errors": {"1"}, "sort": {"name"}, "pattern": {"gmail.*"}}},
		{name: "queues flags after pattern", args: []string{"show", "queues", "gmail.com/mta1", "--maxitems", "7", "--paused=yes", "--sort=rcpt"},
			method: "GET", path: "/api/v1/queues",
			query: url.Values{"maxitems": {"7"}, "paused": {"1"}, "pattern": {"gmail.com/mta1"}, "sort": {"recipients"}}},
		{name: "queues not paused", args: []string{"show", "queues", "--paused=no", "--maxitems=1"}, method: "GET", path: "/api/v1/queues",
			out: []string{"yahoo.com/mta2"}, notOut: []string{"gmail.com"}},
		{name: "topqueues", args: []string{"show", "topqueues"}, method: "GET", path: "/api/v1/queues",
			query: url.Values{"sort": {"recipients"}, "maxitems": {"20"}}, out: []string{"gmail.com/mta1"}},
		{name: "topqueues maxitems", args: []string{"show", "topqueues", "--maxitems=3"}, method: "GET", path: "/api/v1/queues",
			query: url.Values{"sort": {"recipients"}, "maxitems": {"3"}}},
		{name: "domains", args: []string{"show", "domains"}, method: "GET", path: "/api/v1/domains",
			out: []string{"DOMAIN", "gmail.com", "outlook.com", "yahoo.com"}},
		{name: "domains pattern", args: []string{"show", "domains", "G*.COM"}, method: "GET", path: "/api/v1/domains",
			out: []string{"gmail.com"}, notOut: []string{"yahoo.com", "outlook.com"}},
		{name: "topdomains", args: []string{"show", "topdomains", "--maxitems=2"}, method: "GET", path: "/api/v1/domains",
			out: []string{"gmail.com", "outlook.com"}, notOut: []string{"yahoo.com"}},
		{name: "vmtas", args: []string{"show", "vmtas"}, method: "GET", path: "/api/v1/vmtas",
			out: []string{"VMTA", "mta1", "192.0.2.1 mta1.example.com", "pool1", "pool", "mta1, mta2"}},
		{name: "one vmta", args: []string{"show", "vmtas", "mta1"}, method: "GET", path: "/api/v1/vmtas/mta1",
			out: []string{"mta1.example.com"}, notOut: []string{"pool1"}},
		{name: "no such vmta", args: []string{"show", "vmtas", "nope"}, method: "GET", path: "/api/v1/vmtas/nope", code: exitProblem},
		{name: "jobs", args: []string{"show", "jobs"}, method: "GET", path: "/api/v1/jobs",
			out: []string{"JOB", "spring-sale", "5000", "4500", "480"}},
		{name: "settings", args: []string{"show", "settings"}, method: "GET", path: "/api/v1/settings", out: []string{fixedSettings}},
		{name: "pause queue", args: []string{"pause", "queue", "gmail.com/mta1"}, method: "POST",
			path: "/api/v1/queues/gmail.com/mta1/pause", out: []string{"1 queue paused\n  gmail.com/mta1\n"}},
		{name: "pause every vmta", args: []string{"pause", "queue", "gmail.com"}, method: "POST",
			path: "/api/v1/queues/gmail.com/*/pause", rawPath: "/api/v1/queues/gmail.com/%2A/pause", out: []string{"1 queue paused"}},
		{name: "resume queue wildcard", args: []string{"resume", "queue", "*/mta2"}, method: "POST",
			path: "/api/v1/queues/*/mta2/resume", out: []string{"1 queue resumed\n  yahoo.com/mta2\n"}},
		{name: "default vmta", args: []string{"pause", "queue", "example.org/"}, method: "POST",
			path: "/api/v1/queues/example.org/_/pause", code: exitProblem},
		{name: "no queue matches", args: []string{"resume", "queue", "none.example"}, method: "POST",
			path: "/api/v1/queues/none.example/*/resume", code: exitProblem},
		{name: "pause job", args: []string{"pause", "job", "spring-sale"}, method: "POST",
			path: "/api/v1/jobs/spring-sale/pause", out: []string{"job spring-sale paused"}},
		{name: "resume job", args: []string{"resume", "job", "spring-sale"}, method: "POST",
			path: "/api/v1/jobs/spring-sale/resume", out: []string{"job spring-sale resumed"}},
		{name: "no such job", args: []string{"resume", "job", "a/b"}, method: "POST",
			path: "/api/v1/jobs/a/b/resume", rawPath: "/api/v1/jobs/a%2Fb/resume", code: exitProblem},
		{name: "set queue mode", args: []string{"set", "queue", "--mode=backoff", "gmail.com/mta1"}, method: "POST",
			path: "/api/v1/queues/gmail.com/mta1/mode", body: `{"mode":"backoff"}`, out: []string{"1 queue set to backoff"}},
		{name: "schedule", args: []string{"schedule", "yahoo.com"}, method: "POST",
			path: "/api/v1/queues/yahoo.com/*/schedule", out: []string{"1 queue scheduled for retry now"}},
		{name: "schedule retry recipients", args: []string{"schedule", "--retry-recipients", "*"}, method: "POST",
			path: "/api/v1/queues/*/*/schedule", body: `{"retryRecipients":true}`, out: []string{"2 queues scheduled"}},
		{name: "delete", args: []string{"delete", "--queue=gmail.com/mta1", "--older-than=2h", "--dsn"}, method: "DELETE",
			path: "/api/v1/queues", query: url.Values{"queue": {"gmail.com/mta1"}, "olderThan": {"7200"}, "dsn": {"1"}},
			out: []string{"42 recipients deleted"}},
		{name: "delete every filter", args: []string{"delete", "--jobId", "j1", "--envId=e1", "--orig=a@example.com",
			"--rcpt=b@example.net", "--older-than", "3600"}, method: "DELETE", path: "/api/v1/queues",
			query: url.Values{"jobId": {"j1"}, "envId": {"e1"}, "orig": {"a@example.com"}, "rcpt": {"b@example.net"}, "olderThan": {"3600"}}},
		{name: "delete nothing", args: []string{"delete", "--rcpt=nobody@example.com"}, method: "DELETE", path: "/api/v1/queues",
			query: url.Values{"rcpt": {"nobody@example.com"}}, code: exitProblem, out: []string{"0 recipients deleted"}},
		{name: "resolve", args: []string{"resolve", "gmail.com"}, method: "GET", path: "/api/v1/resolve/gmail.com",
			out: []string{"gmail.com:", "gmail-smtp-in.l.google.com", "192.0.2.25, 2001:db8::25", "alt1.gmail-smtp-in.l.google.com"}},
		{name: "show precache", args: []string{"show", "precache"}, method: "GET", path: "/api/v1/dns/precache", code: exitProblem,
			out: []string{"gmail.com", "gone.example: no such domain"}},
		{name: "clear dnscache all", args: []string{"clear", "dnscache", "*"}, method: "POST", path: "/api/v1/dnscache/clear",
			query: url.Values{"domain": {"*"}}, out: []string{"DNS cache cleared\n"}},
		{name: "clear dnscache one", args: []string{"clear", "dnscache", "gmail.com"}, method: "POST", path: "/api/v1/dnscache/clear",
			query: url.Values{"domain": {"gmail.com"}}, out: []string{"DNS cache cleared for gmail.com"}},
		{name: "reload", args: []string{"reload"}, method: "POST", path: "/api/v1/reload",
			out: []string{"ok\n", "after a restart", "smtp-listener 0.0.0.0:25"}},
		{name: "reset counters", args: []string{"reset", "counters"}, method: "POST", path: "/api/v1/counters/reset", out: []string{"counters reset"}},
		{name: "rotate acct", args: []string{"rotate", "acct"}, method: "POST", path: "/api/v1/rotate/acct"},
		{name: "rotate log", args: []string{"rotate", "log"}, method: "POST", path: "/api/v1/rotate/log"},
		{name: "vmta set", args: []string{"vmta", "set", "mta9", "smtp-source-host 127.0.0.2 a.example", "max-smtp-out 5"},
			method: "PUT", path: "/api/v1/vmtas/mta9", body: `{"directives":["smtp-source-host 127.0.0.2 a.example","max-smtp-out 5"]}`,
			out: []string{"ok\n"}},
		{name: "vmta set refused", args: []string{"vmta", "set", "mta9", "bogus-directive 1"}, method: "PUT", path: "/api/v1/vmtas/mta9",
			body: `{"directives":["bogus-directive 1"]}`, code: exitProblem, out: []string{"unknown directive bogus-directive 1"}},
		{name: "vmta delete", args: []string{"vmta", "delete", "mta9"}, method: "DELETE", path: "/api/v1/vmtas/mta9", out: []string{"ok\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			code, out, errOut := f.call(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1: %+v", len(reqs), reqs)
			}
			r := reqs[0]
			if r.method != tc.method || r.path != tc.path {
				t.Errorf("request %s %s, want %s %s", r.method, r.path, tc.method, tc.path)
			}
			if tc.rawPath != "" && r.rawPath != tc.rawPath {
				t.Errorf("escaped path %s, want %s", r.rawPath, tc.rawPath)
			}
			if tc.query == nil {
				tc.query = url.Values{}
			}
			if !reflect.DeepEqual(r.query, tc.query) {
				t.Errorf("query %v, want %v", r.query, tc.query)
			}
			if r.body != "" {
				var b bytes.Buffer
				if err := json.Compact(&b, []byte(r.body)); err != nil {
					t.Errorf("body %q is not JSON: %v", r.body, err)
				}
				r.body = b.String()
			}
			if r.body != tc.body {
				t.Errorf("body %s, want %s", r.body, tc.body)
			}
			for _, s := range tc.out {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.notOut {
				if strings.Contains(out, s) {
					t.Errorf("stdout has %q:\n%s", s, out)
				}
			}
			if code == exitOK && errOut != "" {
				t.Errorf("stderr %q on success", errOut)
			}
			if code != exitOK && errOut == "" && tc.name != "delete nothing" && !strings.Contains(tc.name, "refused") {
				t.Errorf("exit %d with nothing on stderr", code)
			}
		})
	}
}

// TestQueueTable checks the columns of `show queues`: names left, numbers right-aligned,
// the retry time relative, the error cut.
func TestQueueTable(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	next := now.Add(90*time.Minute + 30*time.Second)
	queues := []api.Queue{
		{Name: "gmail.com/mta1", Recipients: 12345, Ready: 5, Waiting: 12340, Connections: 20, Mode: "backoff",
			Paused: true, NextRetry: &next, LastError: "421 try later"},
		{Name: "a.io/mta2", Recipients: 7, Ready: 7, Mode: "normal"},
	}
	var b bytes.Buffer
	writeQueues(&b, queues, now)
	want := "" +
		"QUEUE           RCPTS  READY  WAITING  IN-FLIGHT  CONNS  MODE     PAUSED  NEXT-RETRY  LAST-ERROR\n" +
		"gmail.com/mta1  12345      5    12340          0     20  backoff  yes     in 1h30m    421 try later\n" +
		"a.io/mta2           7      7        0          0      0  normal   no      -\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestJSONOutput checks that --json prints what parses back to the API's value.
func TestJSONOutput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		into any
		want any
		code int
	}{
		{[]string{"show", "status"}, &api.Status{}, &fixedStatus, exitOK},
		{[]string{"show", "queues"}, &[]api.Queue{}, &fixedQueues, exitOK},
		{[]string{"show", "domains", "gmail.com"}, &[]api.Domain{}, &[]api.Domain{fixedDomains[1]}, exitOK},
		{[]string{"show", "vmtas"}, &[]api.VMTA{}, &fixedVMTAs, exitOK},
		{[]string{"show", "jobs"}, &[]api.Job{}, &fixedJobs, exitOK},
		{[]string{"resolve", "gmail.com"}, &api.Resolved{}, &fixedResolved, exitOK},
		{[]string{"show", "precache"}, &[]api.Precached{}, &fixedPrecache, exitProblem},
		{[]string{"pause", "queue", "yahoo.com"}, &api.Result{}, &api.Result{Affected: []string{"yahoo.com/mta2"}}, exitOK},
		{[]string{"delete", "--jobId=x"}, &api.Result{}, &api.Result{Affected: []string{"gmail.com/mta1"}, Count: 42}, exitOK},
		{[]string{"reload"}, &api.Reload{}, &api.Reload{OK: true, Restart: []string{"smtp-listener 0.0.0.0:25"}}, exitOK},
		{[]string{"vmta", "set", "x", "bogus"}, &api.Reload{}, &api.Reload{Problems: []string{"vmta x: unknown directive bogus"}}, exitProblem},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := newFakeAPI(t)
			code, out, errOut := f.call(append([]string{"--json"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			if !strings.Contains(out, "\n  ") {
				t.Errorf("output is not indented: %q", out)
			}
			if err := json.Unmarshal([]byte(out), tc.into); err != nil {
				t.Fatalf("%v in %q", err, out)
			}
			if !reflect.DeepEqual(tc.into, tc.want) {
				t.Errorf("got %+v\nwant %+v", tc.into, tc.want)
			}
		})
	}
}

// TestReloadRefused checks that a refused reload prints every problem and exits 1.
func TestReloadRefused(t *testing.T) {
	f := newFakeAPI(t)
	f.reloadProblems = []string{"/etc/volley.conf:3: unknown directive max-smtp-outt", "/etc/volley.conf:9: bad value"}
	code, out, errOut := f.call("reload")
	want := strings.Join(f.reloadProblems, "\n") + "\n"
	if code != exitProblem || out != want || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, %q, \"\"", code, out, errOut, want)
	}
}

// TestInject checks that each file is posted as one message with the envelope given and
// that each id is printed.
func TestInject(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i, text := range []string{"Subject: one\r\n\r\nbody one\r\n", "Subject: two\n\nbody two\n"} {
		p := filepath.Join(dir, "m"+itoa(i)+".eml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	f := newFakeAPI(t)
	code, out, errOut := f.call("inject", "--from", "a@example.com", "--to=b@example.net", "--to", "c@example.net,d@example.net",
		"--vmta=mta1", "--job", "j7", files[0], files[1])
	if code != exitOK || out != "msg-1\nmsg-2\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, r := range reqs {
		var in api.Inject
		if err := json.Unmarshal([]byte(r.body), &in); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(files[i])
		want := api.Inject{From: "a@example.com", To: []string{"b@example.net", "c@example.net", "d@example.net"},
			Data: string(data), VMTA: "mta1", Job: "j7"}
		if r.method != "POST" || r.path != "/api/v1/inject" || !reflect.DeepEqual(in, want) {
			t.Errorf("request %d: %s %s %+v, want %+v", i, r.method, r.path, in, want)
		}
	}

	code, _, errOut = f.call("inject", filepath.Join(dir, "missing.eml"), "--to=b@example.net")
	if code != exitUsage || !strings.Contains(errOut, "missing.eml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

// TestAccess checks the API key header and that 401 and 403 exit 2 with the API's text and
// the HTTP status.
func TestAccess(t *testing.T) {
	f := newFakeAPI(t)
	f.key = "s3cret"
	if code, _, errOut := f.call("--api-key", "s3cret", "show", "status"); code != exitOK {
		t.Errorf("right key: exit %d, stderr %q", code, errOut)
	}
	if got := f.requests()[0].apiKey; got != "s3cret" {
		t.Errorf("X-API-Key %q, want s3cret", got)
	}
	code, out, errOut := f.call("--api-key", "wrong", "pause", "queue", "gmail.com")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "missing or wrong API key") || !strings.Contains(errOut, "401 Unauthorized") {
		t.Errorf("wrong key: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Setenv("VOLLEY_API_KEY", "")
	if _, _, _ = f.call("show", "jobs"); f.requests()[2].apiKey != "" {
		t.Errorf("X-API-Key sent without --api-key")
	}

	f = newFakeAPI(t)
	f.forbid = true
	code, _, errOut = f.call("reload")
	if code != exitUsage || !strings.Contains(errOut, "operator access required") || !strings.Contains(errOut, "403") {
		t.Errorf("forbidden: exit %d, stderr %q", code, errOut)
	}
}

// TestUnreachable checks that a refused connection names the URL volleyd was expected at.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close()
	code, _, errOut := cli(t, "--api", addr, "show", "status")
	want := "volley: show status: volleyd is not running at " + addr + " (connection refused)\n"
	if code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}

// TestOldVolleyd checks that a route volleyd does not have is reported as unsupported,
// not as "nothing matched".
func TestOldVolleyd(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	code, _, errOut := cli(t, "--api", srv.URL, "show", "status")
	if code != exitUsage || !strings.Contains(errOut, "show status is not supported by this volleyd") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestAPIUsageErrors checks the mistakes caught before any request is sent.
func TestAPIUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"show", "queues", "--mode=fast"}, "want normal or backoff"},
		{[]string{"show", "queues", "a", "b"}, "usage: volley show queues"},
		{[]string{"show", "queues", "--paused=maybe"}, "not yes or no"},
		{[]string{"show", "queues", "--sort=size"}, "want name or recipients"},
		{[]string{"show", "domains", "--sort=size"}, "want name or recipients"},
		{[]string{"show", "status", "extra"}, "usage: volley show status"},
		{[]string{"delete"}, "give at least one of"},
		{[]string{"delete", "--dsn"}, "give at least one of"},
		{[]string{"delete", "--queue=x", "--older-than=soon"}, "not seconds or a duration"},
		{[]string{"delete", "--no-accounting", "--queue=x"}, "flag provided but not defined"},
		{[]string{"set", "queue", "gmail.com"}, "--mode=normal or --mode=backoff is required"},
		{[]string{"set", "priority", "5"}, `unknown command "set priority"`},
		{[]string{"pause", "queue"}, "usage: volley pause queue"},
		{[]string{"pause", "job"}, "usage: volley pause job ID"},
		{[]string{"schedule"}, "usage: volley schedule"},
		{[]string{"resolve"}, "usage: volley resolve DOMAIN"},
		{[]string{"clear", "dnscache"}, "usage: volley clear dnscache"},
		{[]string{"inject", "x.eml"}, "at least one --to is required"},
		{[]string{"vmta", "set", "mta9"}, "usage: volley vmta set NAME DIRECTIVE..."},
		{[]string{"vmta", "delete"}, "usage: volley vmta delete NAME"},
		{[]string{"disable", "source"}, "usage: volley disable source IP"},
		{[]string{"list", "extra"}, "usage: volley list"},
		{[]string{"rotate", "everything"}, `unknown command "rotate everything"`},
		{[]string{"show", "nothing"}, `unknown command "show nothing"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := newFakeAPI(t)
			code, _, errOut := f.call(tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.wantErr)
			}
			if reqs := f.requests(); len(reqs) != 0 {
				t.Errorf("sent %d requests, want none", len(reqs))
			}
		})
	}
	code, _, errOut := cli(t, "--api", "127.0.0.1:8080", "show", "status")
	if code != exitUsage || !strings.Contains(errOut, "not an http:// or https:// URL") {
		t.Errorf("bad --api: exit %d, stderr %q", code, errOut)
	}
}

func TestParseAge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"7200", 7200, true}, {"0", 0, true}, {"2h", 7200, true}, {"3d", 259200, true},
		{"1d12h", 129600, true}, {"90m", 5400, true}, {"1w", 604800, true}, {"45s", 45, true},
		{"", 0, false}, {"h", 0, false}, {"2", 2, true}, {"2x", 0, false}, {"2h30", 0, false}, {"-5", 0, false},
	} {
		got, err := parseAge(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAge(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "gmail.com", true}, {"gmail.com", "GMAIL.com", true}, {"g*", "gmail.com", true},
		{"*.com", "gmail.com", true}, {"*.com", "gmail.org", false}, {"gm?il.com", "gmail.com", true},
		{"gm?il.com", "gmil.com", false}, {"*a*l*", "gmail.com", true}, {"", "x", false}, {"x*", "x", true},
	} {
		if got := wildcardMatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
}

func TestFormatting(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, tc := range []struct{ got, want string }{
		{retryIn(nil, now), "-"},
		{retryIn(at(-time.Second), now), "due"},
		{retryIn(at(4*time.Minute+30*time.Second+time.Millisecond), now), "in 4m30s"},
		{retryIn(at(2*time.Hour+15*time.Minute+59*time.Second), now), "in 2h15m"},
		{retryIn(at(23*time.Hour), now), "in 23h0m"},
		{retryIn(at(48*time.Hour), now), now.Add(48 * time.Hour).Local().Format("2006-01-02 15:04")},
		{uptime(59), "00:00:59"},
		{uptime(93784), "1d 02:03:04"},
		{humanBytes(999), "999 B"},
		{humanBytes(5242880), "5.2 MB"},
		{humanBytes(3_500_000_000_000), "3.5 TB"},
		{truncate("abcdefgh", 6), "abc..."},
		{truncate("abc", 6), "abc"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
