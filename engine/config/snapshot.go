package config

import "sync/atomic"

// Snapshot holds the Config in force. A Config is never changed after Build: a reload builds
// a whole new one and swaps the pointer, so a reader sees the old config or the new one,
// never a mix, and a connection keeps the snapshot it started with (DESIGN.md, Invariants).
// The zero Snapshot holds nil until Set or Reload.
type Snapshot struct {
	cur atomic.Pointer[Config]
}

// NewSnapshot returns a Snapshot holding c.
func NewSnapshot(c *Config) *Snapshot {
	s := &Snapshot{}
	s.cur.Store(c)
	return s
}

// Current returns the config in force. Safe from any goroutine; it does not allocate.
func (s *Snapshot) Current() *Config { return s.cur.Load() }

// Set puts c in force.
func (s *Snapshot) Set(c *Config) { s.cur.Store(c) }

// Reload loads path and, only if it has no problems, puts it in force. On problems the
// config in force stays, as PowerMTA's reload does, and every problem is returned.
func (s *Snapshot) Reload(path string) (*Config, []Problem) {
	c, probs := Load(path)
	if len(probs) > 0 {
		return s.Current(), probs
	}
	s.cur.Store(c)
	return c, nil
}
