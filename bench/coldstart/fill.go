//go:build linux

package main

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/volleymta/volley/spool"
)

// fillInflight bounds the appends handed to the spool and not yet answered:
// enough to keep the committer's groups full (commitQueue is 4096), few
// enough that their bodies stay a few tens of megabytes.
const fillInflight = 8192

// fillMaxGroup is the spool's MaxGroup for the fill: bigger groups than
// volleyd's 1024 mean fewer fsyncs, which is all the fill can save, since
// the spool syncs every group.
const fillMaxGroup = 4096

// perMessageOverhead estimates the spool bytes of a message besides its
// body: keys, meta and recipient records, the WAL copy and index blocks.
const perMessageOverhead = 512

// fillResult is what building the spool measured.
type fillResult struct {
	dur         time.Duration
	bodyBytes   uint64 // bodies before compression
	storedBytes uint64 // bodies as stored (compressed)
	syncs       uint64
}

// fill appends n messages of about bodySize bytes, one recipient each,
// spread round-robin over domains recipient domains, through the spool's
// group committer. Arrival order is round-robin too, so every queue's
// recipients are spread over the whole scan, as after a real backlog.
func fill(dir string, n, domains, bodySize int, progress func(done int, elapsed time.Duration)) (fillResult, error) {
	sp, err := spool.Open(dir, spool.Options{MaxGroup: fillMaxGroup})
	if err != nil {
		return fillResult{}, err
	}
	start := time.Now()
	gen := newBodyGen(bodySize)
	var (
		next      atomic.Int64
		done      atomic.Int64
		failed    atomic.Pointer[error]
		producers sync.WaitGroup
		answers   sync.WaitGroup
	)
	sem := make(chan struct{}, fillInflight)
	for range runtime.GOMAXPROCS(0) {
		producers.Add(1)
		go func() {
			defer producers.Done()
			var body []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				sem <- struct{}{}
				m := &spool.Message{From: senderAddr, Origin: "smtp 127.0.0.1",
					Recipients: []spool.Recipient{{Addr: rcptAddr(i, domains)}}}
				// AppendAsync copies body into its batch before it returns,
				// so the buffer is reused for the next message.
				body = gen.appendBody(body[:0], i, domains)
				answers.Add(1)
				sp.AppendAsync(m, body, func(_ spool.ID, err error) {
					if err != nil {
						failed.CompareAndSwap(nil, &err)
					}
					done.Add(1)
					<-sem
					answers.Done()
				})
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				progress(int(done.Load()), time.Since(start))
			case <-stop:
				return
			}
		}
	}()
	producers.Wait()
	answers.Wait()
	close(stop)
	st := sp.Stats()
	res := fillResult{dur: time.Since(start), bodyBytes: st.BodyBytes, storedBytes: st.StoredBytes, syncs: st.Syncs}
	cerr := sp.Close()
	if p := failed.Load(); p != nil {
		return res, fmt.Errorf("spool append: %w", *p)
	}
	if cerr != nil {
		return res, fmt.Errorf("spool close: %w", cerr)
	}
	return res, nil
}

// senderAddr is every message's MAIL FROM.
const senderAddr = "bulk@sender.test"

// rcptAddr is message seq's only recipient: the sink recovers seq from it
// to count each message once, whatever volleyd retries.
func rcptAddr(seq, domains int) string {
	return "u" + strconv.Itoa(seq) + "@d" + strconv.Itoa(seq%domains) + ".test"
}

// bodyGen makes message bodies of about size bytes: headers unique to the
// message and text lines taken from a fixed pool at a position that
// depends on the message, so bodies differ and compress like prose rather
// than like one repeated byte.
type bodyGen struct {
	size  int
	lines [][]byte
}

var words = []string{"the", "offer", "account", "delivery", "newsletter", "weekly", "update", "your",
	"order", "shipping", "invoice", "customer", "service", "review", "product", "discount", "member",
	"subscription", "confirm", "details", "support", "summary", "travel", "booking", "event", "ticket",
	"schedule", "report", "balance", "payment", "reminder", "welcome", "news", "today", "limited", "time"}

func newBodyGen(size int) *bodyGen {
	r := rand.New(rand.NewPCG(1, 2)) // fixed: every run spools the same bodies
	g := &bodyGen{size: size, lines: make([][]byte, 4096)}
	for i := range g.lines {
		var l []byte
		for len(l) < 64 {
			if len(l) > 0 {
				l = append(l, ' ')
			}
			l = append(l, words[r.IntN(len(words))]...)
			if r.IntN(6) == 0 {
				l = strconv.AppendInt(l, int64(r.IntN(100000)), 10)
			}
		}
		g.lines[i] = append(l, '\r', '\n')
	}
	return g
}

// appendBody appends message seq's body to dst: CRLF lines, none starting
// with a dot, about g.size bytes.
func (g *bodyGen) appendBody(dst []byte, seq, domains int) []byte {
	dst = append(dst, "From: Bulk Sender <"+senderAddr+">\r\nTo: <"...)
	dst = append(dst, rcptAddr(seq, domains)...)
	dst = append(dst, ">\r\nSubject: cold start message "...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, "\r\nMessage-ID: <"...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, ".coldstart@sender.test>\r\nDate: Sun, 06 Dec 2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n"...)
	j := int((uint64(seq) * 0x9E3779B97F4A7C15) >> 40)
	for len(dst) < g.size {
		dst = append(dst, g.lines[j%len(g.lines)]...)
		j++
	}
	return dst
}

// checkDisk refuses to fill when dir's file system has less than three
// times the spool's expected size free: Pebble needs room for the WAL,
// flushed tables and compactions besides the data.
func checkDisk(dir string, n, bodySize int) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	expected := uint64(n) * uint64(bodySize+perMessageOverhead)
	if free < 3*expected {
		return fmt.Errorf("%s has %s free; %d messages of %d bytes need about %s (3x the expected %s): "+
			"free space, point TMPDIR elsewhere, or lower -messages",
			dir, humanBytes(free), n, bodySize, humanBytes(3*expected), humanBytes(expected))
	}
	return nil
}

// dirBytes returns the bytes the files under dir occupy on disk (allocated
// blocks, as du counts them).
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return err
		}
		total += st.Blocks * 512
		return nil
	})
	return total, err
}

// humanBytes formats a byte count with a binary unit.
func humanBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatUint(b, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
