package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

// cli runs the program with args and returns its exit status and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeConf writes a config file into a fresh temporary directory and returns its path.
func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "volley.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// exampleWithKey is examples/volley.conf with its domain-key pointed at a
// key made for the test (the example names /etc/volley/dkim/..., which a
// test machine does not have).
func exampleWithKey(t *testing.T) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "examples", "volley.conf"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(t.TempDir(), "s2026.pem")
	der := x509.MarshalPKCS1PrivateKey(key)
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return writeConf(t, strings.Replace(string(text), "/etc/volley/dkim/s2026.example.net.pem", keyPath, 1))
}

// TestConfigTestMissingKey: a domain-key whose file is missing is a
// configtest problem at its line.
func TestConfigTestMissingKey(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "volley.conf")
	code, out, _ := cli(t, "configtest", example)
	if code != exitProblem || !strings.Contains(out, "volley.conf:61: domain-key /etc/volley/dkim/s2026.example.net.pem: no such file or directory") {
		t.Errorf("exit %d, stdout %q; want 1 and the missing key at line 61", code, out)
	}
}

func TestConfigTestGood(t *testing.T) {
	example := exampleWithKey(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"example", []string{"configtest", example}},
		{"example test config", []string{"test", "config", example}},
		{"default", []string{"configtest"}},
		{"default test config", []string{"test", "config"}},
		{"global flags first", []string{"--api", "http://192.0.2.1:8080", "--api-key", "k", "configtest", example}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, tc.args...)
			if code != exitOK || out != "ok\n" || errOut != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 0, \"ok\\n\", \"\"", code, out, errOut)
			}
		})
	}
}

// TestConfigTestBroken checks that every problem is printed, one per line, exactly as
// config.Load reports it, and that the exit status is 1.
func TestConfigTestBroken(t *testing.T) {
	path := writeConf(t, "postmaster postmaster@example.net\n"+
		"<domain *>\n"+
		"    max-smtp-outt 10\n"+
		"    use-starttls maybe\n"+
		"</domain>\n")
	_, probs := config.Load(path)
	if len(probs) < 2 {
		t.Fatalf("config.Load found %d problems in the broken config, want at least 2", len(probs))
	}
	var want strings.Builder
	for _, p := range probs {
		want.WriteString(p.Error() + "\n")
	}
	for _, args := range [][]string{{"configtest", path}, {"test", "config", path}} {
		t.Run(strings.Join(args[:len(args)-1], " "), func(t *testing.T) {
			code, out, errOut := cli(t, args...)
			if code != exitProblem {
				t.Errorf("exit %d, want %d", code, exitProblem)
			}
			if out != want.String() {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, want.String())
			}
			if !strings.HasPrefix(out, path+":3: ") || !strings.Contains(out, "\n"+path+":4: ") {
				t.Errorf("stdout does not name lines 3 and 4 of %s:\n%s", path, out)
			}
			if errOut != "" {
				t.Errorf("stderr %q, want empty", errOut)
			}
		})
	}
}

func TestConfigTestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.conf")
	code, out, _ := cli(t, "configtest", path)
	if code != exitProblem || !strings.Contains(out, "nope.conf") {
		t.Errorf("exit %d, stdout %q; want 1 and a problem naming the file", code, out)
	}
}

func TestConfigTestJSON(t *testing.T) {
	path := writeConf(t, "<domain *>\n    use-starttls maybe\n</domain>\n")
	code, out, _ := cli(t, "--json", "configtest", path)
	if code != exitProblem {
		t.Errorf("exit %d, want %d", code, exitProblem)
	}
	var got configTestJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	if got.OK || len(got.Problems) != 1 || got.Problems[0].File != path || got.Problems[0].Line != 2 {
		t.Errorf("got %+v, want one problem at %s:2", got, path)
	}

	code, out, _ = cli(t, "--json", "configtest")
	if code != exitOK || !strings.Contains(out, `"ok": true`) || !strings.Contains(out, `"problems": []`) {
		t.Errorf("default: exit %d, stdout %q", code, out)
	}
}

func TestShowSettingsDefault(t *testing.T) {
	code, out, errOut := cli(t, "show", "settings", "--default")
	if code != exitOK || out != config.DefaultText || errOut != "" {
		t.Errorf("exit %d, stderr %q, stdout equal to DefaultText: %v", code, errOut, out == config.DefaultText)
	}
	// What it prints must itself pass configtest: it is the documented way to start a config.
	path := writeConf(t, out)
	if code, out, _ := cli(t, "configtest", path); code != exitOK || out != "ok\n" {
		t.Errorf("configtest of the printed default: exit %d, %q", code, out)
	}
	if code, _, _ := cli(t, "show", "settings", "--default", "extra"); code != exitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, exitUsage)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", nil, "usage: volley"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", []string{"--nope", "configtest"}, "flag provided but not defined"},
		{"two files", []string{"configtest", "a.conf", "b.conf"}, "usage: volley configtest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := cli(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.wantErr)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "volley ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	code, out, _ = cli(t, "--help")
	if code != exitOK || !strings.Contains(out, "configtest [FILE]") || !strings.Contains(out, "-api-key") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

// TestEnvironment checks that VOLLEY_API and VOLLEY_API_KEY are the flags' defaults and that
// the flags override them.
func TestEnvironment(t *testing.T) {
	t.Setenv("VOLLEY_API", "http://192.0.2.1:9000")
	t.Setenv("VOLLEY_API_KEY", "from-env")
	o, ok := parseGlobal(t, nil)
	if !ok || o.api != "http://192.0.2.1:9000" || o.apiKey != "from-env" {
		t.Errorf("from env: %+v", o)
	}
	o, ok = parseGlobal(t, []string{"--api", "http://127.0.0.1:1", "--api-key", "flag", "--json"})
	if !ok || o.api != "http://127.0.0.1:1" || o.apiKey != "flag" || !o.json {
		t.Errorf("from flags: %+v", o)
	}
	t.Setenv("VOLLEY_API", "")
	if o, _ := parseGlobal(t, nil); o.api != defaultAPI {
		t.Errorf("no env: api %q, want %q", o.api, defaultAPI)
	}
}

// parseGlobal parses global flags the way run does, followed by the version command.
func parseGlobal(t *testing.T, flags []string) (options, bool) {
	t.Helper()
	var errOut bytes.Buffer
	o, rest, code := parseOptions(append(flags, "version"), &bytes.Buffer{}, &errOut)
	return o, code < 0 && len(rest) == 1
}
