package spool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// maxPooledBuf bounds the scratch buffers kept for reuse.
const maxPooledBuf = 256 << 10

// Options configure a Spool. The zero value is usable.
type Options struct {
	// FS is the file system (default the OS's); tests pass vfs.NewMem()
	// or an errorfs wrapper.
	FS vfs.FS
	// Codec compresses bodies (default CodecZstd).
	Codec Codec
	// MaxGroup bounds the batches merged into one commit (default 1024).
	MaxGroup int
	// Logf receives Pebble's errors (default: dropped).
	Logf func(format string, args ...any)
	// CacheSize is Pebble's block cache in bytes (default 64 MiB): what
	// delivery reads back from a cold spool (after a restart, or bodies
	// that left memory) comes from it instead of pread and decompression.
	CacheSize int64
	// MinFreeSpace refuses new messages (ErrFull) while the spool's disk
	// has fewer bytes free (0: no floor); see freeSpace.
	MinFreeSpace int64
}

// defaultCacheSize is the block cache of Options.CacheSize: Pebble's own
// 8 MiB default held a small fraction of a drain's working set, and the
// cold-start benchmark spent a third of volleyd's CPU re-reading blocks.
const defaultCacheSize = 64 << 20

// Spool is the durable message store. All methods are safe for concurrent use.
type Spool struct {
	db       *pebble.DB
	comp     *compressor
	ids      *idGen
	reqs     chan *commitReq
	stop     chan struct{}
	exited   chan struct{} // closed when the committer has returned
	wg       sync.WaitGroup
	maxBatch int
	closing  sync.Once
	failed   atomic.Pointer[error]
	space    *freeSpace
	stats    counters
	bufs     sync.Pool
}

// counters are the spool's statistics (read with Stats).
type counters struct {
	appends, deletes, commits, syncs, bodyBytes, storedBytes atomic.Uint64
}

// Stats is a snapshot of the spool's counters.
type Stats struct {
	// Appends counts messages made durable; Commits the Pebble batches
	// written (one per group) and Syncs those with an fsync.
	Appends, Commits, Syncs uint64
	// Deletes counts messages removed (Delete, Updates.Delete) and committed.
	Deletes uint64
	// BodyBytes and StoredBytes total the appended bodies before and after
	// compression.
	BodyBytes, StoredBytes uint64
}

// Open opens (creating if needed) the spool in dir. Existing messages are
// read with Scan.
func Open(dir string, opts Options) (*Spool, error) {
	comp, err := newCompressor(opts.Codec)
	if err != nil {
		return nil, err
	}
	// A 64 MiB memtable (Pebble's default is 4 MiB) holds a burst of bodies
	// without a flush and makes WAL rotations, the moment a disk failure
	// can end the process (doc.go), 16 times rarer.
	cacheSize := opts.CacheSize
	if cacheSize <= 0 {
		cacheSize = defaultCacheSize
	}
	cache := pebble.NewCache(cacheSize)
	defer cache.Unref() // the DB holds its own reference
	po := &pebble.Options{FS: opts.FS, FormatMajorVersion: pebble.FormatNewest, Logger: quietLogger{opts.Logf},
		MemTableSize: 64 << 20, Cache: cache}
	if po.FS == nil {
		po.FS = vfs.Default
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		comp.close()
		return nil, storageError(err)
	}
	s := &Spool{db: db, comp: comp, ids: newIDGen(), reqs: make(chan *commitReq, commitQueue),
		stop: make(chan struct{}), exited: make(chan struct{}), maxBatch: opts.MaxGroup}
	if s.maxBatch <= 0 {
		s.maxBatch = 1024
	}
	if opts.MinFreeSpace > 0 {
		s.space = &freeSpace{dir: dir, min: uint64(opts.MinFreeSpace), avail: statfsAvail}
		s.space.checked.Store(time.Now().UnixNano() - int64(freeSpaceEvery)) // look at the first use
	}
	s.bufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	s.wg.Add(1)
	go s.committer()
	return s, nil
}

// quietLogger routes Pebble's log lines to Logf, dropping informational ones.
type quietLogger struct{ logf func(string, ...any) }

