package main

// The commands that change the running volleyd: queue and job control, delete, reload,
// live vMTAs, injection, DNS cache, counters and file rotation.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/volleymta/volley/engine/api"
)

// queuePath is the API path of the queues matching PATTERN ("domain[/vmta]", wildcards
// allowed) followed by action. A pattern without "/" means every vMTA, as in `pmta`.
func queuePath(pattern, action string) string {
	domain, vmta, ok := strings.Cut(pattern, "/")
	if !ok {
		vmta = "*"
	}
	return "/api/v1/queues/" + pathSegment(domain) + "/" + pathSegment(vmta) + "/" + action
}

// queueAction posts action to the queues matching the one operand and reports which
// queues it reached. done is the past tense printed after the count ("paused").
func queueAction(s *session, pattern, action string, body any, done string) int {
	var res api.Result
	raw, err := s.api.callJSON(request{method: http.MethodPost, path: queuePath(pattern, action), body: body}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	fmt.Fprintf(s.stdout, "%s %s\n", plural(len(res.Affected), "queue", "queues"), done)
	for _, name := range res.Affected {
		fmt.Fprintln(s.stdout, "  "+name)
	}
	return exitOK
}

func pauseQueue(s *session, args []string) int {
	return simpleQueueAction(s, args, "pause", "paused")
}

func resumeQueue(s *session, args []string) int {
	return simpleQueueAction(s, args, "resume", "resumed")
}

// simpleQueueAction is `pause queue` and `resume queue`: one pattern, no body.
func simpleQueueAction(s *session, args []string, action, done string) int {
	operands, code := s.parse(s.flags(), args, 1, 1)
	if code >= 0 {
		return code
	}
	return queueAction(s, operands[0], action, nil, done)
}

// setQueueMode is `set queue --mode=normal|backoff PATTERN`.
func setQueueMode(s *session, args []string) int {
	fs := s.flags()
	mode := fs.String("mode", "", "`normal` or backoff (required)")
	operands, code := s.parse(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	if *mode != api.ModeNormal && *mode != api.ModeBackoff {
		return s.usageError("--mode=normal or --mode=backoff is required")
	}
	return queueAction(s, operands[0], "mode", api.ModeRequest{Mode: *mode}, "set to "+*mode)
}

// schedule is `schedule [--retry-recipients] PATTERN`: retry the queues now.
func schedule(s *session, args []string) int {
	fs := s.flags()
	retry := boolFlag(fs, "retry-recipients", "also retry recipients held by retry-recipients-after")
	operands, code := s.parse(fs, args, 1, 1)
	if code >= 0 {
		return code
	}
	var body any
	if retry.value {
		body = api.ScheduleRequest{RetryRecipients: true}
	}
	return queueAction(s, operands[0], "schedule", body, "scheduled for retry now")
}

func pauseJob(s *session, args []string) int  { return jobAction(s, args, "pause", "paused") }
func resumeJob(s *session, args []string) int { return jobAction(s, args, "resume", "resumed") }

// jobAction is `pause job ID` and `resume job ID`.
func jobAction(s *session, args []string, action, done string) int {
	operands, code := s.parse(s.flags(), args, 1, 1)
	if code >= 0 {
		return code
	}
	var res api.Result
	path := "/api/v1/jobs/" + pathSegment(operands[0]) + "/" + action
	raw, err := s.api.callJSON(request{method: http.MethodPost, path: path}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	fmt.Fprintf(s.stdout, "job %s %s\n", operands[0], done)
	return exitOK
}

// deleteRecipients is PowerMTA's `delete`: remove the queued recipients matching every
// filter given. At least one filter is required, so that a bare `delete` cannot empty the
// queues. Deleting nothing is exit status 1, as for the other commands that match nothing.
func deleteRecipients(s *session, args []string) int {
	fs := s.flags()
	dsn := boolFlag(fs, "dsn", "send a bounce report to senders that asked for one")
	filters := []struct{ flag, param string }{
		{"queue", "queue"}, {"orig", "orig"}, {"rcpt", "rcpt"},
		{"jobId", "jobId"}, {"jobid", "jobId"}, {"envId", "envId"}, {"envid", "envId"},
	}
	values := make([]*string, len(filters))
	for i, f := range filters {
		values[i] = fs.String(f.flag, "", "recipients whose "+f.param+" matches")
	}
	olderThan := fs.String("older-than", "", "received longer ago than `AGE` (seconds, or 2h, 3d)")
	if _, code := s.parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	q := url.Values{}
	for i, f := range filters {
		if *values[i] != "" {
			q.Set(f.param, *values[i])
		}
	}
	if *olderThan != "" {
		secs, err := parseAge(*olderThan)
		if err != nil {
			return s.usageError("--older-than: %v", err)
		}
		q.Set("olderThan", strconv.FormatInt(secs, 10))
	}
	if len(q) == 0 {
		return s.usageError("give at least one of --queue, --orig, --rcpt, --jobId, --envId, --older-than")
	}
	if dsn.value {
		q.Set("dsn", "1")
	}
	var res api.Result
	raw, err := s.api.callJSON(request{method: http.MethodDelete, path: "/api/v1/queues", query: q}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		s.printJSON(raw)
	} else {
		fmt.Fprintf(s.stdout, "%s deleted\n", plural(res.Count, "recipient", "recipients"))
	}
	if res.Count == 0 {
		return exitProblem
	}
	return exitOK
}

// reload is POST /api/v1/reload. volleyd answers 422 with the same body when it refuses
// the new config and keeps the old one.
func reload(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	return s.reloadAnswer(s.api.callJSON(request{method: http.MethodPost, path: "/api/v1/reload"}, nil))
}

// vmtaSet is `vmta set NAME DIRECTIVE...`: create or replace a live vMTA, each further
// argument one directive ("smtp-source-host 192.0.2.1 mta1.example.com").
func vmtaSet(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 2, -1)
	if code >= 0 {
		return code
	}
	spec := api.VMTASpec{Directives: operands[1:]}
	return s.reloadAnswer(s.api.callJSON(request{method: http.MethodPut, path: "/api/v1/vmtas/" + pathSegment(operands[0]), body: spec}, nil))
}

// vmtaDelete is `vmta delete NAME`: remove a live vMTA.
func vmtaDelete(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 1, 1)
	if code >= 0 {
		return code
	}
	return s.reloadAnswer(s.api.callJSON(request{method: http.MethodDelete, path: "/api/v1/vmtas/" + pathSegment(operands[0])}, nil))
}

// reloadAnswer prints an api.Reload: "ok", or every problem one per line with exit status
// 1, then the changed settings that wait for a restart. A 422 carries the same body.
func (s *session) reloadAnswer(raw []byte, err error) int {
	var rl api.Reload
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity || json.Unmarshal(raw, &rl) != nil {
			return s.fail(err)
		}
	} else if err := json.Unmarshal(raw, &rl); err != nil {
		return s.fail(fmt.Errorf("the answer is not the JSON expected: %w", err))
	}
	code := exitOK
	if !rl.OK {
		code = exitProblem
	}
	if s.o.json {
		if c := s.printJSON(raw); c != exitOK {
			return c
		}
		return code
	}
	if rl.OK {
		fmt.Fprintln(s.stdout, "ok")
	} else if len(rl.Problems) == 0 {
		fmt.Fprintln(s.stdout, "refused (volleyd gave no reason)")
	}
	for _, p := range rl.Problems {
		fmt.Fprintln(s.stdout, p)
	}
	if len(rl.Restart) > 0 {
		fmt.Fprintln(s.stdout, "these settings take effect after a restart:")
		for _, r := range rl.Restart {
			fmt.Fprintln(s.stdout, "  "+r)
		}
	}
	return code
}

