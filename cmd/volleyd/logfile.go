package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// logFile is the log-file volleyd writes beside stderr. As PowerMTA's, it
// starts a new file at the first line after local midnight
// (log-auto-rotation), keeping log-rotate older ones as PATH.1 (the
// newest) to PATH.N; Reopen starts a new file at the same path, so
// logrotate can move the old one away and signal (SIGUSR1, `volley rotate
// log`) where auto-rotation is off.
type logFile struct {
	mu   sync.Mutex
	path string
	opts logOptions
	f    *os.File
	day  time.Time // local midnight of the day the file was opened
}

// logOptions are the config's log-rotate, log-auto-rotation and
// log-file-world-readable.
type logOptions struct {
	Keep          int
	AutoRotation  bool
	WorldReadable bool
	Now           func() time.Time // nil: time.Now
}

func openLogFile(path string, opts logOptions) (*logFile, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &logFile{path: path, opts: opts}
	if err := l.Reopen(); err != nil {
		return nil, err
	}
	return l, nil
}

// Reopen closes the file and opens the path again (appending).
func (l *logFile) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reopen()
}

func (l *logFile) reopen() error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o750); err != nil {
		return fmt.Errorf("log-file %s: %w", l.path, err)
	}
	mode := os.FileMode(0o640)
	if l.opts.WorldReadable {
		mode = 0o644
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, mode)
	if err == nil {
		err = f.Chmod(mode) // an existing file keeps the mode it was made with
	}
	if err != nil {
		return fmt.Errorf("log-file %s: %w", l.path, err)
	}
	old := l.f
	l.f, l.day = f, midnight(l.opts.Now())
	if old != nil {
		return old.Close()
	}
	return nil
}

// rotate moves PATH.i to PATH.i+1 (dropping what would pass log-rotate),
// PATH to PATH.1, and opens a new PATH.
func (l *logFile) rotate() error {
	keep := l.opts.Keep
	if keep <= 0 {
		_ = os.Remove(l.path) // log-rotate 0: no old file kept
	} else {
		_ = os.Remove(l.path + "." + strconv.Itoa(keep))
		for i := keep - 1; i >= 1; i-- {
			_ = os.Rename(l.path+"."+strconv.Itoa(i), l.path+"."+strconv.Itoa(i+1))
		}
		if err := os.Rename(l.path, l.path+".1"); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("log-file %s: rotating: %w", l.path, err)
		}
	}
	return l.reopen()
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.opts.AutoRotation && midnight(l.opts.Now()).After(l.day) {
		if err := l.rotate(); err != nil && l.f == nil {
			return 0, err
		}
	}
	return l.f.Write(p)
}

func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

var _ io.Writer = (*logFile)(nil)