func (l quietLogger) Infof(string, ...any) {}
func (l quietLogger) Errorf(format string, args ...any) {
	if l.logf != nil {
		l.logf("spool: "+format, args...)
	}
}
func (l quietLogger) Fatalf(format string, args ...any) {
	l.Errorf(format, args...)
	panic("spool: pebble fatal error")
}

// Append stores m and body durably, then returns m's new ID. It returns only
// after the write is fsynced, sharing the fsync with concurrent callers
// (group commit). It sets m.ID, m.Size, m.Received (if zero) and each
// recipient's Index. On ErrFull or ErrIO the message is either absent or
// wholly present (its log write may have landed before the fsync failed),
// never partial: the batch is atomic. ctx is honoured until the message is handed to the
// committer; after that Append waits for the outcome, so that a caller never
// refuses a message that was in fact stored.
func (s *Spool) Append(ctx context.Context, m *Message, body []byte) (ID, error) {
	if err := ctx.Err(); err != nil {
		return ID{}, err
	}
	if err := s.space.low(); err != nil {
		return ID{}, err
	}
	b, stored, err := s.prepare(m, body)
	if err != nil {
		return ID{}, err
	}
	defer b.Close()
	if err := s.commit(b); err != nil {
		return ID{}, err
	}
	s.counted(len(body), stored)
	return m.ID, nil
}

// AppendAsync is Append for a caller that must not wait, a shard's loop:
// it prepares the message's batch (encoding and compressing on the
// caller's goroutine) and hands it to the committer without blocking;
// done receives the outcome later, on the committer's goroutine, nil only
// once the message is fsynced. done must not block; it may run before
// AppendAsync returns when the message is refused at once.
func (s *Spool) AppendAsync(m *Message, body []byte, done func(ID, error)) {
	if err := s.space.low(); err != nil {
		done(ID{}, err)
		return
	}
	b, stored, err := s.prepare(m, body)
	if err == nil {
		err = s.failedErr()
	}
	if err != nil {
		if b != nil {
			b.Close()
		}
		done(ID{}, err)
		return
	}
	r := &commitReq{b: b, async: func(err error) {
		b.Close()
		if err == nil {
			s.counted(len(body), stored)
			done(m.ID, nil)
			return
		}
		done(ID{}, err)
	}}
	select {
	case s.reqs <- r:
	default: // the committer is far behind: wait on a goroutine, not here
		go func() {
			select {
			case s.reqs <- r:
			case <-s.stop:
				r.async(ErrClosed)
			}
		}()
	}
}

// prepare assigns m its ID and builds its batch: the compressed body, the
// metadata and one record per recipient (whose Index it sets). It returns
// the batch and the stored body size.
func (s *Spool) prepare(m *Message, body []byte) (*pebble.Batch, int, error) {
	if len(m.Recipients) == 0 {
		return nil, 0, errors.New("spool: message without recipients")
	}
	if len(m.Recipients) > 1<<16 {
		return nil, 0, errors.New("spool: more than 65536 recipients")
	}
	now := time.Now()
	m.ID = s.ids.next(now)
	if m.Received.IsZero() {
		m.Received = now
	}
	m.Size = int64(len(body))
	bp := s.bufs.Get().(*[]byte)
	defer func() { s.bufs.Put(bp) }()
	buf := (*bp)[:0]

	b := s.db.NewBatch()
	var key [rcptKeyLen]byte
	stored := s.comp.encode(buf, body)
	_ = b.Set(bodyKey(key[:0], m.ID), stored, nil)
	storedLen := len(stored)
	buf = encodeMeta(stored[:0], m)
	_ = b.Set(metaKey(key[:0], m.ID), buf, nil)
	for i := range m.Recipients {
		r := &m.Recipients[i]
		r.Index = uint16(i)
		buf = encodeRcpt(buf[:0], r)
		_ = b.Set(rcptKey(key[:0], m.ID, r.Index), buf, nil)
	}
	if cap(buf) <= maxPooledBuf {
		*bp = buf
	}
	return b, storedLen, nil
}

// counted adds one stored message to the statistics.
func (s *Spool) counted(bodyLen, storedLen int) {
	s.stats.appends.Add(1)
	s.stats.bodyBytes.Add(uint64(bodyLen))
	s.stats.storedBytes.Add(uint64(storedLen))
}

