package main

// Text output: the aligned tables of the `show` commands and the `show status` block. The
// layout follows `pmta show ...`: one header row, one row per item, numbers right-aligned
// so their digits line up.

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/volleymta/volley/engine/api"
)

// columnGap separates table columns.
const columnGap = "  "

// maxErrorWidth is where a queue's last error is cut in `show queues`; --json has it whole.
const maxErrorWidth = 60

// column is one table column: its header and whether its cells are numbers, which are
// right-aligned.
type column struct {
	title string
	right bool
}

// table collects rows and writes them in aligned columns. text/tabwriter aligns every
// column the same way, so a table that mixes names and numbers pads its cells itself.
type table struct {
	cols []column
	rows [][]string
}

func newTable(cols ...column) *table { return &table{cols: cols} }

// add appends a row; it must have one cell per column.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// write prints the header and the rows. The last column is not padded, so lines carry no
// trailing blanks.
func (t *table) write(w io.Writer) {
	width := make([]int, len(t.cols))
	for i, c := range t.cols {
		width[i] = utf8.RuneCountInString(c.title)
	}
	for _, r := range t.rows {
		for i, cell := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell))
		}
	}
	header := make([]string, len(t.cols))
	for i, c := range t.cols {
		header[i] = c.title
	}
	var b strings.Builder
	for _, r := range append([][]string{header}, t.rows...) {
		b.Reset()
		for i, cell := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(cell))
			switch {
			case t.cols[i].right:
				b.WriteString(pad + cell)
			case i == len(r)-1:
				b.WriteString(cell)
			default:
				b.WriteString(cell + pad)
			}
			if i < len(r)-1 {
				b.WriteString(columnGap)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// writeQueues prints `show queues`: one row per domain/vMTA queue.
func writeQueues(w io.Writer, queues []api.Queue, now time.Time) {
	t := newTable(column{title: "QUEUE"}, column{"RCPTS", true}, column{"READY", true},
		column{"WAITING", true}, column{"IN-FLIGHT", true}, column{"CONNS", true},
		column{title: "MODE"}, column{title: "PAUSED"}, column{title: "NEXT-RETRY"},
		column{title: "LAST-ERROR"})
	for _, q := range queues {
		t.add(q.Name, itoa(q.Recipients), itoa(q.Ready), itoa(q.Waiting), itoa(q.InFlight),
			itoa(q.Connections), q.Mode, yesNoWord(q.Paused), retryIn(q.NextRetry, now),
			truncate(q.LastError, maxErrorWidth))
	}
	t.write(w)
}

// writeDomains prints `show domains`: each destination domain summed over its vMTAs.
func writeDomains(w io.Writer, domains []api.Domain) {
	t := newTable(column{title: "DOMAIN"}, column{"QUEUES", true}, column{"RCPTS", true},
		column{"CONNS", true}, column{"PAUSED", true}, column{"BACKOFF", true})
	for _, d := range domains {
		t.add(d.Name, itoa(d.Queues), itoa(d.Recipients), itoa(d.Connections), itoa(d.Paused), itoa(d.Backoff))
	}
	t.write(w)
}

// writeVMTAs prints `show vmtas`: vMTAs and pools with their load; the last column lists a
// vMTA's source addresses or a pool's members.
func writeVMTAs(w io.Writer, vmtas []api.VMTA) {
	t := newTable(column{title: "VMTA"}, column{title: "KIND"}, column{"QUEUES", true},
		column{"RCPTS", true}, column{"CONNS", true}, column{"MAX-OUT", true},
		column{title: "LIVE"}, column{title: "SOURCES/MEMBERS"})
	for _, v := range vmtas {
		kind, detail := "vmta", sourcesText(v.Sources)
		if v.Pool {
			kind, detail = "pool", strings.Join(v.Members, ", ")
		}
		maxOut := "-"
		if v.MaxSMTPOut > 0 {
			maxOut = itoa(v.MaxSMTPOut)
		}
		t.add(v.Name, kind, itoa(v.Queues), itoa(v.Recipients), itoa(v.Connections), maxOut,
			yesNoWord(v.Live), detail)
	}
	t.write(w)
}

// sourcesText is "IP HOST" per smtp-source-host, comma-separated.
func sourcesText(sources []api.Source) string {
	parts := make([]string, len(sources))
	for i, s := range sources {
		parts[i] = strings.TrimSpace(s.IP + " " + s.Host)
	}
	return strings.Join(parts, ", ")
}

// writeJobs prints `show jobs`.
func writeJobs(w io.Writer, jobs []api.Job) {
	t := newTable(column{title: "JOB"}, column{"RECEIVED", true}, column{"DELIVERED", true},
		column{"BOUNCED", true}, column{"DEFERRALS", true}, column{"QUEUED", true},
		column{title: "PAUSED"}, column{title: "FIRST-SEEN"})
	for _, j := range jobs {
		t.add(j.ID, utoa(j.Received), utoa(j.Delivered), utoa(j.Bounced), utoa(j.Deferrals),
			strconv.FormatInt(j.Queued, 10), yesNoWord(j.Paused), clock(j.FirstSeen))
	}
	t.write(w)
}

// writeResolved prints `resolve DOMAIN`: the mail exchangers in preference order with
// their addresses, or why there are none.
func writeResolved(w io.Writer, r api.Resolved) {
	switch {
	case r.Error != "":
		fmt.Fprintf(w, "%s: %s\n", r.Domain, r.Error)
		return
	case r.NullMX:
		fmt.Fprintf(w, "%s: null MX (RFC 7505): the domain accepts no mail\n", r.Domain)
		return
	case r.Implicit:
		fmt.Fprintf(w, "%s: no MX records; mail goes to the domain's own address\n", r.Domain)
	default:
		fmt.Fprintf(w, "%s:\n", r.Domain)
	}
	t := newTable(column{"PREF", true}, column{title: "HOST"}, column{title: "ADDRESSES"})
	for _, h := range r.Hosts {
		t.add(itoa(h.Pref), h.Name, strings.Join(h.Addrs, ", "))
	}
	t.write(w)
}

// writeStatus prints `show status` as a block of labelled lines, PowerMTA's layout in
// Volley's counters.
func writeStatus(w io.Writer, s api.Status) {
	fmt.Fprintf(w, "Volley %s on %s, up %s (since %s)\n", s.Version, s.Host,
		uptime(s.UptimeSeconds), clock(s.Started))
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-14s"+format+"\n", append([]any{label}, args...)...)
	}
	line("Engine:", "%s, %d shards", s.Engine, s.Shards)
	if len(s.Listeners) > 0 {
		line("Listeners:", "%s", strings.Join(s.Listeners, ", "))
	}
	tr := s.Traffic
	fmt.Fprintf(w, "\nTraffic since %s:\n", clock(tr.Since))
	line("  Received:", "%d messages, %d recipients", tr.MessagesReceived, tr.RecipientsReceived)
	line("  Delivered:", "%d recipients", tr.Delivered)
	line("  Bounced:", "%d recipients", tr.Bounced)
	line("  Deferred:", "%d recipients", tr.Deferred)
	q := s.Queued
	fmt.Fprintln(w)
	line("Queued:", "%d recipients in %d queues for %d domains", q.Recipients, q.Queues, q.Domains)
	line("", "%d queues paused, %d in backoff", q.Paused, q.Backoff)
	line("Connections:", "%d in, %d out", s.Connections.In, s.Connections.Out)
	line("Spool:", "%d messages, %d bytes (%s)", s.Spool.Messages, s.Spool.Bytes, humanBytes(s.Spool.Bytes))
	file := s.Config.File
	if file == "" {
		file = "built-in default"
	}
	line("Config:", "%s, loaded %s, %d reloads", file, clock(s.Config.Loaded), s.Config.Reloads)
	if len(s.Config.Problems) > 0 {
		fmt.Fprintln(w, "  last reload refused:")
		for _, p := range s.Config.Problems {
			fmt.Fprintln(w, "    "+p)
		}
	}
}

// uptime is "3d 04:05:06" (or "04:05:06" under a day), as PowerMTA shows it.
func uptime(seconds float64) string {
	d := time.Duration(seconds) * time.Second
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hms := fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	if days > 0 {
		return fmt.Sprintf("%dd %s", days, hms)
	}
	return hms
}

// retryIn says when a queue's next retry is due, relative to now: "in 4m30s", "in 2h15m",
// "due" once past, "-" when nothing waits; a day or more ahead, the local date and time.
func retryIn(t *time.Time, now time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "due"
	case d < time.Hour:
		return "in " + d.Truncate(time.Second).String()
	case d >= 24*time.Hour:
		return t.Local().Format("2006-01-02 15:04")
	default:
		return "in " + strings.TrimSuffix(d.Truncate(time.Minute).String(), "0s")
	}
}

// clock formats a time for text output in the local zone; the zero time is "-".
func clock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// humanBytes is n in the largest decimal unit that keeps it at least 1, one decimal place.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, exp := float64(n), 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGT"[exp-1])
}

// truncate cuts s to at most n runes, marking the cut with "...".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

func itoa(n int) string    { return strconv.Itoa(n) }
func utoa(n uint64) string { return strconv.FormatUint(n, 10) }
func yesNoWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
