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
	"runtime/debug"
	"strings"
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
	debug := fs.Bool("debug", false, "log at debug level")
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
		if cfg, probs = config.Load(*path); cfg != nil {
			probs = cfg.LoadKeys()
		}
		if len(probs) > 0 {
			for _, p := range probs {
				fmt.Fprintln(stderr, p)
			}
			return 1
		}
	}
	out := io.Writer(stderr)
	var lf *logFile
	if p := cfg.Global.LogFile; p != "" {
		var err error
		g := cfg.Global
		if lf, err = openLogFile(p, logOptions{Keep: g.LogRotate, AutoRotation: g.LogAutoRotation, WorldReadable: g.LogFileWorldReadable}); err != nil {
			fmt.Fprintln(stderr, "volleyd:", err)
			return 1
		}
		defer lf.Close()
		out = io.MultiWriter(stderr, lf)
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logf := leveledLogf(log)
	var rotateLog func() error // nil: no log file to reopen
	if lf != nil {
		rotateLog = lf.Reopen
	}
	// SIGUSR1 starts new accounting files and reopens the log file, for
	// logrotate; SIGHUP reloads the config (SPEC.md).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGHUP)
	defer signal.Stop(sigs)
	err := engine.Run(ctx, engine.Options{Config: cfg, ConfigPath: *path, Version: buildVersion(), Logf: logf,
		Ready: func(rn *engine.Running) {
			serveMgmt(ctx, cfg, rn, rotateLog, logf)
			go handleSignals(ctx, sigs, rn, rotateLog, logf)
		}})
	if err != nil {
		fmt.Fprintln(stderr, "volleyd:", err)
		return 1
	}
	return 0
}

// handleSignals serves SIGUSR1 (new accounting files, log file reopened)
// and SIGHUP (reload) until ctx ends.
func handleSignals(ctx context.Context, sigs <-chan os.Signal, rn *engine.Running, rotateLog func() error, logf func(string, ...any)) {
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				rn.Reload(ctx) // logs its outcome
				continue
			}
			if err := rn.RotateAcct(); err != nil {
				logf("volleyd: rotating the accounting files: %v", err)
			}
			if rotateLog == nil {
				continue
			}
			if err := rotateLog(); err != nil {
				logf("volleyd: reopening the log file: %v", err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// leveledLogf adapts the engine's printf-style log lines to slog: lines
// that report a failure go out at warning level, the rest (connections
// and commands of sources with log-connections / log-commands included)
// at info.
func leveledLogf(log *slog.Logger) func(string, ...any) {
	return func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		level := slog.LevelInfo
		switch {
		case strings.Contains(msg, "refused") || strings.Contains(msg, "failed") || strings.Contains(msg, "error") ||
			strings.Contains(msg, "not served") || strings.Contains(msg, "cannot"):
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, msg)
	}
}

// buildVersion is the module version from the build info, or "devel".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
