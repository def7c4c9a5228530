package main

// `volley bounce classify`: reads bounce messages and prints, for each failed recipient, the
// bounce category, the status code and hard or soft, as volleyd files them. It works offline,
// so an operator can check a bounce, or a <bounce-category-patterns> list, before a reload.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/volleymta/volley/engine/bounce"
	"github.com/volleymta/volley/engine/config"
)

// maxBounceSize caps what is read of one message; a bounce's verdict is at its start, the
// rest is the returned original.
const maxBounceSize = 64 << 20

// bounceJSON is one line of `volley --json bounce classify` output.
type bounceJSON struct {
	File       string `json:"file"`
	Recipient  string `json:"recipient"`
	Category   string `json:"category"`
	Status     string `json:"status"`
	Type       string `json:"type"`
	Diagnostic string `json:"diagnostic"`
}

// runBounce is `bounce classify [--config FILE] [FILE ...]`: each FILE (or standard input
// when there is none, or for "-") is one message. It prints one line per failed recipient,
// `category<TAB>status<TAB>hard|soft`, or with --json one JSON object per line that adds the
// file, the recipient and the diagnostic. --config uses that config's
// <bounce-category-patterns> before the built-in rules.
//
// Exit status: 0 when every message had a failed recipient; 1 when one had none (not a
// bounce, or a success report); 2 on bad usage, a config with errors or a file that cannot
// be read.
func runBounce(o options, args []string, stdout, stderr io.Writer) int {
	return bounceCommand(o, args, os.Stdin, stdout, stderr)
}

// bounceCommand is runBounce with standard input passed in, for tests.
func bounceCommand(o options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: volley [--json] bounce classify [--config FILE] [FILE ...]")
	}
	if len(args) == 0 || args[0] != "classify" {
		usage()
		return exitUsage
	}
	fs := flag.NewFlagSet("bounce classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "use the <bounce-category-patterns> of config `FILE`")
	fs.Usage = func() {
		usage()
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	var patterns bounce.Patterns
	if *cfgPath != "" {
		c, probs := config.Load(*cfgPath)
		if len(probs) > 0 {
			for _, p := range probs {
				fmt.Fprintln(stderr, p.Error())
			}
			return exitUsage
		}
		patterns = configPatterns(c)
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	code := exitOK
	for _, name := range files {
		switch c := classifyFile(o, name, stdin, patterns, stdout, stderr); {
		case c == exitUsage:
			code = exitUsage
		case c == exitProblem && code == exitOK:
			code = exitProblem
		}
	}
	return code
}

// classifyFile classifies one message and prints its lines.
func classifyFile(o options, name string, stdin io.Reader, patterns bounce.Patterns, stdout, stderr io.Writer) int {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "volley: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		r = f
	}
	msg, err := io.ReadAll(io.LimitReader(r, maxBounceSize))
	if err != nil {
		fmt.Fprintf(stderr, "volley: %s: %v\n", name, err)
		return exitUsage
	}
	cs := bounce.Classify(msg, patterns)
	if len(cs) == 0 {
		fmt.Fprintf(stderr, "volley: %s: no failed recipient found\n", name)
		return exitProblem
	}
	enc := json.NewEncoder(stdout)
	for _, c := range cs {
		if o.json {
			if err := enc.Encode(bounceJSON{File: name, Recipient: c.Recipient, Category: c.Category,
				Status: c.Status, Type: c.HardSoft(), Diagnostic: c.Diagnostic}); err != nil {
				fmt.Fprintf(stderr, "volley: %v\n", err)
				return exitUsage
			}
			continue
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", c.Category, c.Status, c.HardSoft())
	}
	return exitOK
}

// configPatterns returns the config's <bounce-category-patterns>, or nil when the config
// has none: engine/config then fills in PowerMTA's list, which the classifier's built-in
// rules already cover, and tried first it would only mask them.
func configPatterns(c *config.Config) bounce.Patterns {
	if !c.BounceCategoriesWritten {
		return nil
	}
	ps := make(bounce.Patterns, 0, len(c.BounceCategories))
	for _, bc := range c.BounceCategories {
		ps = append(ps, bounce.Pattern{Regexp: bc.Regexp, Category: bc.Category})
	}
	return ps
}
