package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/volleymta/volley/internal/loadgen"
)

// runBlast is `volley blast`: an SMTP load generator (internal/loadgen.Blast)
// with a progress bar on stderr and a summary on stdout. Exit status 0 when
// every message was accepted, 1 when some were refused, failed or never
// sent, 2 on bad usage.
func runBlast(o options, args []string, stdout, stderr io.Writer) int {
	var (
		bo   loadgen.BlastOptions
		size = byteSize(4 << 10)
		rate = perSecond(0)
		to   multiFlag
	)
	fs := flag.NewFlagSet("volley blast", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&bo.Server, "server", "127.0.0.1:2525", "SMTP server `HOST:PORT` to send to")
	fs.IntVar(&bo.Messages, "messages", 1000, "messages to send")
	fs.IntVar(&bo.Connections, "connections", 10, "connections sending at once")
	fs.Var(&size, "size", "body `SIZE` of each message: bytes, or with k, KB, M, MB (1k = 1024)")
	fs.IntVar(&bo.Rcpts, "rcpts", 1, "recipients per message")
	fs.Var(&rate, "rate", "at most `RATE` messages started a second over all connections: 500, 500/s, 3000/min; 0 = unlimited")
	fs.StringVar(&bo.From, "from", "blast@blast.localhost", "envelope sender and From `ADDRESS`")
	fs.Var(&to, "to", "recipient `ADDRESS` (repeatable; taken in turn; past the last, rcptN@ its domain)")
	fs.StringVar(&bo.Helo, "helo", "blast.localhost", "EHLO `NAME`")
	fs.BoolVar(&bo.StartTLS, "starttls", false, "use STARTTLS when offered (the certificate is not checked)")
	fs.DurationVar(&bo.Timeout, "timeout", 30*time.Second, "limit on each dial, write and reply")
	fs.Usage = func() { blastUsage(fs) }
	if code := parseToolFlags(fs, args, stdout); code >= 0 {
		return code
	}
	bo.Size, bo.Rate, bo.To = int(size), float64(rate), to
	if len(bo.To) == 0 {
		bo.To = []string{"rcpt@sink.localhost"}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := newProgressBar(stderr, bo.Messages)
	bo.Progress = func(done, _ int) { bar.Set(done) }
	res, err := loadgen.Blast(ctx, bo)
	if err != nil {
		fmt.Fprintf(stderr, "volley blast: %v\n", err)
		return exitUsage
	}
	bar.Finish()
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(newBlastSummary(res))
	} else {
		printBlastSummary(stdout, res)
	}
	if res.Accepted != bo.Messages {
		return exitProblem
	}
	return exitOK
}

func blastUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: volley [--json] blast [FLAGS]

Send --messages messages over --connections connections to an SMTP server, pipelining
when it offers PIPELINING, and print the throughput, the latency per message (from MAIL
to the final reply) and how many messages got each final reply code.

`)
	fs.PrintDefaults()
}

// parseToolFlags parses a command's flags. It returns -1 to go on, or the
// exit status: 0 after --help (printed on stdout), 2 on a usage error.
func parseToolFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	case err != nil:
		return exitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// newProgressBar draws on stderr only when it is a terminal: piped or
// logged, a bar redrawn ten times a second is noise.
func newProgressBar(stderr io.Writer, total int) *progressbar.ProgressBar {
	f, ok := stderr.(interface{ Fd() uintptr })
	visible := ok && term.IsTerminal(int(f.Fd()))
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionSetDescription("blast"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("msg"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// blastSummary is the --json form of a blast's result.
type blastSummary struct {
	Sent             int            `json:"sent"`
	Accepted         int            `json:"accepted"`
	Refused          int            `json:"refused"`
	Failed           int            `json:"failed"`
	Unsent           int            `json:"unsent"`
	RcptsAccepted    int            `json:"recipients_accepted"`
	RcptsRefused     int            `json:"recipients_refused"`
	Errors           int            `json:"errors"`
	ConnectionErrors map[string]int `json:"connection_errors"`
	Seconds          float64        `json:"seconds"`
	MsgsPerSec       float64        `json:"msgs_per_sec"`
	LatencyMS        latencyMS      `json:"latency_ms"`
	Replies          map[string]int `json:"replies"`
}

type latencyMS struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func newBlastSummary(r *loadgen.BlastResult) blastSummary {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return blastSummary{
		Sent: r.Sent, Accepted: r.Accepted, Refused: r.Refused, Failed: r.Failed, Unsent: r.Unsent,
		RcptsAccepted: r.RcptsAccepted, RcptsRefused: r.RcptsRefused,
		Errors: r.Errors, ConnectionErrors: r.ConnErrors,
		Seconds: r.Duration.Seconds(), MsgsPerSec: r.MsgsPerSec,
		LatencyMS: latencyMS{ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max)},
		Replies:   r.Codes,
	}
}

// printBlastSummary writes the result as text, one topic a line.
func printBlastSummary(w io.Writer, r *loadgen.BlastResult) {
	s := newBlastSummary(r)
	fmt.Fprintf(w, "messages   sent %d, accepted %d, refused %d, failed %d, unsent %d\n", s.Sent, s.Accepted, s.Refused, s.Failed, s.Unsent)
	fmt.Fprintf(w, "recipients accepted %d, refused %d\n", s.RcptsAccepted, s.RcptsRefused)
	fmt.Fprintf(w, "errors     %d%s\n", s.Errors, sortedCounts(s.ConnectionErrors, " (", ")"))
	fmt.Fprintf(w, "time       %.3f s, %.1f msgs/s\n", s.Seconds, s.MsgsPerSec)
	l := s.LatencyMS
	fmt.Fprintf(w, "latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", l.P50, l.P90, l.P99, l.Max)
	fmt.Fprintf(w, "replies   %s\n", sortedCounts(s.Replies, " ", ""))
}

// sortedCounts writes "k1 n1, k2 n2" sorted by key between before and after,
// or "" when m is empty.
func sortedCounts[N int | int64](m map[string]N, before, after string) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.FormatInt(int64(m[k]), 10)
	}
	return before + strings.Join(parts, ", ") + after
}

// byteSize is a --size value: bytes, or with a k/KB/KiB or M/MB/MiB suffix
// (binary multiples, as message sizes are usually meant).
type byteSize int

func (b *byteSize) String() string { return strconv.Itoa(int(*b)) }

func (b *byteSize) Set(s string) error {
	num := strings.TrimRight(s, "kKmMgGiIbB")
	unit := strings.ToLower(s[len(num):])
	mult := map[string]int{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}[unit]
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if mult == 0 || err != nil || n < 0 || n*float64(mult) > 1<<31 {
		return fmt.Errorf("want bytes, or a number with k, KB, M or MB (1k = 1024), not %q", s)
	}
	*b = byteSize(n * float64(mult))
	return nil
}

// perSecond is a --rate value: a number per second, minute or hour.
type perSecond float64

func (p *perSecond) String() string { return strconv.FormatFloat(float64(*p), 'g', -1, 64) }

func (p *perSecond) Set(s string) error {
	num, unit, _ := strings.Cut(s, "/")
	div := map[string]float64{"": 1, "s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
		"h": 3600, "hour": 3600}[strings.ToLower(unit)]
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if div == 0 || err != nil || n < 0 || n != n {
		return fmt.Errorf("want messages per second (500, 500/s) or per minute or hour (3000/min, 10000/h), not %q", s)
	}
	*p = perSecond(n / div)
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (l *multiFlag) String() string { return strings.Join(*l, ",") }

func (l *multiFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}
