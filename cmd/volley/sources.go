package main

// `list` (queued recipients) and the source commands (`disable source`, `enable source`,
// `show disabled sources`).

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/volleymta/volley/engine/api"
)

// listRecipients is PowerMTA's `list`: the queued recipients matching the filters.
func listRecipients(s *session, args []string) int {
	fs := s.flags()
	q := url.Values{}
	names := []struct{ flag, param string }{{"queue", "queue"}, {"rcpt", "rcpt"}, {"orig", "orig"},
		{"jobId", "jobId"}, {"jobid", "jobId"}, {"envId", "envId"}, {"envid", "envId"}}
	values := make([]*string, len(names))
	for i, n := range names {
		values[i] = fs.String(n.flag, "", "recipients whose "+n.param+" matches")
	}
	maxItems := fs.Int("maxitems", 100, "print at most `N` recipients")
	if _, code := s.parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	for i, n := range names {
		if *values[i] != "" {
			q.Set(n.param, *values[i])
		}
	}
	q.Set("maxitems", strconv.Itoa(*maxItems))
	var rs []api.Recipient
	raw, err := s.api.getJSON("/api/v1/recipients", q, &rs)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	if len(rs) == 0 {
		fmt.Fprintln(s.stdout, "no recipients match")
		return exitOK
	}
	t := newTable(column{title: "queue"}, column{title: "recipient"}, column{title: "from"}, column{title: "job"},
		column{title: "attempts", right: true}, column{title: "next"}, column{title: "id"})
	for _, r := range rs {
		next := "due"
		if r.Next != nil {
			next = r.Next.Local().Format("2006-01-02 15:04:05")
		}
		t.add(r.Queue, r.Rcpt, dash(r.Orig), dash(r.JobID), strconv.Itoa(int(r.Attempts)), next, r.ID)
	}
	t.write(s.stdout)
	return exitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// disableSource is `disable source IP DOMAIN[/VMTA]`: stop sending from IP to those queues.
func disableSource(s *session, args []string) int {
	return sourceAction(s, args, "disable", "disabled")
}

// enableSource is `enable source IP [DOMAIN[/VMTA]]`: undo it (every queue without a pattern).
func enableSource(s *session, args []string) int { return sourceAction(s, args, "enable", "enabled") }

func sourceAction(s *session, args []string, action, done string) int {
	operands, code := s.parse(s.flags(), args, 1, 2)
	if code >= 0 {
		return code
	}
	q := url.Values{}
	if len(operands) == 2 {
		q.Set("queue", operands[1])
	}
	var res api.Result
	raw, err := s.api.callJSON(request{method: http.MethodPost, path: "/api/v1/sources/" + pathSegment(operands[0]) + "/" + action,
		query: q}, &res)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	for _, a := range res.Affected {
		fmt.Fprintf(s.stdout, "source %s %s\n", a, done)
	}
	return exitOK
}

// showDisabledSources lists the source addresses taken out of use.
func showDisabledSources(s *session, args []string) int {
	if _, code := s.parse(s.flags(), args, 0, 0); code >= 0 {
		return code
	}
	var ds []api.DisabledSource
	raw, err := s.api.getJSON("/api/v1/sources/disabled", nil, &ds)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	if len(ds) == 0 {
		fmt.Fprintln(s.stdout, "no disabled sources")
		return exitOK
	}
	t := newTable(column{title: "source"}, column{title: "queues"}, column{title: "since"})
	for _, d := range ds {
		t.add(d.IP, d.Queue, d.Since.Local().Format("2006-01-02 15:04:05"))
	}
	t.write(s.stdout)
	return exitOK
}
