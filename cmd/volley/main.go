// Command volley is the operator's command-line tool: PowerMTA's `pmta` command set, spoken
// to volleyd over its HTTP management API (engine/api types), plus commands that work
// offline.
//
// Offline: `configtest` (alias `test config`), `show settings --default`, `version`, and the
// SMTP test tools `blast` and `sink`. Every other command asks the volleyd at --api: `show
// status|queues|topqueues|domains|topdomains|vmtas|jobs|settings`, `pause|resume queue|job`,
// `set queue --mode`, `schedule`, `delete`, `resolve`, `clear dnscache`, `show precache`, `reload`, `reset
// counters`, `rotate acct|log`, `list`, `show disabled sources`, `disable|enable source`,
// `suppress add|remove|check|import|export|lists`,
// and Volley's own `inject` and `vmta set|delete`; `digest` and `bounce classify` work
// offline.
//
// Output is text: aligned tables for the `show` commands, like `pmta`'s. --json prints the
// API's JSON instead, indented.
//
// Exit status: 0 success; 1 the command ran and the answer is a problem (configtest or
// reload found errors, nothing matched the pattern, nothing deleted); 2 the command could
// not run (bad usage, volleyd unreachable, access refused, or the command is not served).
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

// dispatch runs the command named by the first one to three words of rest.
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
	case cmd == "blast":
		return runBlast(o, rest[1:], stdout, stderr)
	case cmd == "sink":
		return runSink(o, rest[1:], stdout, stderr)
	case cmd == "digest":
		return runDigest(o, rest[1:], stdout, stderr)
	case cmd == "bounce":
		return runBounce(o, rest[1:], stdout, stderr)
	}
	if c, name, args, ok := lookup(rest); ok {
		return runCommand(o, c, name, args, stdout, stderr)
	}
	name := rest[0]
	if sub := word(rest, 1); sub != "" && !strings.HasPrefix(sub, "-") && commandWords[rest[0]] {
		name += " " + sub
	}
	fmt.Fprintf(stderr, "volley: unknown command %q (run `volley help`)\n", name)
	return exitUsage
}

// commandWords are the first words of multi-word commands, so that `show nothing` is
// reported as the unknown command "show nothing", not "show".
var commandWords = map[string]bool{
	"show": true, "pause": true, "resume": true, "set": true, "disable": true, "enable": true,
	"clear": true, "reset": true, "rotate": true, "vmta": true,
}

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

// usage prints the command summary.
func usage(w io.Writer) {
	fmt.Fprint(w, `usage: volley [--api URL] [--api-key KEY] [--json] COMMAND [ARGS]

Commands that ask volleyd (PowerMTA's pmta commands over the management API):
  show status                       traffic, queues, connections, spool and config at a glance
  show queues [--maxitems=N] [--paused[=yes|no]] [--mode=normal|backoff] [--errors]
              [--sort=name|recipients] [DOMAIN[/VMTA]]
                                    queues (domain/vMTA; * and ? wildcards)
  show topqueues [...]              show queues, largest first, top 20 unless --maxitems
  show domains [--maxitems=N] [--sort=name|recipients] [DOMAIN]
  show topdomains [...]             show domains, largest first, top 20 unless --maxitems
  show vmtas [--maxitems=N] [NAME]  virtual MTAs and pools
  show jobs [--maxitems=N]          jobs with their recipient counts
  show settings [DOMAIN[/VMTA]]     the config in force, or the settings of one queue
  pause queue Q | resume queue Q    stop or restart delivery for the queues matching Q
  pause job ID | resume job ID      stop or restart delivery of a job
  set queue --mode=normal|backoff Q force the queues' mode
  schedule [--retry-recipients] Q   retry the queues now
  delete [--dsn] [--queue=Q] [--orig=A] [--rcpt=A] [--jobId=ID] [--envId=ID]
         [--older-than=AGE]         remove queued recipients matching every filter given
                                    (at least one); AGE is seconds or 2h, 3d
  list [--queue=Q] [--rcpt=A] [--orig=A] [--jobId=ID] [--envId=ID] [--maxitems=N]
                                    the queued recipients matching every filter given
  show disabled sources             source addresses taken out of use
  disable source IP [Q]             stop sending from IP to the queues matching Q (all)
  enable source IP [Q]              send from IP again
  resolve DOMAIN                    the mail exchangers and addresses volleyd would use
  clear dnscache DOMAIN|*           drop DNS cache entries
  show precache                     the <dns> block's precached domains, as last refreshed
  reload                            re-read the config; print "ok" or every problem (exit 1)
  reset counters                    zero the show status traffic counters
  rotate acct | rotate log          rotate the accounting files or the log now
  inject [--from=A] --to=B [--to=C ...] [--vmta=V] [--job=J] [FILE ...]
                                    submit each FILE (stdin when none) as one message;
                                    print each message's id
  vmta set NAME DIRECTIVE...        create or replace a live vMTA, one directive per
                                    argument, e.g. "smtp-source-host 192.0.2.1 mta1.example.com"
  vmta delete NAME                  remove a live vMTA
  suppress add|remove ENTRY...      change the runtime suppression list (user@example.com,
                                    @example.com, @*.example.com, postmaster@*, a hex digest)
  suppress check ADDRESS...         which list suppresses each address (exit 1 if any)
  suppress import [--format=F] [FILE]  add a file's entries (list, address-file, sha256, md5)
  suppress export [--list=NAME]     print a list's entries
  suppress lists                    the lists and their sizes

Commands that work without volleyd:
  configtest [FILE]         check a config file (default: the built-in one); print "ok"
                            or every problem as FILE:LINE: message; exit 0 or 1
  test config [FILE]        the same (PowerMTA's spelling)
  show settings --default   print the built-in default config
  bounce classify [--config FILE] [FILE ...]
                            classify bounce messages (stdin without FILE): one line per
                            failed recipient, category<TAB>status<TAB>hard|soft
  digest [--md5|--hmac-sha256|--siphash] [--key K] STRING
                            the hex digest of STRING lower-cased, as hashed suppression
                            lists hold addresses (default SHA-256)
  blast [ARGS]              SMTP load generator (volley blast --help)
  sink [ARGS]               SMTP sink that counts or saves what it receives (volley sink --help)
  version                   print the version

--json prints the API's JSON instead of text. Exit status: 0 ok; 1 the answer is a problem
(refused reload, nothing matched); 2 usage error, volleyd unreachable or access refused.

Global flags:
`)
	fs := newFlagSet(&options{}, w)
	fs.PrintDefaults()
}
