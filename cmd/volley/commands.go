package main

// The command table of the API commands and what they share: finding the command named by
// one to three words, parsing its flags the way `pmta` spells them, and turning API errors
// into messages and exit statuses.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// command is one API command: its usage line (after "volley ") and its body.
type command struct {
	usage string
	run   func(s *session, args []string) int
}

// commands are the API commands by name. Names have up to three words ("show disabled
// sources"); lookup takes the longest that matches.
var commands = map[string]command{
	"show status":           {"show status", showStatus},
	"show queues":           {"show queues [--maxitems=N] [--paused[=yes|no]] [--mode=normal|backoff] [--errors] [--sort=name|recipients] [PATTERN]", showQueues},
	"show topqueues":        {"show topqueues [--maxitems=N] [--paused[=yes|no]] [--mode=normal|backoff] [--errors] [PATTERN]", showTopQueues},
	"show domains":          {"show domains [--maxitems=N] [--sort=name|recipients] [PATTERN]", showDomains},
	"show topdomains":       {"show topdomains [--maxitems=N] [PATTERN]", showTopDomains},
	"show vmtas":            {"show vmtas [--maxitems=N] [NAME]", showVMTAs},
	"show jobs":             {"show jobs [--maxitems=N]", showJobs},
	"show settings":         {"show settings [--default]", showSettings},
	"pause queue":           {"pause queue DOMAIN[/VMTA]", pauseQueue},
	"resume queue":          {"resume queue DOMAIN[/VMTA]", resumeQueue},
	"pause job":             {"pause job ID", pauseJob},
	"resume job":            {"resume job ID", resumeJob},
	"set queue":             {"set queue --mode=normal|backoff DOMAIN[/VMTA]", setQueueMode},
	"schedule":              {"schedule [--retry-recipients] DOMAIN[/VMTA]", schedule},
	"delete":                {"delete [--dsn] [--queue=Q] [--orig=A] [--rcpt=A] [--jobId=ID] [--envId=ID] [--older-than=AGE]", deleteRecipients},
	"resolve":               {"resolve DOMAIN", resolve},
	"clear dnscache":        {"clear dnscache DOMAIN|*", clearDNSCache},
	"show precache":         {"show precache", showPrecache},
	"reload":                {"reload", reload},
	"reset counters":        {"reset counters", resetCounters},
	"reset status":          {"reset status", resetCounters},
	"rotate acct":           {"rotate acct", rotateAcct},
	"rotate log":            {"rotate log", rotateLog},
	"inject":                {"inject [--from=A] --to=B [--to=C ...] [--vmta=V] [--job=J] [FILE ...]", inject},
	"vmta set":              {"vmta set NAME DIRECTIVE...", vmtaSet},
	"vmta delete":           {"vmta delete NAME", vmtaDelete},
	"show disabled sources": {"show disabled sources", showDisabledSources},
	"disable source":        {"disable source IP [DOMAIN[/VMTA]]", disableSource},
	"enable source":         {"enable source IP [DOMAIN[/VMTA]]", enableSource},
	"list":                  {"list [--queue=Q] [--rcpt=A] [--orig=A] [--jobId=ID] [--envId=ID] [--maxitems=N]", listRecipients},
	"suppress add":          {"suppress add ENTRY...", suppressAdd},
	"suppress remove":       {"suppress remove ENTRY...", suppressRemove},
	"suppress check":        {"suppress check ADDRESS...", suppressCheck},
	"suppress import":       {"suppress import [--format=list|address-file|sha256|md5] [FILE]", suppressImport},
	"suppress export":       {"suppress export [--list=NAME]", suppressExport},
	"suppress lists":        {"suppress lists", showSuppressions},
}

// lookup finds the command named by the first words of rest and returns it with its name
// and the arguments after the name.
func lookup(rest []string) (c command, name string, args []string, ok bool) {
	for n := min(3, len(rest)); n > 0; n-- {
		name = strings.Join(rest[:n], " ")
		if c, ok = commands[name]; ok {
			return c, name, rest[n:], true
		}
	}
	return command{}, "", nil, false
}

// session is one API command's run: the global options, the output streams and the client.
type session struct {
	o      options
	name   string // the command's name, for messages: "show queues"
	usage  string
	stdout io.Writer
	stderr io.Writer
	api    *client
	now    time.Time
}

