package main

// The `show` commands: read-only views of the running volleyd.

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/volleymta/volley/engine/api"
)

// topItems is how many rows `show topqueues` and `show topdomains` print by default.
const topItems = 20

// showStatus prints GET /api/v1/status.
func showStatus(s *session, args []string) int {
	if code := s.noArgs(args); code >= 0 {
		return code
	}
	var st api.Status
	raw, err := s.api.getJSON("/api/v1/status", nil, &st)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printJSON(raw)
	}
	writeStatus(s.stdout, st)
	return exitOK
}

// queueQuery is `show queues` and `show topqueues`, which differ in their defaults.
type queueQuery struct {
	sort     string
	maxItems int
}

func showQueues(s *session, args []string) int {
	return listQueues(s, args, queueQuery{})
}

// showTopQueues is `show queues --sort=recipients --maxitems=20`.
func showTopQueues(s *session, args []string) int {
	return listQueues(s, args, queueQuery{sort: "recipients", maxItems: topItems})
}

// listQueues asks GET /api/v1/queues with the filters as query parameters. The API can
// only select paused queues, so --paused=no is filtered here, and --maxitems with it.
func listQueues(s *session, args []string, def queueQuery) int {
	fs := s.flags()
	maxItems := fs.Int("maxitems", def.maxItems, "print at most `N` queues")
	paused := boolFlag(fs, "paused", "only paused queues (--paused=no: only running ones)")
	mode := fs.String("mode", "", "only queues in this `mode`: normal or backoff")
	withErrors := boolFlag(fs, "errors", "only queues with a last error")
	sortBy := fs.String("sort", def.sort, "order by `name` or recipients (largest first)")
	operands, code := s.parse(fs, args, 0, 1)
	if code >= 0 {
		return code
	}
	q := url.Values{}
	if len(operands) == 1 {
		q.Set("pattern", operands[0])
	}
	switch *mode {
	case "":
	case api.ModeNormal, api.ModeBackoff:
		q.Set("mode", *mode)
	default:
		return s.usageError("--mode=%s: want normal or backoff", *mode)
	}
	sortKey, ok := sortName(*sortBy)
	if !ok {
		return s.usageError("--sort=%s: want name or recipients", *sortBy)
	}
	if sortKey != "" {
		q.Set("sort", sortKey)
	}
	if withErrors.value {
		q.Set("errors", "1")
	}
	if paused.value {
		q.Set("paused", "1")
	}
	filterRunning := paused.set && !paused.value
	if *maxItems < 0 {
		return s.usageError("--maxitems=%d: want a count", *maxItems)
	}
	if *maxItems > 0 && !filterRunning {
		q.Set("maxitems", strconv.Itoa(*maxItems))
	}
	var queues []api.Queue
	raw, err := s.api.getJSON("/api/v1/queues", q, &queues)
	if err != nil {
		return s.fail(err)
	}
	if filterRunning {
		queues = slices.DeleteFunc(queues, func(q api.Queue) bool { return q.Paused })
		queues = firstN(queues, *maxItems)
	}
	if s.o.json {
		if filterRunning {
			return s.printValue(queues)
		}
		return s.printJSON(raw)
	}
	if len(queues) == 0 {
		fmt.Fprintln(s.stdout, "no queues")
		return exitOK
	}
	writeQueues(s.stdout, queues, s.now)
	return exitOK
}

// sortName maps PowerMTA's sort words to the API's: "rcpt" is PowerMTA's name for
// recipients. "" leaves the order to volleyd.
func sortName(s string) (string, bool) {
	switch s {
	case "", "name":
		return s, true
	case "recipients", "rcpt", "rcpts":
		return "recipients", true
	}
	return "", false
}

func showDomains(s *session, args []string) int {
	return listDomains(s, args, queueQuery{sort: "name"})
}

// showTopDomains is `show domains --sort=recipients --maxitems=20`.
func showTopDomains(s *session, args []string) int {
	return listDomains(s, args, queueQuery{sort: "recipients", maxItems: topItems})
}