// inject posts each FILE, or stdin when there is none, as one message (POST
// /api/v1/inject) and prints each message's queue id as volleyd answers it.
func inject(s *session, args []string) int {
	fs := s.flags()
	from := fs.String("from", "", "envelope sender `ADDRESS` (MAIL FROM; empty when not given)")
	var to addrList
	fs.Var(&to, "to", "envelope recipient `ADDRESS` (repeat for more; at least one)")
	vmta := fs.String("vmta", "", "send through this virtual MTA or pool")
	job := fs.String("job", "", "the job `ID` to count the message under")
	files, code := s.parse(fs, args, 0, -1)
	if code >= 0 {
		return code
	}
	if len(to) == 0 {
		return s.usageError("at least one --to is required")
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	for _, file := range files {
		data, err := readMessage(file)
		if err != nil {
			fmt.Fprintf(s.stderr, "volley: inject: %v\n", err)
			return exitUsage
		}
		msg := api.Inject{From: *from, To: to, Data: string(data), VMTA: *vmta, Job: *job}
		var res api.Injected
		raw, err := s.api.callJSON(request{method: http.MethodPost, path: "/api/v1/inject", body: msg}, &res)
		if err != nil {
			if len(files) > 1 || file != "-" {
				s.name = "inject " + file
			}
			return s.fail(err)
		}
		if s.o.json {
			s.printJSON(raw)
		} else {
			fmt.Fprintln(s.stdout, res.ID)
		}
	}
	return exitOK
}

// readMessage reads FILE, "-" being stdin.
func readMessage(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

// addrList is a repeatable address flag; a comma-separated value adds several.
type addrList []string

func (l *addrList) String() string { return strings.Join(*l, ",") }

func (l *addrList) Set(v string) error {
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			*l = append(*l, a)
		}
	}
	return nil
}

