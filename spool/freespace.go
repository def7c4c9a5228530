package spool

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
)

// freeSpace is the floor of Options.MinFreeSpace (PowerMTA's <spool>
// min-free-space): below it the spool takes no new message, so that the
// disk never fills under it. A write that meets a full disk fails the
// spool for good (Pebble's WAL cannot go on after a failed write; see
// doc.go), while a refusal here lasts only until space is free again.
// Deliveries, which delete, go on meanwhile.
type freeSpace struct {
	dir   string
	min   uint64
	avail func(dir string) (uint64, error)
	// checked is when avail last ran (UnixNano); free what it said, or
	// the most a failed look could mean (never "low" for an error).
	checked atomic.Int64
	free    atomic.Uint64
}

// freeSpaceEvery bounds how often the file system is asked: one statfs a
// second at most, from whichever caller comes first.
const freeSpaceEvery = time.Second

func statfsAvail(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// low reports whether free space is under the floor, and the error that
// says so.
func (f *freeSpace) low() error {
	if f == nil || f.min == 0 {
		return nil
	}
	now := time.Now().UnixNano()
	if last := f.checked.Load(); now-last >= int64(freeSpaceEvery) && f.checked.CompareAndSwap(last, now) {
		n, err := f.avail(f.dir)
		if err != nil {
			n = ^uint64(0) // cannot tell: the write itself will say
		}
		f.free.Store(n)
	}
	if n := f.free.Load(); n < f.min {
		return &Error{Kind: ErrFull, Err: fmt.Errorf("%d bytes free on the spool's disk, min-free-space is %d", n, f.min)}
	}
	return nil
}
