package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/volleymta/volley/internal/loadgen"
)

// sinkGrace is how long the sink lets open connections finish (and get
// their last replies) after --count is reached or a signal arrives.
const sinkGrace = time.Second

// runSink is `volley sink`: an SMTP server that counts, or saves, what it
// receives and answers with scripted replies (internal/loadgen.Sink). It prints
// "sink listening on ADDR" at start and its counters on exit, after --count
// messages or SIGINT/SIGTERM. Exit status 0, 1 if it cannot listen, 2 on
// bad usage (a bad --reply rule among them).
func runSink(o options, args []string, stdout, stderr io.Writer) int {
	var (
		so      loadgen.SinkOptions
		listen  string
		replies multiFlag
		count   int64
	)
	fs := flag.NewFlagSet("volley sink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&listen, "listen", "127.0.0.1:2526", "`HOST:PORT` to listen on")
	fs.StringVar(&so.Save, "save", "", "save each accepted message as an .eml file in `DIR`")
	fs.Var(&replies, "reply", "scripted reply `RULE` (repeatable; first match wins; see below)")
	fs.DurationVar(&so.Delay, "delay", 0, "wait this long before the reply after each message")
	fs.StringVar(&so.Hostname, "hostname", "sink.localhost", "`NAME` in the greeting and EHLO reply")
	fs.Int64Var(&count, "count", 0, "exit after `N` accepted messages; 0 = on SIGINT or SIGTERM")
	fs.Uint64Var(&so.Seed, "seed", 0, "seed of the N% rules: the same seed picks the same events")
	fs.Usage = func() { sinkUsage(fs) }
	if code := parseToolFlags(fs, args, stdout); code >= 0 {
		return code
	}
	for _, r := range replies {
		rule, err := loadgen.ParseRule(r)
		if err != nil {
			fmt.Fprintf(stderr, "volley sink: %v\n", err)
			return exitUsage
		}
		so.Replies = append(so.Replies, rule)
	}
	if count < 0 {
		fmt.Fprintln(stderr, "volley sink: --count cannot be negative")
		return exitUsage
	}

	reached := make(chan struct{})
	var once sync.Once
	if count > 0 {
		so.OnMessage = func(n int64) {
			if n >= count {
				once.Do(func() { close(reached) })
			}
		}
	}
	s := loadgen.NewSink(so)
	if err := s.Listen(listen); err != nil {
		fmt.Fprintf(stderr, "volley sink: %v\n", err)
		return exitProblem
	}
	fmt.Fprintf(stdout, "sink listening on %s\n", s.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	var serveErr error
	select {
	case <-ctx.Done():
	case <-reached:
	case serveErr = <-served:
	}
	grace, cancel := context.WithTimeout(context.Background(), sinkGrace)
	defer cancel()
	s.Shutdown(grace)
	if serveErr == nil {
		serveErr = <-served
	}
	printSinkCounters(stdout, o.json, s.Counters())
	if serveErr != nil {
		fmt.Fprintf(stderr, "volley sink: %v\n", serveErr)
		return exitProblem
	}
	return exitOK
}

func sinkUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: volley [--json] sink [FLAGS]

An SMTP sink for load tests: it accepts every message (PIPELINING, 8BITMIME, SIZE,
ENHANCEDSTATUSCODES, SMTPUTF8, CHUNKING, DSN), counts connections, messages, recipients,
bytes and replies, saves messages with --save, and answers as --reply rules say.
It prints "sink listening on ADDR", then its counters when it exits.

`)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Reply rules (--reply '[STAGE:]SELECTOR=CODE TEXT'):
  STAGE     connect (greeting), ehlo, mail, rcpt, or data (the reply after the
            message; the default)
  SELECTOR  N%       that share of the stage's events (0-100, decimals allowed;
                     picked by --seed)
            /RE/     the argument matches the Go regexp RE: client IP at connect,
                     EHLO name, MAIL FROM or RCPT TO address, the message's header
                     section at data; write / inside RE as \/
            after:N  every event after the first N (throttling after a volume)
            every:N  each Nth event
            *        every event
  CODE TEXT a 2xx, 4xx or 5xx reply, enhanced code optional: 451 4.7.1 try later
Events are counted per stage over all connections; the first matching rule wins.
A 421 closes the connection after it; a 4xx or 5xx at connect is the greeting, then
the connection closes. Examples:
  --reply '5%=451 4.7.1 try later'
  --reply 'rcpt:/^bad/=550 5.1.1 no such user'
  --reply 'data:after:100=421 4.7.0 [TSS04] try again later'     (Yahoo)
  --reply 'data:after:500=421 4.7.28 unusual rate of mail'         (Gmail)
`)
}

// printSinkCounters writes the counters as text, or as JSON.
func printSinkCounters(w io.Writer, asJSON bool, c loadgen.Counters) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(c)
		return
	}
	fmt.Fprintf(w, "connections %d (TLS %d)\n", c.Connections, c.TLS)
	fmt.Fprintf(w, "messages    %d accepted, %d refused after data\n", c.Messages, c.Refused)
	fmt.Fprintf(w, "recipients  %d\n", c.Recipients)
	fmt.Fprintf(w, "bytes       %d\n", c.Bytes)
	if c.Saved > 0 || c.SaveErrors > 0 {
		fmt.Fprintf(w, "saved       %d (%d failed)\n", c.Saved, c.SaveErrors)
	}
	for _, st := range []loadgen.Stage{loadgen.StageConnect, loadgen.StageEHLO, loadgen.StageMail, loadgen.StageRcpt, loadgen.StageData} {
		if m := c.Replies[st.String()]; len(m) > 0 {
			fmt.Fprintf(w, "replies     %-7s %s", st, sortedCounts(m, "", ""))
			if n := c.Scripted[st.String()]; n > 0 {
				fmt.Fprintf(w, " (%d scripted)", n)
			}
			fmt.Fprintln(w)
		}
	}
}
