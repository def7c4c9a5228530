// Command volley is the operator's command-line tool: PowerMTA's `pmta` command set, spoken
// to volleyd over its HTTP management API, plus commands that work offline.
//
// Today only the offline commands exist: `configtest` (alias `test config`), `show settings
// --default` and `version`. Every other PowerMTA command is recognised and refused with exit
// status 2 and a message saying that volleyd does not serve the management API yet, so a
// script learns that honestly instead of getting made-up output.
//
// Exit status: 0 success, 1 the command ran and found a problem (configtest), 2 the command
// could not run (bad usage, or it needs the API).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release, set at build time with -ldflags "-X main.version=v1.2.3". When it
// is not set, the module version from the build info is used (e.g. with `go install`).
var version = ""

// Exit statuses. exitProblem means the command worked and its answer is "no" (a config with
// errors); exitUsage means the command itself could not run.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// defaultAPI is where volleyd's management API listens in the default config
// (http-mgmt-listen 127.0.0.1:8080).
const defaultAPI = "http://127.0.0.1:8080"

// options are the global flags, which come before the command as with `pmta`.
type options struct {
	// api is the base URL of volleyd's management API: --api, else $VOLLEY_API, else
	// defaultAPI.
	api string
	// apiKey is sent as X-API-Key: --api-key, else $VOLLEY_API_KEY; empty sends none.
	apiKey string
	// json asks for machine-readable output instead of text.
	json bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program minus the process: it parses args (without the program name),
// writes to stdout and stderr, and returns the exit status, so tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	o, rest, code := parseOptions(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	return dispatch(o, rest, stdout, stderr)
}

// parseOptions parses the global flags and returns them with the command words that follow.
// code is -1 when the command should run, else the exit status to return at once (help
// printed, or a usage error already reported on stderr).
func parseOptions(args []string, stdout, stderr io.Writer) (o options, rest []string, code int) {
	fs := newFlagSet(&o, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return o, nil, exitOK
		}
		return o, nil, exitUsage
	}
	if o.api == "" {
		o.api = defaultAPI
	}
	if fs.NArg() == 0 {
		usage(stderr)
		return o, nil, exitUsage
	}
	return o, fs.Args(), -1
}

// newFlagSet declares the global flags into o. The environment supplies the defaults, read
// here because only cmd/ reads environment variables (STYLE.md §8).
func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("volley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.api, "api", os.Getenv("VOLLEY_API"), "management API base `URL` (env VOLLEY_API; default "+defaultAPI+")")
	fs.StringVar(&o.apiKey, "api-key", os.Getenv("VOLLEY_API_KEY"), "API `KEY` sent as X-API-Key (env VOLLEY_API_KEY)")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of text")
	fs.Usage = func() { usage(stderr) }
	return fs
}

// dispatch runs the command named by rest[0] (and rest[1] for two-word commands).
func dispatch(o options, rest []string, stdout, stderr io.Writer) int {
	switch cmd, sub := rest[0], word(rest, 1); {
	case cmd == "configtest":
		return configTest(o, rest[1:], stdout, stderr)
	case cmd == "test" && sub == "config":
		return configTest(o, rest[2:], stdout, stderr)
	case cmd == "show" && sub == "settings" && hasDefaultFlag(rest[2:]):
		return showDefaultSettings(o, rest[2:], stdout, stderr)
	case cmd == "version" || (cmd == "show" && sub == "version"):
		fmt.Fprintf(stdout, "volley %s (%s %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		usage(stdout)
		return exitOK
	case apiCommands[cmd]:
		name := cmd
		if twoWord[cmd] && sub != "" && !strings.HasPrefix(sub, "-") {
			name += " " + sub
		}
		fmt.Fprintf(stderr, "volley: %s needs the management API, which volleyd does not serve yet\n", name)
		return exitUsage
	case localCommands[cmd]:
		fmt.Fprintf(stderr, "volley: %s is not built yet\n", cmd)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "volley: unknown command %q (run `volley help`)\n", cmd)
		return exitUsage
	}
}

// apiCommands are the `pmta` commands (SPEC.md "Programs") that ask the running daemon.
var apiCommands = map[string]bool{
	"show": true, "pause": true, "resume": true, "set": true, "schedule": true, "delete": true,
	"list": true, "disable": true, "enable": true, "resolve": true, "clear": true, "reload": true,
	"reset": true, "rotate": true, "inject": true, "suppress": true,
}

// twoWord are the commands whose second word names what they act on, so that the refusal
// says "show queues", not "show".
var twoWord = map[string]bool{
	"show": true, "pause": true, "resume": true, "set": true, "disable": true, "enable": true,
	"clear": true, "reset": true, "rotate": true, "suppress": true,
}

// localCommands are SPEC.md commands that will run without the daemon but are not written
// yet; saying they need the API would be untrue.
var localCommands = map[string]bool{"digest": true, "bounce": true, "blast": true, "sink": true}

// word returns rest[i], or "" past the end.
func word(rest []string, i int) string {
	if i < len(rest) {
		return rest[i]
	}
	return ""
}

// buildVersion is the -X version if set, else the module version, else "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// usage prints the command summary: what works today and what waits for the API.
func usage(w io.Writer) {
	fmt.Fprint(w, `usage: volley [--api URL] [--api-key KEY] [--json] COMMAND [ARGS]

Commands that work without volleyd:
  configtest [FILE]         check a config file (default: the built-in one); print "ok"
                            or every problem as FILE:LINE: message; exit 0 or 1
  test config [FILE]        the same (PowerMTA's spelling)
  show settings --default   print the built-in default config
  version                   print the version

PowerMTA's other commands (show status|queues|domains|vmtas|jobs|settings, pause, resume,
set queue, schedule, delete, list, disable/enable source, resolve, clear dnscache, reload,
reset counters, rotate, ...) need volleyd's management API, which is not served yet.

Global flags:
`)
	fs := newFlagSet(&options{}, w)
	fs.PrintDefaults()
}