// resolve is `resolve DOMAIN`: where volleyd would deliver the domain's mail. A lookup
// that failed is exit status 1.
func resolve(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 1, 1)
	if code >= 0 {
		return code
	}
	var r api.Resolved
	raw, err := s.api.getJSON("/api/v1/resolve/"+pathSegment(operands[0]), nil, &r)
	if err != nil {
		return s.fail(err)
	}
	code = exitOK
	if r.Error != "" {
		code = exitProblem
	}
	if s.o.json {
		s.printJSON(raw)
		return code
	}
	writeResolved(s.stdout, r)
	return code
}

// showPrecache is `show precache`: the <dns> block's precached domains as
// their last refresh found them. One that failed is exit status 1.
func showPrecache(s *session, args []string) int {
	if _, code := s.parse(s.flags(), args, 0, 0); code >= 0 {
		return code
	}
	var ps []api.Precached
	raw, err := s.api.getJSON("/api/v1/dns/precache", nil, &ps)
	if err != nil {
		return s.fail(err)
	}
	code, failed := exitOK, 0
	for _, p := range ps {
		if p.Error != "" {
			code, failed = exitProblem, failed+1
		}
	}
	if failed > 0 {
		fmt.Fprintf(s.stderr, "volley: %d of %d precached domains could not be resolved\n", failed, len(ps))
	}
	if s.o.json {
		s.printJSON(raw)
		return code
	}
	if len(ps) == 0 {
		fmt.Fprintln(s.stdout, "no precached domains (see <dns> precached-domains-file)")
		return code
	}
	t := newTable(column{title: "domain"}, column{"hosts", true}, column{"addresses", true}, column{title: "refreshed"}, column{title: "expires or error"})
	for _, p := range ps {
		state := p.Expires.Local().Format("2006-01-02 15:04:05")
		if p.Error != "" {
			state = p.Error
		}
		t.add(p.Domain, itoa(p.Hosts), itoa(p.Addrs), p.Refreshed.Local().Format("2006-01-02 15:04:05"), state)
	}
	t.write(s.stdout)
	return code
}

// clearDNSCache is `clear dnscache DOMAIN|*`.
func clearDNSCache(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 1, 1)
	if code >= 0 {
		return code
	}
	q := url.Values{"domain": {operands[0]}}
	what := "DNS cache cleared for " + operands[0]
	if operands[0] == "*" {
		what = "DNS cache cleared"
	}
	return s.postNoContent("/api/v1/dnscache/clear", q, what)
}

func resetCounters(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	return s.postNoContent("/api/v1/counters/reset", nil, "counters reset")
}

func rotateAcct(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	return s.postNoContent("/api/v1/rotate/acct", nil, "accounting files rotated")
}

func rotateLog(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	return s.postNoContent("/api/v1/rotate/log", nil, "log rotated")
}

// postNoContent posts to an API path that answers 204 and says done. With --json nothing
// is printed: the API answers no JSON.
func (s *session) postNoContent(path string, q url.Values, done string) int {
	if _, err := s.api.call(request{method: http.MethodPost, path: path, query: q}); err != nil {
		return s.fail(err)
	}
	if !s.o.json {
		fmt.Fprintln(s.stdout, done)
	}
	return exitOK
}

// plural is "1 queue" or "3 queues".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
