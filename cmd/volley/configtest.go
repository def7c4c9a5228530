package main

// The offline config commands: `configtest` / `test config` and `show settings --default`.
// They read files and the embedded default only, so they work before volleyd runs, which is
// when an operator needs them: before a reload or a first start.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/volleymta/volley/engine/config"
)

// problemJSON is one problem in `volley --json configtest` output.
type problemJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// configTestJSON is the whole `volley --json configtest` answer.
type configTestJSON struct {
	File     string        `json:"file"`
	OK       bool          `json:"ok"`
	Problems []problemJSON `json:"problems"`
}

// configTest loads FILE (or the embedded default when there is none) and prints "ok", or
// every problem one per line as FILE:LINE: message, on stdout, as `pmta test config` does.
// It exits 1 on problems so scripts can gate a reload on it.
func configTest(o options, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("configtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: volley configtest [FILE]") }
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	file := "default.conf"
	var cfg *config.Config
	var probs []config.Problem
	if fs.NArg() == 1 {
		file = fs.Arg(0)
		cfg, probs = config.Load(file)
	} else {
		// The embedded default is checked as text under its file name, so problem lines
		// point at engine/config/default.conf's lines.
		cfg, probs = config.LoadText(file, []byte(config.DefaultText))
	}
	if cfg != nil { // the DKIM keys load as volleyd's start and reload load them
		probs = cfg.LoadKeys()
	}
	if o.json {
		return writeConfigTestJSON(file, probs, stdout, stderr)
	}
	if len(probs) == 0 {
		fmt.Fprintln(stdout, "ok")
		return exitOK
	}
	for _, p := range probs {
		fmt.Fprintln(stdout, p.Error())
	}
	return exitProblem
}

// writeConfigTestJSON prints configTestJSON; problems is [] rather than null when there are
// none, so consumers can iterate without a nil check.
func writeConfigTestJSON(file string, probs []config.Problem, stdout, stderr io.Writer) int {
	out := configTestJSON{File: file, OK: len(probs) == 0, Problems: []problemJSON{}}
	for _, p := range probs {
		out.Problems = append(out.Problems, problemJSON{File: p.Pos.File, Line: p.Pos.Line, Message: p.Msg})
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "volley: %v\n", err)
		return exitUsage
	}
	if !out.OK {
		return exitProblem
	}
	return exitOK
}

// hasDefaultFlag reports whether the `show settings` arguments include --default (or
// -default), the one form of `show settings` that needs no daemon.
func hasDefaultFlag(args []string) bool {
	for _, a := range args {
		if a == "--default" || a == "-default" {
			return true
		}
	}
	return false
}

// showDefaultSettings prints the embedded default config exactly as embedded, so that
// `volley show settings --default > volley.conf` gives a file to start from.
func showDefaultSettings(o options, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a != "--default" && a != "-default" {
			fmt.Fprintf(stderr, "volley: show settings --default takes no other arguments, got %q\n", a)
			return exitUsage
		}
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Config string `json:"config"`
		}{config.DefaultText}); err != nil {
			fmt.Fprintf(stderr, "volley: %v\n", err)
			return exitUsage
		}
		return exitOK
	}
	fmt.Fprint(stdout, config.DefaultText)
	return exitOK
}
