package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/volleymta/volley/bench/internal/launch"
)

// server is one relay under test. Each cell starts a fresh instance (a new
// spool or queue), so a cell's peak memory and disk writes are its own.
type server interface {
	// start runs an instance whose files live under dir and which relays
	// everything to 127.0.0.1:sinkPort; it returns the address to inject to.
	start(ctx context.Context, dir string, sinkPort int) (addr string, err error)
	// root is the process whose tree is the server, for /proc accounting.
	root() int
	// stop ends the instance; an error means it did not stop cleanly.
	stop() error
	// logs are the files worth keeping when a cell fails.
	logs() []string
}

// serverNames are the -servers values, in the order each cell runs them.
var serverNames = []string{"wire", "volleyd-uring", "volleyd-epoll", "postfix", "haraka"}

// serverLabel is how the report names a server.
func serverLabel(name string) string {
	switch name {
	case "wire":
		return "wire (load → sink)"
	case "volleyd-uring":
		return "volleyd io_uring"
	case "volleyd-epoll":
		return "volleyd epoll"
	case "postfix":
		return "Postfix"
	case "haraka":
		return "Haraka"
	}
	return name
}

// waitPort waits until addr accepts connections, at most 30 s, failing early
// when exited is closed (the process died).
func waitPort(ctx context.Context, addr string, exited <-chan struct{}, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before listening on %s", name, addr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not listening on %s after 30 s", name, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// child is a server process the suite started itself.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// startChild starts argv in dir with its output in logFile.
func startChild(dir, logFile string, env []string, argv ...string) (*child, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that a ^C to the suite reaches the servers
	// only through the suite's orderly stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// serve starts argv in its log file's directory (startChild) and waits
// until it listens on addr; if it does not, it is stopped and the error
// says why. The child is returned either way, as the servers keep it.
func serve(ctx context.Context, name, addr, logFile string, argv ...string) (*child, error) {
	c, err := startChild(filepath.Dir(logFile), logFile, nil, argv...)
	if err != nil {
		return nil, err
	}
	if err := waitPort(ctx, addr, c.exited, name); err != nil {
		c.terminate(5 * time.Second)
		return c, err
	}
	return c, nil
}

// terminate sends SIGTERM, waits up to grace, then kills the process group.
func (c *child) terminate(grace time.Duration) error {
	select {
	case <-c.exited:
		return fmt.Errorf("exited before the stop: %v", c.err)
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return c.err
	case <-time.After(grace):
	}
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.exited
	return fmt.Errorf("did not stop within %v of SIGTERM; killed", grace)
}

// volleyd runs the daemon built for the run with one io engine.
type volleyd struct {
	bin    string
	engine string // io_uring or epoll
	daemon
}

// daemon is a server child run for one cell: its process, its log (kept
// after the stop) and how it stops.
type daemon struct {
	name    string
	c       *child
	logFile string
	grace   time.Duration // between SIGTERM and SIGKILL
	// termOK: dying of SIGTERM is the server's normal stop (Haraka's
	// master does not catch it).
	termOK bool
}

func (d *daemon) root() int { return d.c.cmd.Process.Pid }

func (d *daemon) stop() error {
	if d.c == nil {
		return nil
	}
	err := d.c.terminate(d.grace)
	d.c = nil
	var ee *exec.ExitError
	if d.termOK && errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

func (d *daemon) logs() []string {
	if d.logFile == "" {
		return nil
	}
	return []string{d.logFile}
}

// volleydConf is volleyd's config for a cell: only what differs from the
// defaults. Nothing may leave 127.0.0.1: the sink is an address literal, DANE
// is off, and name-server is a loopback port where nothing answers.
// sync-msg-create yes (the default) fsyncs each message before its 250, as
// Postfix's cleanup does. total-max-smtp-in rises from PowerMTA's 100 for the
// 1,000-connection cells; max-smtp-in per client is unlimited by default.
const volleydConf = `smtp-listener 127.0.0.1:%d

<spool %s>
</spool>

sync-msg-create yes
io-engine %s
shards auto
total-max-smtp-in 5000
name-server 127.0.0.1:%d

<source 127.0.0.1>
    smtp-service          yes
    always-allow-relaying yes
</source>

<domain *>
    smtp-hosts [127.0.0.1]:%d
    use-dane   no
</domain>
`

func (v *volleyd) start(ctx context.Context, dir string, sinkPort int) (string, error) {
	port, err := launch.FreeTCPPort()
	if err != nil {
		return "", err
	}
	dns, err := launch.FreeTCPPort()
	if err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "volley.conf")
	body := fmt.Sprintf(volleydConf, port, filepath.Join(dir, "spool"), v.engine, dns, sinkPort)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return "", err
	}
	v.logFile = filepath.Join(dir, "volleyd.log")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if v.c, err = serve(ctx, "volleyd", addr, v.logFile, v.bin, "--config", conf); err != nil {
		return "", err
	}
	return addr, nil
}

// engineLine returns the line of volleyd's log that names its io engine.
func engineLine(logFile string) string {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(b)) {
		if i := strings.Index(line, "shards on "); i >= 0 {
			rest := line[i+len("shards on "):]
			if j := strings.IndexAny(rest, ", \""); j > 0 {
				return rest[:j]
			}
		}
	}
	return ""
}

// buildVolleyd builds cmd/volleyd into dir once for the run; the default
// PGO profile applies when cmd/volleyd/default.pgo exists.
func buildVolleyd(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "volleyd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/volleyd")
	cmd.Env = goEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/volleyd: %v\n%s", err, out)
	}
	return bin, nil
}

// goEnv is the environment for go commands: the io_uring dependency needs
// link-name checking off (see the Makefile).
func goEnv() []string {
	env := os.Environ()
	const flag = "-ldflags=-checklinkname=0"
	if g := os.Getenv("GOFLAGS"); !strings.Contains(g, "checklinkname") {
		env = append(env, "GOFLAGS="+strings.TrimSpace(g+" "+flag))
	}
	return env
}

// errSkipped marks a server that cannot run on this machine; the report
// says why instead of failing the suite.
var errSkipped = errors.New("not run")
