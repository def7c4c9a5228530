package pickup

import (
	"container/heap"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/volleymta/volley/spool"
)

// Appender stores a message durably; *spool.Spool implements it. Append
// must return nil only once the message survives a crash.
type Appender interface {
	Append(ctx context.Context, m *spool.Message, body []byte) (spool.ID, error)
}

// Options configure a Pickup.
type Options struct {
	// Dir is the pickup directory (`pickup DIR BADDIR`). Required; it must exist.
	Dir string
	// BadDir receives files that do not parse, each with a NAME.err file
	// giving the reason. Required; created if missing.
	BadDir string
	// Spool stores the picked-up messages. Required.
	Spool Appender
	// RemoveDot un-doubles leading dots (`pickup-remove-dot`). Default false.
	RemoveDot bool
	// MaxRecipients bounds x-receiver lines per file (default 5000).
	MaxRecipients int
	// MaxFileSize bounds a pickup file; larger ones go to BadDir
	// (default 64 MiB).
	MaxFileSize int64
	// Workers is the number of files handled at once (default 8). Each
	// worker waits for its Append's fsync, so more workers make larger
	// spool commit groups.
	Workers int
	// Rescan is the period of the safety-net directory scan (default 10s).
	Rescan time.Duration
	// Settle is how long a file must stay unmodified before it is read when
	// leases cannot tell whether it is still being written, and how long a
	// file that fails to parse is given to be completed before it goes to
	// BadDir (default 2s).
	Settle time.Duration
	// RetryInterval is the wait before retrying a file after a spool or file
	// system failure (default 5s).
	RetryInterval time.Duration
	// Logf receives one line per bad file and one per file and failure kind
	// (default: dropped).
	Logf func(format string, args ...any)
}

const (
	defaultWorkers     = 8
	defaultMaxFileSize = 64 << 20
	defaultRescan      = 10 * time.Second
	defaultSettle      = 2 * time.Second
	defaultRetry       = 5 * time.Second
	firstWriteBackoff  = 20 * time.Millisecond
	maxWriteBackoff    = time.Second
)

// Counters count what a Pickup did; read them with Load.
type Counters struct {
	// Picked counts files spooled and removed.
	Picked atomic.Uint64
	// Bad counts files moved to BadDir.
	Bad atomic.Uint64
	// Retried counts attempts left for later because the spool or the file
	// system failed.
	Retried atomic.Uint64
	// Deferred counts attempts postponed because the file was still being
	// written.
	Deferred atomic.Uint64
}

// Pickup ingests a PowerMTA-style pickup directory into the spool.
//
// A file is read only when no process has it open for writing (a read
// lease, see writerState) or, where leases are unavailable, once it has not
// been modified for Settle. It is removed only after Append returned nil;
// then it is removed only if the name still refers to the file that was read.
// Rejected alternative: claiming each file by renaming it into a private
// directory first. That makes removal race-free, but a crash then strands
// files outside Dir and needs a recovery pass; the identity check leaves only
// a microsecond window in which a replacement renamed over the same name is
// lost, and renaming over a file that is being picked up is already undefined
// for PowerMTA feeders.
type Pickup struct {
	opts    Options
	parser  Parser
	stats   Counters
	running atomic.Bool
	// useLease is false in tests of the Settle fallback.
	useLease bool
}

