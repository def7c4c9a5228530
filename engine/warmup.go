package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/engine/metrics"
	"github.com/volleymta/volley/engine/queue"
)

// warmups remembers when each source address first sent to each domain
// with a warm-up (`warmup DURATION`), so that its ramp goes on across
// restarts: a JSON file beside the spool (<spool dir>.warmup), rewritten
// atomically when a pair is first seen. Reads take a read lock; a first
// use writes the file off the loop.
type warmups struct {
	path string
	mu   sync.RWMutex
	m    map[warmKey]time.Time
	save chan struct{}
	logf func(string, ...any)
	done chan struct{}
}

type warmKey struct {
	Source netip.Addr
	Domain string
}

type warmEntry struct {
	Source string    `json:"source"`
	Domain string    `json:"domain"`
	First  time.Time `json:"first"`
}

func warmupPath(spoolDir string) string { return filepath.Clean(spoolDir) + ".warmup" }

func openWarmups(spoolDir string, logf func(string, ...any)) (*warmups, error) {
	w := &warmups{path: warmupPath(spoolDir), m: map[warmKey]time.Time{}, save: make(chan struct{}, 1), logf: logf,
		done: make(chan struct{})}
	b, err := os.ReadFile(w.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("engine: warm-up state: %w", err)
	default:
		var list []warmEntry
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("engine: warm-up state %s: %w", w.path, err)
		}
		for _, e := range list {
			if a, err := netip.ParseAddr(e.Source); err == nil {
				w.m[warmKey{a, e.Domain}] = e.First
			}
		}
	}
	go w.saver()
	return w, nil
}

// firstUse returns when src first sent to domain, recording now when it
// never has. Safe from any goroutine; called per transaction of a queue
// with a warm-up.
func (w *warmups) firstUse(src netip.Addr, domain string, now time.Time) time.Time {
	k := warmKey{src, domain}
	w.mu.RLock()
	t, ok := w.m[k]
	w.mu.RUnlock()
	if ok {
		return t
	}
	w.mu.Lock()
	if t, ok = w.m[k]; !ok {
		t = now
		w.m[k] = t
	}
	w.mu.Unlock()
	select {
	case w.save <- struct{}{}:
	default: // a save is pending: it writes this one too
	}
	return t
}

// saver writes the file after each first use, off the loops.
func (w *warmups) saver() {
	defer close(w.done)
	for range w.save {
		if err := w.write(); err != nil {
			w.logf("volleyd: saving the warm-up state: %v", err)
		}
	}
}

func (w *warmups) entries() []warmEntry {
	w.mu.RLock()
	list := make([]warmEntry, 0, len(w.m))
	for k, t := range w.m {
		list = append(list, warmEntry{Source: k.Source.String(), Domain: k.Domain, First: t})
	}
	w.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		if list[i].Domain != list[j].Domain {
			return list[i].Domain < list[j].Domain
		}
		return list[i].Source < list[j].Source
	})
	return list
}

// write replaces the file: temp file, fsync, rename.
func (w *warmups) write() error {
	b, err := json.MarshalIndent(w.entries(), "", "  ")
	if err != nil {
		return err
	}
	tmp := w.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, w.path)
}

// close writes what is pending and stops the saver.
func (w *warmups) close() {
	close(w.save)
	<-w.done
}

// holding returns the source addresses a warm-up holds now under cfg,
// each with the share of its rate (queue.WarmupFraction), once per domain
// it warms up for: the metrics' volley_warmup_* gauges.
func (w *warmups) holding(cfg *config.Config, now time.Time) []metrics.WarmupSample {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var out []metrics.WarmupSample
	for k, first := range w.m {
		ds := cfg.Effective(k.Domain, "")
		if f, held := queue.WarmupFraction(first, now, ds.Warmup); held {
			out = append(out, metrics.WarmupSample{Source: k.Source.String(), Fraction: f})
		}
	}
	return out
}

// Warmups lists the warming source addresses with their rate today.
func (rn *Running) Warmups() []api.Warmup {
	cfg := rn.snap.Current()
	now := time.Now()
	out := []api.Warmup{}
	for _, e := range rn.warm.entries() {
		ds := cfg.Effective(e.Domain, "")
		w := api.Warmup{Source: e.Source, Domain: e.Domain, FirstUse: e.First, Day: int(now.Sub(e.First).Hours() / 24)}
		if ds.Warmup > 0 {
			w.Rate = queue.WarmupRate(ds.MaxMsgRate, e.First, now, ds.Warmup).String()
			w.Done = now.Sub(e.First) >= ds.Warmup
		} else {
			w.Done = true
		}
		out = append(out, w)
	}
	return out
}