// UpdateRecipient rewrites one recipient's state (attempts, next attempt,
// last reply), naming it by r.Index. It joins the next group commit.
func (s *Spool) UpdateRecipient(id ID, r *Recipient) error {
	u := s.NewUpdates()
	u.Update(id, r)
	return u.Commit()
}

// FinishRecipient deletes a recipient that reached a final outcome. It joins
// the next group commit; a crash before that commit retries the recipient
// once (at-least-once).
func (s *Spool) FinishRecipient(id ID, index uint16) error {
	u := s.NewUpdates()
	u.Finish(id, index)
	return u.Commit()
}

// Delete removes a message whose recipients are all final: its meta record,
// its body and recipient records 0..recipients-1 (see FinishRecipient).
func (s *Spool) Delete(id ID, recipients int) error {
	u := s.NewUpdates()
	u.Delete(id, recipients)
	return u.Commit()
}

// Updates gathers recipient updates, finished recipients and deleted
// messages into one atomic batch and one group commit: how the settler
// records a burst of delivery outcomes with one fsync.
type Updates struct {
	s *Spool
	b *pebble.Batch
	n int
	// dels counts the messages deleted, for Stats once committed.
	dels int
	key  [rcptKeyLen]byte
	buf  []byte
}

// NewUpdates returns an empty set of updates.
func (s *Spool) NewUpdates() *Updates { return &Updates{s: s, b: s.db.NewBatch()} }

// Update rewrites recipient r's state (named by r.Index).
func (u *Updates) Update(id ID, r *Recipient) {
	u.buf = encodeRcpt(u.buf[:0], r)
	_ = u.b.Set(rcptKey(u.key[:0], id, r.Index), u.buf, nil)
	u.n++
}

// Finish deletes a recipient that reached a final outcome.
func (u *Updates) Finish(id ID, index uint16) {
	_ = u.b.Delete(rcptKey(u.key[:0], id, index), nil)
	u.n++
}

// Delete removes a message and recipient records 0..recipients-1.
func (u *Updates) Delete(id ID, recipients int) {
	for i := 0; i < recipients && i < 1<<16; i++ {
		_ = u.b.Delete(rcptKey(u.key[:0], id, uint16(i)), nil)
	}
	_ = u.b.Delete(metaKey(u.key[:0], id), nil)
	_ = u.b.Delete(bodyKey(u.key[:0], id), nil)
	u.n++
	u.dels++
}

// Len returns the number of updates gathered.
func (u *Updates) Len() int { return u.n }

// Commit makes every update durable at once (one group commit) and
// releases u, which must not be used again.
func (u *Updates) Commit() error {
	defer u.b.Close()
	if u.n == 0 {
		return nil
	}
	if err := u.s.commit(u.b); err != nil {
		return err
	}
	u.s.stats.deletes.Add(uint64(u.dels))
	return nil
}

// Body returns a message's body, decompressed.
func (s *Spool) Body(id ID) ([]byte, error) {
	var key [bodyKeyLen]byte
	v, closer, err := s.db.Get(bodyKey(key[:0], id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, storageError(err)
	}
	defer closer.Close()
	return s.comp.decode(v)
}

// Get returns one message with its live recipients.
func (s *Spool) Get(id ID) (*Message, error) {
	lo, hi := messageRange(id)
	var found *Message
	err := s.scanRange(lo, hi, func(m *Message) error { found = m; return nil }, nil)
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, ErrNotFound
	}
	return found, nil
}

// Scan calls fn for every spooled message, in ID (arrival) order, with its
// live recipients: one ordered pass over the queue keys. fn may keep m. An
// error from fn stops the scan and is returned, and so does a record that
// does not decode.
func (s *Spool) Scan(fn func(m *Message) error) error {
	return s.scanRange([]byte{prefixQueue}, []byte{prefixQueue + 1}, fn, nil)
}

// ScanSkipping is Scan for a restart, which rebuilds every queue from it: a
// message with a record that does not decode goes to corrupt instead, and
// the scan goes on, so one damaged message cannot keep every later one
// from its queue. The message stays in the spool unless corrupt Discards it.
func (s *Spool) ScanSkipping(fn func(m *Message) error, corrupt func(id ID, err error)) error {
	return s.scanRange([]byte{prefixQueue}, []byte{prefixQueue + 1}, fn, corrupt)
}