// runCommand runs c after checking the --api URL.
func runCommand(o options, c command, name string, args []string, stdout, stderr io.Writer) int {
	s := &session{o: o, name: name, usage: c.usage, stdout: stdout, stderr: stderr, now: time.Now()}
	api, err := newClient(o)
	if err != nil {
		fmt.Fprintf(stderr, "volley: %v\n", err)
		return exitUsage
	}
	s.api = api
	return c.run(s, args)
}

// fail reports err on stderr and returns its exit status: exitProblem when volleyd ran the
// command and answered no (nothing matched, a config refused), else exitUsage.
func (s *session) fail(err error) int {
	var ae *apiError
	if errors.As(err, &ae) && ae.unsupported() {
		fmt.Fprintf(s.stderr, "volley: %s is not supported by this volleyd (HTTP %s)\n", s.name, ae.Line)
		return exitUsage
	}
	fmt.Fprintf(s.stderr, "volley: %s: %v\n", s.name, err)
	if errors.As(err, &ae) {
		switch ae.Status {
		case 404, 409, 422:
			return exitProblem
		}
	}
	return exitUsage
}

// usageError reports a usage mistake in the command's arguments.
func (s *session) usageError(format string, args ...any) int {
	fmt.Fprintf(s.stderr, "volley: %s: %s\nusage: volley %s\n", s.name, fmt.Sprintf(format, args...), s.usage)
	return exitUsage
}

// printJSON prints the API's answer indented, as --json promises.
func (s *session) printJSON(raw []byte) int {
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		fmt.Fprintf(s.stderr, "volley: %s: the answer is not JSON: %v\n", s.name, err)
		return exitUsage
	}
	b.WriteByte('\n')
	s.stdout.Write(b.Bytes())
	return exitOK
}

// printValue prints v as indented JSON: --json output for answers filtered here.
func (s *session) printValue(v any) int {
	raw, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(s.stderr, "volley: %s: %v\n", s.name, err)
		return exitUsage
	}
	return s.printJSON(raw)
}

// flags returns a flag set for the command that prints the command's usage line.
func (s *session) flags() *flag.FlagSet {
	fs := flag.NewFlagSet(s.name, flag.ContinueOnError)
	fs.SetOutput(s.stderr)
	fs.Usage = func() { fmt.Fprintf(s.stderr, "usage: volley %s\n", s.usage) }
	return fs
}

// parse parses args with fs and returns the operands. Flags may come before or after the
// operands (`show queues gmail.com --maxitems=5`); "--" ends the flags. code is -1 when the
// command should go on.
func (s *session) parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int) (operands []string, code int) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	operands = append(operands, tail...)
	if len(operands) < minArgs || (maxArgs >= 0 && len(operands) > maxArgs) {
		fs.Usage()
		return nil, exitUsage
	}
	return operands, -1
}

// noArgs is the parse for commands that take no flags and no operands.
func (s *session) noArgs(args []string) int {
	_, code := s.parse(s.flags(), args, 0, 0)
	return code
}

// yesNo is a PowerMTA boolean flag: `--errors` alone, or `--errors=yes|no` (true, false,
// 1 and 0 work too). set records whether it was given at all.
type yesNo struct {
	value, set bool
}

func (f *yesNo) String() string {
	if f == nil {
		return "no"
	}
	return yesNoWord(f.value)
}

func (f *yesNo) Set(s string) error {
	switch strings.ToLower(s) {
	case "yes", "true", "1", "on":
		f.value = true
	case "no", "false", "0", "off":
		f.value = false
	default:
		return fmt.Errorf("%q is not yes or no", s)
	}
	f.set = true
	return nil
}

// IsBoolFlag lets the flag stand alone, meaning yes.
func (f *yesNo) IsBoolFlag() bool { return true }

// boolFlag declares a yesNo flag.
func boolFlag(fs *flag.FlagSet, name, help string) *yesNo {
	f := &yesNo{}
	fs.Var(f, name, help)
	return f
}

// parseAge reads --older-than: whole seconds ("7200") as PowerMTA takes them, or a
// duration with units s, m, h, d and w ("2h", "3d", "1d12h").
func parseAge(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	units := map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}
	var total int64
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || units[rest[i]] == 0 {
			return 0, fmt.Errorf("%q is not seconds or a duration like 2h or 3d", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not seconds or a duration like 2h or 3d", s)
		}
		total += n * units[rest[i]]
		rest = rest[i+1:]
	}
	if s == "" {
		return 0, errors.New("empty age")
	}
	return total, nil
}
