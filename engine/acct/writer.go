package acct

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// Options are a Writer's run-time dependencies. All are optional.
type Options struct {
	// Now is the clock for timeLogged, rotation and file names. Default time.Now.
	Now func() time.Time
	// Logf receives write and rotation failures and, at most once per CheckEvery, a line
	// counting the records dropped because the queue was full. It is called from the
	// Writer's goroutines, never from Log, and must be safe for concurrent use.
	// Default: discard.
	Logf func(format string, args ...any)
	// QueueSize is how many records may wait for the disk before Log drops. Default 65536.
	QueueSize int
	// CheckEvery is how often an idle Writer looks at its rotation deadline and reports
	// drops. Default 1s.
	CheckEvery time.Duration
}

// Counters are a Writer's running totals, safe to read from any goroutine.
type Counters struct {
	Written atomic.Uint64 // records written to a file
	Dropped atomic.Uint64 // records Log refused: queue full, or the Writer closed
	Failed  atomic.Uint64 // records lost to a failed write or an unopenable file
	Rotated atomic.Uint64 // files moved aside
	Deleted atomic.Uint64 // rotated files removed by delete-after
}

// ErrClosed is returned by Rotate and Flush on a closed Writer.
var ErrClosed = errors.New("acct: writer closed")

// Writer is one <acct-file>: a file at cfg.Path that records are appended to, moved to a
// date-stamped name on rotation (rotate.go).
//
// Log is called from the shards' event loops, which must never wait for the disk. It
// copies the record into a bounded queue (queue.go) under a mutex held for that copy (a
// channel of Records would allocate QueueSize records up front per file) and wakes the
// writer goroutine on the empty-to-non-empty transition only. The writer goroutine takes
// everything queued at once, formats it into one buffer and writes it with one write(2)
// per MiB. Nothing is fsynced per record: accounting is
// acknowledged to no one; Rotate and Close fsync the file they finish. When the disk
// stalls, the queue fills and Log drops and counts rather than block the loop.
type Writer struct {
	Counters Counters

	cfg    config.AcctFile
	opts   Options
	enc    *Encoder
	header []byte // the header row
	dir    string // where rotated files go: move-to, or Path's directory
	openFn func(path string) (*os.File, error)

	q queue // what Log accepted, at most opts.QueueSize records

	wake     chan struct{} // capacity 1: coalesced wake-ups
	reqs     chan request
	stop     chan struct{}
	done     chan struct{} // the writer goroutine has finished
	monDone  chan struct{} // the monitor goroutine has finished
	closeErr error         // set by the writer goroutine before done closes

	// Owned by the writer goroutine (and by Open before it starts).
	file    *os.File
	size    int64     // bytes in file
	hdrLen  int64     // bytes of its header row
	created time.Time // when file was started: its name's stamp when rotated
	due     time.Time // when the interval rotation is due
	retryAt time.Time // after a failed open, when to try again
	errAt   time.Time // when a failure was last logged
	buf     []byte
	batch   []*block
}

type request struct {
	rotate bool
	reply  chan error
}

// Open starts the Writer of one <acct-file> block: it checks the block, moves aside a
// file left at cfg.Path by an earlier run, creates the file with its header row, removes
// rotated files past delete-after, and starts the writer and monitor goroutines, which
// Close stops. Pipes (`<acct-file |program>`) are not supported.
func Open(cfg *config.AcctFile, opts Options) (*Writer, error) {
	return open(cfg, opts, func(path string) (*os.File, error) {
		return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	})
}

// open is Open with the function that opens the file for appending (a test seam).
func open(cfg *config.AcctFile, opts Options, openFn func(string) (*os.File, error)) (*Writer, error) {
	if cfg.Path == "" || strings.HasPrefix(cfg.Path, "|") {
		return nil, fmt.Errorf("acct: %q: want a file path (pipes are not supported)", cfg.Path)
	}
	enc, err := NewEncoder(cfg)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	w := &Writer{
		cfg: *cfg, opts: opts, enc: enc, header: enc.AppendHeader(nil), openFn: openFn,
		dir:  filepath.Dir(cfg.Path),
		wake: make(chan struct{}, 1), reqs: make(chan request), stop: make(chan struct{}),
		done: make(chan struct{}), monDone: make(chan struct{}),
	}
	if cfg.MoveTo != "" {
		w.dir = cfg.MoveTo
	}
	for _, d := range []string{filepath.Dir(cfg.Path), w.dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("acct: %w", err)
		}
	}
	now := opts.Now()
	if err := w.moveLeftover(); err != nil {
		return nil, err
	}
	if err := w.openFile(now); err != nil {
		return nil, err
	}
	w.deleteOld(now)
	go w.run()
	go w.monitor()
	return w, nil
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1 << 16
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = time.Second
	}
	return o
}

// Path returns the file's path as configured.
func (w *Writer) Path() string { return w.cfg.Path }

// Wants reports whether this file takes records of type t, so a producer can skip
// building records no file wants.
func (w *Writer) Wants(t Type) bool { return w.enc.Wants(t) }

// Log queues a copy of r for writing and returns at once; it never waits for the disk.
// Records of a type the file does not take are ignored. When the queue is full, or the
// Writer closed, the record is dropped and counted in Counters.Dropped. A zero
// TimeLogged is filled with the time the batch is written.
func (w *Writer) Log(r *Record) {
	if !w.enc.Wants(r.Type) {
		return
	}
	ok, first := w.q.push(r, w.opts.QueueSize)
	switch {
	case !ok:
		w.Counters.Dropped.Add(1)
	case first:
		w.poke()
	}
}

