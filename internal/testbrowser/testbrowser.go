package testbrowser

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout bounds one browser run, page load and scripts included.
const Timeout = 60 * time.Second

// Find returns the path of the Chromium binary, or skips the test (fails it
// under VOLLEY_REQUIRE_PEERS) when none is installed.
func Find(t testing.TB) string {
	t.Helper()
	// Debian's chromium, Ubuntu's chromium-browser, Google's google-chrome.
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
		t.Fatalf("chromium not installed (apt-get install chromium)")
	}
	t.Skipf("chromium not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// DumpDOM loads url in headless Chromium, lets the page's scripts run for
// wait of virtual time (timers fire early, network fetches are waited
// for), and returns the serialized DOM as the scripts left it.
func DumpDOM(t testing.TB, url string, wait time.Duration) string {
	t.Helper()
	out := run(t, wait, "--dump-dom", url)
	if !strings.Contains(out, "<html") {
		t.Fatalf("chromium dumped no DOM for %s; got %q", url, truncate(out, 500))
	}
	return out
}

// Screenshot loads url in a width×height window, lets its scripts run for
// wait (as DumpDOM), and saves a PNG of the viewport to path; see Artifact
// for a path that CI keeps.
func Screenshot(t testing.TB, url, path string, width, height int, wait time.Duration) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(abs) // a stale file must not pass for a new one
	run(t, wait, "--screenshot="+abs, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--hide-scrollbars", url)
	fi, err := os.Stat(abs)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("chromium wrote no screenshot of %s to %s (%v)", url, abs, err)
	}
	head := make([]byte, 8)
	if f, err := os.Open(abs); err == nil {
		f.Read(head)
		f.Close()
	}
	if !bytes.Equal(head, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG", abs)
	}
	t.Logf("screenshot of %s: %s (%d bytes)", url, abs, fi.Size())
}

// Artifact returns a path for a file the test wants kept: in the directory
// named by VOLLEY_ARTIFACTS (created if needed) when it is set, else in the
// test's temporary directory. The test's name prefixes name, so tests do
// not overwrite each other's files.
func Artifact(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("VOLLEY_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	prefix := strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, t.Name())
	p := filepath.Join(dir, prefix+"-"+name)
	t.Logf("artifact: %s", p)
	return p
}

// run starts the browser with the common flags plus args and returns its
// standard output.
func run(t testing.TB, wait time.Duration, args ...string) string {
	t.Helper()
	bin := Find(t)
	home := t.TempDir()
	if wait <= 0 {
		wait = 2 * time.Second
	}
	flags := []string{
		"--headless=new",
		"--no-sandbox", // tests may run as root, where the sandbox refuses to start
		"--disable-gpu",
		"--disable-dev-shm-usage",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-extensions",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-breakpad",
		"--disable-crash-reporter",
		"--mute-audio",
		"--user-data-dir=" + filepath.Join(home, "profile"),
		"--virtual-time-budget=" + strconv.FormatInt(wait.Milliseconds(), 10),
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(flags, args...)...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_CACHE_HOME="+home+"/.cache")
	killGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", Timeout, err)
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\nstderr:\n%s", strings.Join(args, " "), err, truncate(stderr.String(), 4000))
	}
	t.Logf("chromium %s: %v", args[0], time.Since(start).Round(time.Millisecond))
	return stdout.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