// listDomains asks GET /api/v1/domains, which takes no parameters: the pattern, the order
// and --maxitems apply here, so --json prints the filtered list.
func listDomains(s *session, args []string, def queueQuery) int {
	fs := s.flags()
	maxItems := fs.Int("maxitems", def.maxItems, "print at most `N` domains")
	sortBy := fs.String("sort", def.sort, "order by `name` or recipients (largest first)")
	operands, code := s.parse(fs, args, 0, 1)
	if code >= 0 {
		return code
	}
	sortKey, ok := sortName(*sortBy)
	if !ok {
		return s.usageError("--sort=%s: want name or recipients", *sortBy)
	}
	var domains []api.Domain
	if _, err := s.api.getJSON("/api/v1/domains", nil, &domains); err != nil {
		return s.fail(err)
	}
	if len(operands) == 1 {
		domains = slices.DeleteFunc(domains, func(d api.Domain) bool { return !wildcardMatch(operands[0], d.Name) })
	}
	slices.SortStableFunc(domains, func(a, b api.Domain) int {
		if sortKey == "recipients" {
			if c := cmp.Compare(b.Recipients, a.Recipients); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Name, b.Name)
	})
	domains = firstN(domains, *maxItems)
	if s.o.json {
		return s.printValue(orEmpty(domains))
	}
	if len(domains) == 0 {
		fmt.Fprintln(s.stdout, "no domains")
		return exitOK
	}
	writeDomains(s.stdout, domains)
	return exitOK
}

// showVMTAs prints GET /api/v1/vmtas, or GET /api/v1/vmtas/{name} for one.
func showVMTAs(s *session, args []string) int {
	fs := s.flags()
	maxItems := fs.Int("maxitems", 0, "print at most `N` vMTAs")
	operands, code := s.parse(fs, args, 0, 1)
	if code >= 0 {
		return code
	}
	var vmtas []api.VMTA
	var raw []byte
	var err error
	if len(operands) == 1 {
		var one api.VMTA
		raw, err = s.api.getJSON("/api/v1/vmtas/"+pathSegment(operands[0]), nil, &one)
		vmtas = []api.VMTA{one}
	} else {
		raw, err = s.api.getJSON("/api/v1/vmtas", nil, &vmtas)
	}
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		if *maxItems > 0 && len(vmtas) > *maxItems {
			return s.printValue(firstN(vmtas, *maxItems))
		}
		return s.printJSON(raw)
	}
	if len(vmtas) == 0 {
		fmt.Fprintln(s.stdout, "no vmtas")
		return exitOK
	}
	writeVMTAs(s.stdout, firstN(vmtas, *maxItems))
	return exitOK
}

// showJobs prints GET /api/v1/jobs.
func showJobs(s *session, args []string) int {
	fs := s.flags()
	maxItems := fs.Int("maxitems", 0, "print at most `N` jobs")
	if _, code := s.parse(fs, args, 0, 0); code >= 0 {
		return code
	}
	var jobs []api.Job
	raw, err := s.api.getJSON("/api/v1/jobs", nil, &jobs)
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		if *maxItems > 0 && len(jobs) > *maxItems {
			return s.printValue(firstN(jobs, *maxItems))
		}
		return s.printJSON(raw)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(s.stdout, "no jobs")
		return exitOK
	}
	writeJobs(s.stdout, firstN(jobs, *maxItems))
	return exitOK
}

// showSettings prints the config in force (GET /api/v1/settings) as volleyd holds it, or
// with DOMAIN[/VMTA] the settings that queue's mail goes out with (its <domain> blocks
// merged, PowerMTA's `show settings DOMAIN/VMTA`); `show settings --default` is handled
// offline before this.
func showSettings(s *session, args []string) int {
	operands, code := s.parse(s.flags(), args, 0, 1)
	if code >= 0 {
		return code
	}
	var q url.Values
	if len(operands) == 1 {
		q = url.Values{"queue": {operands[0]}}
	}
	text, err := s.api.call(request{method: "GET", path: "/api/v1/settings", query: q})
	if err != nil {
		return s.fail(err)
	}
	if s.o.json {
		return s.printValue(struct {
			Config string `json:"config"`
		}{string(text)})
	}
	s.stdout.Write(text)
	if len(text) > 0 && text[len(text)-1] != '\n' {
		fmt.Fprintln(s.stdout)
	}
	return exitOK
}

// firstN is s cut to n items; n <= 0 keeps them all.
func firstN[T any](s []T, n int) []T {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

// orEmpty makes a nil slice print as [] in JSON, as the API prints an empty list.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// wildcardMatch reports whether name matches pattern, where * matches any run of
// characters and ? one character, ignoring ASCII case as domain names do.
func wildcardMatch(pattern, name string) bool {
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	// Classic backtracking over the last *: linear in practice for domain names.
	pi, ni, star, mark := 0, 0, -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == n[ni]):
			pi++
			ni++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