// New checks opts, applies defaults and creates BadDir if needed.
func New(opts Options) (*Pickup, error) {
	if opts.Dir == "" || opts.BadDir == "" {
		return nil, errors.New("pickup: Dir and BadDir are required")
	}
	if opts.Spool == nil {
		return nil, errors.New("pickup: Spool is required")
	}
	if fi, err := os.Stat(opts.Dir); err != nil {
		return nil, errors.New("pickup: " + err.Error())
	} else if !fi.IsDir() {
		return nil, errors.New("pickup: " + opts.Dir + " is not a directory")
	}
	if err := os.MkdirAll(opts.BadDir, 0o750); err != nil {
		return nil, errors.New("pickup: " + err.Error())
	}
	setDefault(&opts.Workers, defaultWorkers)
	setDefault(&opts.MaxFileSize, defaultMaxFileSize)
	setDefault(&opts.Rescan, defaultRescan)
	setDefault(&opts.Settle, defaultSettle)
	setDefault(&opts.RetryInterval, defaultRetry)
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	return &Pickup{opts: opts, parser: Parser{MaxRecipients: opts.MaxRecipients, RemoveDot: opts.RemoveDot}, useLease: true}, nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Counters returns the live counters.
func (p *Pickup) Counters() *Counters { return &p.stats }

// task is one file handed to a worker.
type task struct {
	name string
	// spooled is the file already appended whose removal failed: the
	// worker only removes it (if the name still refers to it).
	spooled os.FileInfo
}

// outcome is what a worker did with a task.
type outcome uint8

const (
	outDone     outcome = iota // spooled and removed, moved to BadDir, gone or ignored
	outWriting                 // still open for writing
	outSettling                // modified too recently to judge
	outStorage                 // Append failed (ErrFull, ErrIO, closed spool…)
	outFS                      // reading, moving or removing failed
	outRemove                  // spooled, but the removal failed
	outCount
)

// result reports a task's outcome to Run's goroutine, which logs.
type result struct {
	name  string
	out   outcome
	wait  time.Duration // for outSettling
	err   error         // the cause, logged once per file and outcome
	kind  string        // failure kind within outStorage, for log-once
	fi    os.FileInfo   // for outRemove
	badOK string        // for outDone: the reason the file went to BadDir
}

// fileState is Run's record of a file it has seen; Run's goroutine owns it.
type fileState struct {
	busy    bool        // queued or held by a worker
	dirty   bool        // an event or scan saw the name while busy
	due     time.Time   // when waiting for a retry
	backoff int         // writer back-off steps taken
	logged  []string    // failure kinds already logged
	spooled os.FileInfo // see task.spooled
}

// Run ingests files until ctx ends: first every file already in Dir, then
// each file inotify reports created or moved in, with a full rescan every
// Rescan as a safety net for missed events (and at once after an inotify
// queue overflow). Names starting with "." are skipped, so feeders may also
// write ".name" in Dir and rename it. Run returns nil when ctx ends, after
// the in-flight files are finished, or an error if it cannot watch Dir.
func (p *Pickup) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("pickup: Run called twice")
	}
	defer p.running.Store(false)
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return errors.New("pickup: inotify: " + err.Error())
	}
	defer w.Close()
	if err := w.Add(p.opts.Dir); err != nil { // before the first scan, so no file falls between
		return errors.New("pickup: watch " + p.opts.Dir + ": " + err.Error())
	}
	work := make(chan task)
	results := make(chan result, p.opts.Workers)
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				results <- p.process(ctx, t)
			}
		}()
	}
	l := loop{p: p, files: map[string]*fileState{}}
	l.scan()
	l.run(ctx, w, work, results)
	close(work)
	go func() { wg.Wait(); close(results) }()
	for range results {
		// Workers finishing their last file; what they did is done, and
		// a file left for later stays in Dir.
	}
	return nil
}

// loop is Run's scheduling state, owned by Run's goroutine.
type loop struct {
	p      *Pickup
	files  map[string]*fileState
	ready  []string
	timers dueHeap
}

func (l *loop) run(ctx context.Context, w *fsnotify.Watcher, work chan<- task, results <-chan result) {
	rescan := time.NewTicker(l.p.opts.Rescan)
	defer rescan.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		var out chan<- task
		var next task
		if len(l.ready) > 0 {
			out, next = work, task{name: l.ready[0], spooled: l.files[l.ready[0]].spooled}
		}
		if len(l.timers) > 0 {
			retry.Reset(time.Until(l.timers[0].due))
		}
		select {
		case <-ctx.Done():
			return
		case out <- next:
			l.ready = l.ready[1:]
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) {
				l.want(filepath.Base(ev.Name))
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			l.p.opts.Logf("pickup: inotify: %v; rescanning %s", err, l.p.opts.Dir)
			l.scan()
		case r := <-results:
			l.finish(r)
		case <-rescan.C:
			l.scan()
		case <-retry.C:
			l.fire()
		}
	}
}

// scan wants every file in Dir.
func (l *loop) scan() {
	d, err := os.Open(l.p.opts.Dir)
	if err != nil {
		l.p.opts.Logf("pickup: scan: %v", err)
		return
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, n := range names {
			l.want(n)
		}
		if err != nil {
			if err != io.EOF {
				l.p.opts.Logf("pickup: scan: %v", err)
			}
			return
		}
	}
}

// want queues name unless it is already queued, held or waiting.
func (l *loop) want(name string) {
	if name == "" || name[0] == '.' || strings.ContainsRune(name, '/') {
		return
	}
	st := l.files[name]
	switch {
	case st == nil:
		l.files[name] = &fileState{busy: true}
		l.ready = append(l.ready, name)
	case st.busy:
		st.dirty = true
	}
	// A waiting file keeps its retry time: its writer is still active, or
	// the spool or file system needs time.
}

// finish applies a worker's result.
func (l *loop) finish(r result) {
	st := l.files[r.name]
	st.busy = false
	opts := &l.p.opts
	var wait time.Duration
	switch r.out {
	case outDone:
		if r.badOK != "" {
			opts.Logf("pickup: %s moved to %s: %s", r.name, opts.BadDir, r.badOK)
		}
		delete(l.files, r.name)
		if st.dirty { // the name may now hold a new file
			l.want(r.name)
		}
		return
	case outWriting:
		l.p.stats.Deferred.Add(1)
		wait = min(firstWriteBackoff<<st.backoff, maxWriteBackoff)
		st.backoff = min(st.backoff+1, 10)
	case outSettling:
		l.p.stats.Deferred.Add(1)
		wait = r.wait
	case outStorage, outFS, outRemove:
		l.p.stats.Retried.Add(1)
		wait = opts.RetryInterval
		if r.out == outRemove {
			st.spooled = r.fi
		}
		kind := strconv.Itoa(int(r.out)) + r.kind
		if !contains(st.logged, kind) {
			st.logged = append(st.logged, kind)
			opts.Logf("pickup: %s: %v; left in place, retrying every %v", r.name, r.err, wait)
		}
	}
	st.dirty = false
	st.due = time.Now().Add(wait)
	heap.Push(&l.timers, dueItem{due: st.due, name: r.name})
}

