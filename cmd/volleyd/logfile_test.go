package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogFileRotation: with log-auto-rotation the first line after
// midnight goes to a new file, the old ones shift to PATH.1..PATH.N and
// the oldest past log-rotate N is deleted; without it, one file grows;
// log-file-world-readable decides the mode.
func TestLogFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log", "volley.log")
	now := time.Date(2026, 12, 1, 23, 59, 0, 0, time.Local)
	l, err := openLogFile(path, logOptions{Keep: 2, AutoRotation: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for day := 1; day <= 4; day++ {
		if _, err := l.Write([]byte("line of day " + string(rune('0'+day)) + "\n")); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour) // the next day, 23:59
	}
	for name, want := range map[string]string{"volley.log": "line of day 4\n", "volley.log.1": "line of day 3\n", "volley.log.2": "line of day 2\n"} {
		b, err := os.ReadFile(filepath.Join(dir, "log", name))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", name, b, err, want)
		}
	}
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("log-rotate 2 kept a third old file: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", fi.Mode(), err)
	}

	plain := filepath.Join(dir, "plain.log")
	l2, err := openLogFile(plain, logOptions{Keep: 8, WorldReadable: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for range 3 {
		_, _ = l2.Write([]byte("x\n"))
		now = now.Add(24 * time.Hour)
	}
	if b, _ := os.ReadFile(plain); strings.Count(string(b), "x\n") != 3 {
		t.Errorf("without auto-rotation: %q", b)
	}
	if fi, err := os.Stat(plain); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("world-readable mode %v, %v; want 0644", fi.Mode(), err)
	}
	if _, err := os.Stat(plain + ".1"); !os.IsNotExist(err) {
		t.Error("rotated without log-auto-rotation")
	}
}
