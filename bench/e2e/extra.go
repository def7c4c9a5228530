package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// extraNames are the stand-alone benchmarks the suite runs after the matrix
// (go run ./bench/NAME -json, each printing one JSON object on stdout).
var extraNames = []string{"coldstart", "idleconns"}

// extraResult is one such run. Fields holds the program's JSON object as it
// came: the suite knows some field names but reads them tolerantly, so the
// programs can grow without the suite changing.
type extraResult struct {
	Name    string         `json:"name"`
	Ran     bool           `json:"ran"`
	Error   string         `json:"error,omitempty"`
	Seconds float64        `json:"seconds"`
	Fields  map[string]any `json:"fields,omitempty"`
	Stderr  string         `json:"stderr_tail,omitempty"`
}

// runExtra runs bench/NAME with -json (in the repository root) and parses
// what it printed.
func runExtra(ctx context.Context, name string, timeout time.Duration, logDir string) extraResult {
	r := extraResult{Name: name}
	if m, _ := filepath.Glob(filepath.Join("bench", name, "*.go")); len(m) == 0 {
		r.Error = "bench/" + name + " is not in this checkout"
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "./bench/"+name, "-json")
	cmd.Env = goEnv()
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r.Seconds = time.Since(start).Seconds()
	os.WriteFile(filepath.Join(logDir, name+".stderr.log"), stderr.Bytes(), 0o644)
	os.WriteFile(filepath.Join(logDir, name+".stdout.log"), stdout.Bytes(), 0o644)
	r.Stderr = tail(stderr.String(), 8)
	fields, perr := lastJSONObject(stdout.Bytes())
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		r.Error = fmt.Sprintf("did not finish within %v", timeout)
	case err != nil && perr != nil:
		r.Error = fmt.Sprintf("go run ./bench/%s -json: %v", name, err)
	case perr != nil:
		r.Error = "no JSON object on stdout: " + perr.Error()
	}
	if perr == nil {
		r.Fields = fields
		r.Ran = true
		if err != nil && r.Error == "" {
			// It printed its result but exited non-zero: keep both.
			r.Error = fmt.Sprintf("exited with %v after printing its result", err)
		}
	}
	return r
}

// lastJSONObject returns the last JSON object in out, skipping anything else
// a program may have printed around it.
func lastJSONObject(out []byte) (map[string]any, error) {
	var found map[string]any
	err := fmt.Errorf("empty output")
	for i := 0; i < len(out); i++ {
		if out[i] != '{' {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(out[i:]))
		dec.UseNumber()
		var m map[string]any
		if e := dec.Decode(&m); e != nil {
			err = e
			continue
		}
		found = m
		i += int(dec.InputOffset()) - 1
	}
	if found == nil {
		return nil, err
	}
	return found, nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// num reads a numeric field, whatever JSON type it came as.
func (r *extraResult) num(key string) (float64, bool) {
	v, ok := r.Fields[key]
	if !ok {
		return 0, false
	}
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case string:
		var f float64
		_, err := fmt.Sscan(x, &f)
		return f, err == nil
	}
	return 0, false
}

// str reads a field as text.
func (r *extraResult) str(key string) (string, bool) {
	v, ok := r.Fields[key]
	if !ok || v == nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}
