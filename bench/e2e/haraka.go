package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/volleymta/volley/bench/internal/launch"
)

// haraka is a Haraka instance installed from npm for the run. It relays as
// Haraka is documented to: the relay plugin's ACL lets 127.0.0.0/8 relay, the
// message goes to Haraka's outbound queue (a file per message, written with
// fsync before the 250), and a small plugin routes every domain to the sink
// and skips the client's rDNS lookup, since nothing may leave loopback. It runs one process per CPU
// (nodes=cpus, Haraka's performance advice), logging at warn.
type haraka struct {
	home string // the npm install: HOME/node_modules/Haraka
	daemon
}

// harakaInstall installs Haraka into dir with npm (or takes the install
// already in dir) and returns its version.
func harakaInstall(ctx context.Context, dir string) (string, error) {
	pkg := filepath.Join(dir, "node_modules", "Haraka", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		for _, c := range []string{"node", "npm"} {
			if _, err := exec.LookPath(c); err != nil {
				return "", fmt.Errorf("%w: %s not found", errSkipped, c)
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "Haraka")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		os.WriteFile(filepath.Join(dir, "npm-install.log"), out, 0o644)
		if err != nil {
			return "", fmt.Errorf("%w: npm install Haraka failed: %v: %s", errSkipped, err, lastLine(string(out)))
		}
	}
	b, err := os.ReadFile(pkg)
	if err != nil {
		return "", fmt.Errorf("%w: npm install Haraka left no package.json: %v", errSkipped, err)
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &meta); err != nil || meta.Version == "" {
		return "", fmt.Errorf("%w: Haraka's package.json has no version", errSkipped)
	}
	return meta.Version, nil
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// harakaBench is the suite's Haraka plugin: it answers the reverse lookup of
// the client (always 127.0.0.1) without DNS, and routes all outbound mail to
// the sink, so nothing leaves loopback.
const harakaBench = `// Keeps the benchmark on loopback: no rDNS lookup, every domain's MX is the sink.
exports.hook_lookup_rdns = function (next, connection) {
    next(OK, 'localhost')
}
exports.hook_get_mx = function (next, hmail, domain) {
    next(OK, { exchange: '127.0.0.1', port: %d })
}
`

func (h *haraka) start(ctx context.Context, dir string, sinkPort int) (string, error) {
	port, err := launch.FreeTCPPort()
	if err != nil {
		return "", err
	}
	hd := filepath.Join(dir, "haraka")
	bin := filepath.Join(h.home, "node_modules", "Haraka", "bin", "haraka")
	// haraka -i lays out an instance with the stock config files; the suite
	// then overwrites the few it sets.
	if out, err := exec.CommandContext(ctx, "node", bin, "-i", hd).CombinedOutput(); err != nil {
		return "", fmt.Errorf("haraka -i: %v: %s", err, lastLine(string(out)))
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	files := map[string]string{
		"config/smtp.ini":        "listen=" + addr + "\nnodes=cpus\nforce_shutdown_timeout=10\n",
		"config/plugins":         "bench\nrelay\n",
		"config/relay.ini":       "[relay]\nacl=true\n",
		"config/relay_acl_allow": "127.0.0.0/8\n",
		"config/log.ini":         "[main]\nlevel=warn\n",
		"config/outbound.ini":    "enable_tls=false\n",
		"config/me":              "haraka.bench.test\n",
		"plugins/bench.js":       fmt.Sprintf(harakaBench, sinkPort),
	}
	for name, body := range files {
		p := filepath.Join(hd, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Join(hd, "queue"), 0o755); err != nil {
		return "", err
	}
	h.logFile = filepath.Join(hd, "haraka.log")
	if h.c, err = serve(ctx, "Haraka", addr, h.logFile, "node", bin, "-c", hd); err != nil {
		return "", err
	}
	return addr, nil
}
