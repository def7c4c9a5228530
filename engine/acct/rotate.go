package acct

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File naming and rotation (reference §2.11, PowerMTA User's Guide §3.3.11, §11.3.1).
//
// Records go to the configured path (acct.csv). Rotating moves that file to
// STEM-YYYY-MM-DD-HHMM.EXT (acct-2026-12-06-0000.csv), stamped with the local time the
// file was started, in move-to if set, else beside the path; a name already taken gets
// -0001, -0002 ... before the extension (max-size "rolls to a -NNNN file"). Rotation
// happens:
//   - when the interval is due: every move-interval when move-to is set (the reference:
//     without move-to, move-interval is ignored), else daily; due times are aligned to
//     local midnight (a 1h interval rotates on the hour, 1d at midnight, the stamps
//     reading -0000), and a shorter interval restarts its alignment at each midnight. A
//     file with no record yet is not moved; it is only re-stamped.
//   - before a record would take the file past max-size (a file holding a single
//     record may exceed it);
//   - on Rotate (`volley rotate acct`, SIGUSR1), even when the file is empty;
//   - at Open, for a non-empty file an earlier run left at the path (stamped with its
//     modification time, as its start is unknown).
//
// delete-after applies only without move-to (files moved to move-to belong to whoever
// collects them): rotated files beside the path whose name matches the pattern above
// exactly and whose stamp is older than delete-after are removed, at Open and after each
// rotation. Nothing else is ever deleted.

const stampLayout = "2006-01-02-1504"

// stem and ext split the configured file name: "acct.csv" -> "acct", ".csv".
func (w *Writer) stemExt() (stem, ext string) {
	base := filepath.Base(w.cfg.Path)
	ext = filepath.Ext(base)
	return strings.TrimSuffix(base, ext), ext
}

// interval is the period of interval rotation.
func (w *Writer) interval() time.Duration {
	if w.cfg.MoveTo != "" && w.cfg.MoveInterval > 0 {
		return w.cfg.MoveInterval
	}
	return 24 * time.Hour
}

// nextDue returns the first rotation time after t for interval iv, aligned to t's local
// midnight.
func nextDue(t time.Time, iv time.Duration) time.Time {
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, t.Location())
	if iv%(24*time.Hour) == 0 {
		return midnight.AddDate(0, 0, int(iv/(24*time.Hour)))
	}
	if iv > 24*time.Hour {
		return midnight.Add(iv)
	}
	next := midnight.Add(iv * (t.Sub(midnight)/iv + 1))
	if tomorrow := midnight.AddDate(0, 0, 1); next.After(tomorrow) {
		next = tomorrow
	}
	return next
}

// openFile opens the path for appending and writes the header row if it is empty.
func (w *Writer) openFile(now time.Time) error {
	f, err := w.openFn(w.cfg.Path)
	if err != nil {
		return fmt.Errorf("acct: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("acct: %w", err)
	}
	w.size = st.Size()
	if w.size == 0 {
		n, err := f.Write(w.header)
		w.size = int64(n)
		if err != nil {
			f.Close()
			return fmt.Errorf("acct: %w", err)
		}
	}
	w.hdrLen = int64(len(w.header))
	w.file, w.created, w.due = f, now, nextDue(now, w.interval())
	return nil
}

// closeFile fsyncs and closes the file, if one is open.
func (w *Writer) closeFile() error {
	if w.file == nil {
		return nil
	}
	f := w.file
	w.file = nil
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("acct: %w", err)
	}
	return nil
}

// intervalDue rotates at the due time, or, for a file with no record, re-stamps it.
func (w *Writer) intervalDue(now time.Time) {
	switch {
	case w.file == nil:
		return // drain reopens it after retryAt, with a new due time
	case w.size <= w.hdrLen:
		w.created, w.due = now, nextDue(now, w.interval())
		return
	}
	if err := w.rotate(now); err != nil {
		w.logErr(now, err)
	}
}

// rotate closes the file, moves it aside if the path still names it, and starts a new
// one. If the move fails, writing goes on in the old file and the error is returned.
func (w *Writer) rotate(now time.Time) error {
	var mine os.FileInfo
	if w.file != nil {
		mine, _ = w.file.Stat()
	}
	cerr := w.closeFile()
	var merr error
	if cur, err := os.Lstat(w.cfg.Path); err == nil && mine != nil && os.SameFile(mine, cur) {
		if merr = w.move(w.created); merr == nil {
			w.Counters.Rotated.Add(1)
		}
	}
	oerr := w.openFile(now)
	if oerr != nil {
		w.retryAt = now.Add(w.opts.CheckEvery)
	}
	w.deleteOld(now)
	return errors.Join(cerr, merr, oerr)
}

// moveLeftover moves aside a non-empty file an earlier run left at the path.
func (w *Writer) moveLeftover() error {
	st, err := os.Lstat(w.cfg.Path)
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return nil // absent, or something OpenFile will refuse or reuse
	}
	if err := w.move(st.ModTime().In(w.opts.Now().Location())); err != nil {
		return err
	}
	w.Counters.Rotated.Add(1)
	return nil
}

// move renames the path to its stamped name in w.dir.
func (w *Writer) move(stamp time.Time) error {
	stem, ext := w.stemExt()
	base := stem + "-" + stamp.Format(stampLayout)
	for i := 0; i <= 9999; i++ {
		name := base + ext
		if i > 0 {
			name = fmt.Sprintf("%s-%04d%s", base, i, ext)
		}
		dst := filepath.Join(w.dir, name)
		if _, err := os.Lstat(dst); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.Rename(w.cfg.Path, dst); err != nil {
			return fmt.Errorf("acct: rotate: %w", err)
		}
		return nil
	}
	return fmt.Errorf("acct: rotate %s: every name for %s is taken", w.cfg.Path, base)
}

// deleteOld applies delete-after (see the comment at the top of this file).
func (w *Writer) deleteOld(now time.Time) {
	if w.cfg.MoveTo != "" || w.cfg.DeleteAfter <= 0 {
		return
	}
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		w.logErr(now, fmt.Errorf("acct: delete-after: %w", err))
		return
	}
	stem, ext := w.stemExt()
	for _, e := range entries {
		stamp, ok := rotatedStamp(e.Name(), stem, ext, now.Location())
		if !ok || !e.Type().IsRegular() || !stamp.Add(w.cfg.DeleteAfter).Before(now) {
			continue
		}
		if err := os.Remove(filepath.Join(w.dir, e.Name())); err != nil {
			w.logErr(now, fmt.Errorf("acct: delete-after: %w", err))
			continue
		}
		w.Counters.Deleted.Add(1)
	}
}

// rotatedStamp parses name as STEM-YYYY-MM-DD-HHMM[-NNNN]EXT.
func rotatedStamp(name, stem, ext string, loc *time.Location) (time.Time, bool) {
	if !strings.HasPrefix(name, stem+"-") || !strings.HasSuffix(name, ext) || len(name) < len(stem)+1+len(ext) {
		return time.Time{}, false
	}
	mid := name[len(stem)+1 : len(name)-len(ext)]
	if len(mid) == len(stampLayout)+5 {
		if mid[len(stampLayout)] != '-' || strings.Trim(mid[len(stampLayout)+1:], "0123456789") != "" {
			return time.Time{}, false
		}
		mid = mid[:len(stampLayout)]
	}
	if len(mid) != len(stampLayout) || strings.Trim(mid, "0123456789-") != "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(stampLayout, mid, loc)
	return t, err == nil
}