// fire queues the files whose retry time has come.
func (l *loop) fire() {
	now := time.Now()
	for len(l.timers) > 0 && !l.timers[0].due.After(now) {
		it := heap.Pop(&l.timers).(dueItem)
		if st := l.files[it.name]; st != nil && !st.busy && st.due.Equal(it.due) {
			st.busy, st.due = true, time.Time{}
			l.ready = append(l.ready, it.name)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// process handles one file on a worker goroutine: read, parse, Append, then
// remove; or move to BadDir; or report why it must wait.
func (p *Pickup) process(ctx context.Context, t task) result {
	r := result{name: t.name, out: outDone}
	path := filepath.Join(p.opts.Dir, t.name)
	if t.spooled != nil {
		return p.remove(r, path, t.spooled)
	}
	f, err := os.OpenFile(path, openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return r // picked up already, or taken back by the feeder
	}
	if err != nil {
		return p.fail(r, outFS, "", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return p.fail(r, outFS, "", err)
	}
	if !fi.Mode().IsRegular() {
		return r // not ours to judge: a directory, FIFO or device
	}
	if writing, known := p.writerState(f); writing {
		r.out = outWriting
		return r
	} else if age := time.Since(fi.ModTime()); !known && age < p.opts.Settle {
		r.out, r.wait = outSettling, p.opts.Settle-age
		return r
	}
	if fi.Size() > p.opts.MaxFileSize {
		return p.bad(r, path, fi, "file larger than "+strconv.FormatInt(p.opts.MaxFileSize, 10)+" bytes")
	}
	data := make([]byte, 0, fi.Size()+1)
	if data, err = readAll(f, data); err != nil {
		return p.fail(r, outFS, "", err)
	}
	env, body, err := p.parser.Parse(data)
	if err != nil {
		// A file modified moments ago may be a writer's partial output
		// that a lease could not see (several opens); give it Settle.
		if age := time.Since(fi.ModTime()); age < p.opts.Settle {
			r.out, r.wait = outSettling, p.opts.Settle-age
			return r
		}
		return p.bad(r, path, fi, err.Error())
	}
	if _, err := p.opts.Spool.Append(ctx, env.Message(body), body); err != nil {
		kind := "other"
		switch {
		case ctx.Err() != nil:
			return r // shutting down; the file stays for the next start
		case errors.Is(err, spool.ErrFull):
			kind = "full"
		case errors.Is(err, spool.ErrIO):
			kind = "io"
		}
		return p.fail(r, outStorage, kind, err)
	}
	return p.remove(r, path, fi)
}

func (p *Pickup) writerState(f *os.File) (writing, known bool) {
	if !p.useLease {
		return false, false
	}
	return writerState(f)
}

// remove deletes a spooled file if path still names it.
func (p *Pickup) remove(r result, path string, fi os.FileInfo) result {
	cur, err := os.Lstat(path)
	if err == nil && os.SameFile(cur, fi) {
		err = os.Remove(path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.fi = fi
		return p.fail(r, outRemove, "", errors.New("spooled, but not removed: "+err.Error()))
	}
	p.stats.Picked.Add(1)
	return r
}

// bad writes NAME.err to BadDir, then moves the file there.
func (p *Pickup) bad(r result, path string, fi os.FileInfo, reason string) result {
	dst := filepath.Join(p.opts.BadDir, r.name)
	if _, err := os.Lstat(dst); err == nil { // keep the earlier bad file
		dst += "." + strconv.FormatInt(time.Now().UnixNano(), 10)
	}
	if err := writeFile(dst+".err", []byte(reason+"\n")); err != nil {
		return p.fail(r, outFS, "bad", err)
	}
	if cur, err := os.Lstat(path); err != nil || !os.SameFile(cur, fi) {
		return r // replaced or gone meanwhile; a new file is judged anew
	}
	if err := os.Rename(path, dst); err != nil {
		return p.fail(r, outFS, "bad", err)
	}
	p.stats.Bad.Add(1)
	r.badOK = reason
	return r
}

func (p *Pickup) fail(r result, out outcome, kind string, err error) result {
	r.out, r.kind, r.err = out, kind, err
	return r
}

// readAll reads f to its end into buf.
func readAll(f *os.File, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// writeFile writes name through a temporary file renamed into place.
func writeFile(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// dueItem is a retry time; dueHeap orders them earliest first.
type dueItem struct {
	due  time.Time
	name string
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