// Discard removes every record of a message, whatever they hold: for a
// message Scan found corrupt (spool-delete-corrupted), which cannot say
// how many recipients it has.
func (s *Spool) Discard(id ID) error {
	lo, hi := messageRange(id)
	b := s.db.NewBatch()
	_ = b.DeleteRange(lo, hi, nil)
	var key [bodyKeyLen]byte
	_ = b.Delete(bodyKey(key[:0], id), nil)
	return s.commit(b)
}

func (s *Spool) scanRange(lo, hi []byte, fn func(m *Message) error, corrupt func(id ID, err error)) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return storageError(err)
	}
	defer it.Close()
	var cur *Message
	var bad ID // the corrupt message whose other records are passed over
	damaged := false
	for valid := it.First(); valid; valid = it.Next() {
		k := it.Key()
		if len(k) < metaKeyLen {
			if corrupt == nil {
				return ErrCorrupt
			}
			continue // no message to name: a stray key
		}
		var id ID
		copy(id[:], k[1:17])
		if damaged && id == bad {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return storageError(err)
		}
		var cerr error
		switch k[17] {
		case kindMeta:
			if cur != nil {
				if err := fn(cur); err != nil {
					return err
				}
			}
			cur = &Message{ID: id}
			cerr = decodeMeta(v, cur)
		case kindRcpt:
			if cur == nil || cur.ID != id || len(k) != rcptKeyLen {
				continue // a recipient whose meta record is gone: deleted message
			}
			var r Recipient
			if cerr = decodeRcpt(v, &r); cerr == nil {
				r.Index = uint16(k[18])<<8 | uint16(k[19])
				cur.Recipients = append(cur.Recipients, r)
			}
		default:
			cerr = ErrCorrupt
		}
		if cerr != nil {
			if corrupt == nil {
				return corruptAt(id, cerr)
			}
			corrupt(id, corruptAt(id, cerr))
			bad, damaged = id, true
			if cur != nil && cur.ID == id {
				cur = nil
			}
		}
	}
	if err := it.Error(); err != nil {
		return storageError(err)
	}
	if cur != nil {
		return fn(cur)
	}
	return nil
}

func corruptAt(id ID, err error) error {
	return &corruptError{id: id, err: err}
}

type corruptError struct {
	id  ID
	err error
}

func (e *corruptError) Error() string {
	return "spool: message " + e.id.String() + ": " + e.err.Error()
}
func (e *corruptError) Unwrap() error { return e.err }

// Stats returns the counters.
func (s *Spool) Stats() Stats {
	return Stats{Appends: s.stats.appends.Load(), Deletes: s.stats.deletes.Load(), Commits: s.stats.commits.Load(), Syncs: s.stats.syncs.Load(),
		BodyBytes: s.stats.bodyBytes.Load(), StoredBytes: s.stats.storedBytes.Load()}
}

// DiskUsage returns the bytes the spool occupies on disk (Pebble's estimate).
func (s *Spool) DiskUsage() uint64 { return s.db.Metrics().DiskSpaceUsage() }

// Unhealthy reports the sticky storage failure, if any, or free space
// under MinFreeSpace, so inbound can refuse with 452 4.3.1 before reading
// a body. It does no I/O but one statfs a second at most, and allocates
// only to say what is wrong.
func (s *Spool) Unhealthy() (string, bool) {
	if p := s.failed.Load(); p != nil {
		return (*p).Error(), true
	}
	if err := s.space.low(); err != nil {
		return err.Error(), true
	}
	return "", false
}

func (s *Spool) setFailed(err error) {
	s.failed.CompareAndSwap(nil, &err)
}

func (s *Spool) failedErr() error {
	if p := s.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// Flush returns once every write made before it is durable.
func (s *Spool) Flush() error {
	b := s.db.NewBatch()
	defer b.Close()
	_ = b.LogData(nil, nil)
	return s.commit(b)
}

// Close stops the committer and closes the store. Calls after Close
// return ErrClosed.
func (s *Spool) Close() error {
	var err error
	s.closing.Do(func() {
		close(s.stop)
		s.wg.Wait()
		err = s.db.Close()
		s.comp.close()
	})
	return err
}
