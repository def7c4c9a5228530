package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/volleymta/volley/bench/internal/launch"
)

// postfixMain is the main.cf of the private Postfix instance (the approach of
// bench/inject): a complete config, so nothing is read from /etc/postfix.
// Everything not set is Postfix's compiled-in default, including what makes
// the comparison fair: cleanup fsyncs each queue file before smtpd answers
// 250, and smtpd slows new mail (in_flow_delay) when delivery falls behind.
// {{DIR}} is the instance's directory, {{SINK}} the sink's port.
const postfixMain = `compatibility_level = 3.6
queue_directory = {{DIR}}/queue
data_directory = {{DIR}}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {{DIR}}
maillog_file = {{DIR}}/maillog
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.bench.test
mydomain = bench.test
myorigin = $myhostname
append_dot_mydomain = no
biff = no
mydestination =
local_recipient_maps =
local_transport = error:local delivery is disabled in this benchmark
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:{{SINK}}
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
`

// postfixMaster is the instance's master.cf: the services a relay-only
// Postfix uses, none chrooted (the instance has no chroot tree), with
// Postfix's stock process limits (default_process_limit 100: at 1,000
// connections, 900 wait for an smtpd).
const postfixMaster = `{{ADDR}} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`

// postfix is a private Postfix instance: config, queue and log under the
// cell's directory; the system's Postfix is not touched.
type postfix struct {
	dir    string // while running
	logDir string // kept after the stop
	master int
}

// postfixPath adds the directories Postfix's commands live in, which a
// non-login PATH may lack.
func postfixPath() {
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/sbin:/usr/lib/postfix/sbin")
}

// postfixCheck says why Postfix cannot run here, or nil.
func postfixCheck() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (a Postfix master runs as root)", errSkipped)
	}
	for _, c := range []string{"postfix", "postconf"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%w: %s not found (Debian package postfix)", errSkipped, c)
		}
	}
	if _, err := user.Lookup("postfix"); err != nil {
		return fmt.Errorf("%w: no postfix user", errSkipped)
	}
	return nil
}

// postfixVersion returns Postfix's mail_version.
func postfixVersion() string {
	out, err := exec.Command("postconf", "-d", "-h", "mail_version").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func (p *postfix) start(ctx context.Context, dir string, sinkPort int) (string, error) {
	port, err := launch.FreeTCPPort()
	if err != nil {
		return "", err
	}
	pf := filepath.Join(dir, "postfix")
	for _, d := range []string{"conf", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(pf, d), 0o755); err != nil {
			return "", err
		}
	}
	// The daemons run as postfix and must reach their queue.
	if err := openPath(pf); err != nil {
		return "", err
	}
	u, err := user.Lookup("postfix")
	if err != nil {
		return "", err
	}
	uid, _ := strconv.Atoi(u.Uid)
	if err := os.Chown(filepath.Join(pf, "data"), uid, -1); err != nil {
		return "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	mainCf := strings.NewReplacer("{{DIR}}", pf, "{{SINK}}", strconv.Itoa(sinkPort)).Replace(postfixMain)
	masterCf := strings.ReplaceAll(postfixMaster, "{{ADDR}}", addr)
	if err := os.WriteFile(filepath.Join(pf, "conf", "main.cf"), []byte(mainCf), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(pf, "conf", "master.cf"), []byte(masterCf), 0o644); err != nil {
		return "", err
	}
	p.dir, p.logDir = pf, pf
	out, err := exec.CommandContext(ctx, "postfix", "-c", filepath.Join(pf, "conf"), "start").CombinedOutput()
	os.WriteFile(filepath.Join(pf, "postfix-ctl.log"), out, 0o644)
	if err != nil {
		p.stop()
		return "", fmt.Errorf("postfix start: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := waitPort(ctx, addr, nil, "Postfix smtpd"); err != nil {
		p.stop()
		return "", err
	}
	// The master writes its pid file after it has bound its listeners.
	deadline := time.Now().Add(10 * time.Second)
	for p.master == 0 {
		p.master = p.pidFile()
		if p.master == 0 {
			if time.Now().After(deadline) {
				p.stop()
				return "", fmt.Errorf("postfix: no master pid file after 10 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addr, nil
}

// openPath makes every directory from dir up to the root searchable by
// others, so the postfix user reaches the queue in a 0700 temp directory.
func openPath(dir string) error {
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o011 != 0o011 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *postfix) pidFile() int {
	b, err := os.ReadFile(filepath.Join(p.dir, "queue", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func (p *postfix) root() int { return p.master }

func (p *postfix) stop() error {
	if p.dir == "" {
		return nil
	}
	pid := p.master
	if pid == 0 {
		pid = p.pidFile()
	}
	out, err := exec.Command("postfix", "-c", filepath.Join(p.dir, "conf"), "stop").CombinedOutput()
	p.dir, p.master = "", 0
	if err != nil && pid == 0 {
		return fmt.Errorf("postfix stop: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if pid == 0 {
		return nil
	}
	// postfix stop only signals the master; wait for it and its children.
	for range 150 {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, q := range tree(pid) {
		syscall.Kill(q, syscall.SIGKILL)
	}
	return fmt.Errorf("postfix: master %d did not stop in 15 s; killed", pid)
}

func (p *postfix) logs() []string {
	if p.logDir == "" {
		return nil
	}
	return []string{filepath.Join(p.logDir, "maillog"), filepath.Join(p.logDir, "postfix-ctl.log")}
}
