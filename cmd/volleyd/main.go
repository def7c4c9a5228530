// Command volleyd is the Volley MTA daemon. With no --config it runs the
// embedded default config (SMTP on 127.0.0.1:2525, spool under ./var/).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/volleymta/volley/engine"
	"github.com/volleymta/volley/engine/config"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("volleyd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "config file (default: the embedded default config)")
	var prof profiles
	fs.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the whole run to this file (perf/: profiles and PGO)")
	fs.StringVar(&prof.heap, "memprofile", "", "write a heap profile to this file at exit")
	fs.StringVar(&prof.mutex, "mutexprofile", "", "sample lock contention and write its profile to this file at exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := prof.start(); err != nil {
		fmt.Fprintln(stderr, "volleyd:", err)
		return 1
	}
	defer func() {
		if err := prof.stop(); err != nil {
			fmt.Fprintln(stderr, "volleyd:", err)
		}
	}()
	cfg := config.Default()
	if *path != "" {
		var probs []config.Problem
		cfg, probs = config.Load(*path)
		if len(probs) > 0 {
			for _, p := range probs {
				fmt.Fprintln(stderr, p)
			}
			return 1
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logf := func(format string, a ...any) { log.Info(fmt.Sprintf(format, a...)) }
	// SIGUSR1 starts new accounting files, for logrotate (SPEC.md).
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	err := engine.Run(ctx, engine.Options{Config: cfg, Logf: logf, Ready: func(rn *engine.Running) {
		go func() {
			for {
				select {
				case <-usr1:
					if err := rn.RotateAcct(); err != nil {
						logf("volleyd: rotating the accounting files: %v", err)
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	}})
	if err != nil {
		fmt.Fprintln(stderr, "volleyd:", err)
		return 1
	}
	return 0
}