func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Rotate writes out every record logged before the call, then moves the file aside and
// starts a new one (`volley rotate acct`, SIGUSR1). If the file at Path is no longer the
// one being written (logrotate moved it), it only starts a new one there.
func (w *Writer) Rotate() error { return w.ask(true) }

// Flush returns once every record logged before the call has been written to the file
// (write(2), not fsync).
func (w *Writer) Flush() error { return w.ask(false) }

func (w *Writer) ask(rotate bool) error {
	req := request{rotate: rotate, reply: make(chan error, 1)}
	select {
	case w.reqs <- req:
		return <-req.reply
	case <-w.done:
		return ErrClosed
	}
}

// Close stops taking records, writes out every record logged before it, fsyncs and
// closes the file, and stops the goroutines. Later calls return the first one's result.
func (w *Writer) Close() error {
	if w.q.close() {
		close(w.stop)
	}
	<-w.done
	<-w.monDone
	return w.closeErr
}

// run is the writer goroutine. It owns the fields so marked in Writer and is the only
// one to touch the file.
func (w *Writer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
			w.drain()
		case req := <-w.reqs:
			w.drain()
			var err error
			if req.rotate {
				err = w.rotate(w.opts.Now())
			}
			req.reply <- err
		case <-w.stop:
			w.drain()
			w.closeErr = w.closeFile()
			return
		}
	}
}

// monitor wakes the writer every CheckEvery (so an idle file still rotates on time) and
// reports drops, from its own goroutine so that a writer stuck on the disk cannot
// silence the report.
func (w *Writer) monitor() {
	defer close(w.monDone)
	t := time.NewTicker(w.opts.CheckEvery)
	defer t.Stop()
	var reported uint64
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		if d := w.Counters.Dropped.Load(); d != reported {
			w.opts.Logf("acct: %s: queue full (%d records): dropped %d records, %d in all",
				w.cfg.Path, w.opts.QueueSize, d-reported, d)
			reported = d
		}
		w.poke()
	}
}

// drain writes every queued record, rotating first if the interval is due.
func (w *Writer) drain() {
	now := w.opts.Now()
	if w.file == nil && !now.Before(w.retryAt) {
		if err := w.openFile(now); err != nil {
			w.retryAt = now.Add(w.opts.CheckEvery)
			w.logErr(now, err)
		}
	}
	if !now.Before(w.due) {
		w.intervalDue(now)
	}
	w.batch = w.q.take(w.batch)
	w.writeBatch(w.batch, now)
	w.q.recycle(w.batch)
}

// chunk is the most a batch buffers before writing.
const chunk = 1 << 20

func (w *Writer) writeBatch(blocks []*block, now time.Time) {
	buf, n := w.buf[:0], 0
	for _, b := range blocks {
		for i := range b.recs[:b.n] {
			buf, n = w.add(buf, n, &b.recs[i], now)
		}
	}
	w.write(buf, n)
	if cap(buf) <= 4*chunk {
		w.buf = buf
	}
}

// add appends r to buf, which holds n records not yet written. Before r would take the
// file past max-size, it writes buf and rotates; past chunk bytes, it writes buf.
func (w *Writer) add(buf []byte, n int, r *Record, now time.Time) ([]byte, int) {
	fill(r, now)
	start := len(buf)
	buf = w.enc.AppendRecord(buf, r)
	if limit := w.cfg.MaxSize; limit > 0 && w.size+int64(len(buf)) > limit && w.size+int64(start) > w.hdrLen {
		w.write(buf[:start], n)
		if err := w.rotate(now); err != nil {
			w.logErr(now, err)
		}
		buf, n = append(buf[:0], buf[start:]...), 0
	}
	if n++; len(buf) >= chunk {
		w.write(buf, n)
		buf, n = buf[:0], 0
	}
	return buf, n
}

// fill sets what the writer knows better than the producer: the time of writing, and
// the seconds queued derived from it.
func fill(r *Record, now time.Time) {
	if r.TimeLogged.IsZero() {
		r.TimeLogged = now
	}
	if r.TotalSecondsQueued == 0 && !r.TimeQueued.IsZero() {
		if d := r.TimeLogged.Sub(r.TimeQueued); d > 0 {
			r.TotalSecondsQueued = int64(d / time.Second)
		}
	}
}

// write writes n records' rows; on failure they count as Failed and the file is closed,
// to be reopened by a later batch.
func (w *Writer) write(b []byte, n int) {
	if n == 0 {
		return
	}
	if w.file == nil {
		w.Counters.Failed.Add(uint64(n))
		return
	}
	m, err := w.file.Write(b)
	w.size += int64(m)
	if err != nil {
		w.Counters.Failed.Add(uint64(n))
		w.logErr(w.opts.Now(), fmt.Errorf("acct: %w", err))
		w.file.Close()
		w.file = nil
		return
	}
	w.Counters.Written.Add(uint64(n))
}

// logErr logs err unless a failure was logged less than CheckEvery ago.
func (w *Writer) logErr(now time.Time, err error) {
	if now.Before(w.errAt.Add(w.opts.CheckEvery)) && !w.errAt.IsZero() {
		return
	}
	w.errAt = now
	w.opts.Logf("%v", err) // errors here are "acct: ..." and name the file
}
