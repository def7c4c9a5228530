package engine

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"
)

// TestWarmupsSurviveRestart: a first use is written beside the spool and
// read back by the next start, so the ramp goes on where it was.
func TestWarmupsSurviveRestart(t *testing.T) {
	spoolDir := filepath.Join(t.TempDir(), "spool")
	w, err := openWarmups(spoolDir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr("192.0.2.7")
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if got := w.firstUse(src, "example.com", first); !got.Equal(first) {
		t.Fatalf("first use %v", got)
	}
	if got := w.firstUse(src, "example.com", first.Add(48*time.Hour)); !got.Equal(first) {
		t.Fatalf("a later use moved the first use to %v", got)
	}
	w.close()
	w2, err := openWarmups(spoolDir, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	if got := w2.firstUse(src, "example.com", time.Now()); !got.Equal(first) {
		t.Fatalf("after a restart the first use is %v, want %v", got, first)
	}
	if got := w2.firstUse(src, "other.example", first); !got.Equal(first) || len(w2.entries()) != 2 {
		t.Fatalf("a new domain: %v, %d entries", got, len(w2.entries()))
	}
}

// TestWarmupsHolding lists the sources a warm-up holds now, per domain,
// with their share; past the warm-up, or without one, a source is not held.
func TestWarmupsHolding(t *testing.T) {
	cfg, _ := testConfig(t, t.TempDir(), "<domain warm.test>\n    warmup 7d\n</domain>\n<domain cold.test>\n</domain>\n")
	w, err := openWarmups(filepath.Join(t.TempDir(), "spool"), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	now := time.Now()
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	w.firstUse(a, "warm.test", now.Add(-time.Hour))      // day 0 of 7: 1.1^-7
	w.firstUse(b, "warm.test", now.Add(-8*24*time.Hour)) // past the warm-up
	w.firstUse(a, "cold.test", now.Add(-time.Hour))      // no warm-up there
	got := w.holding(cfg, now)
	if len(got) != 1 || got[0].Source != "192.0.2.1" || got[0].Fraction < 0.513 || got[0].Fraction > 0.514 {
		t.Fatalf("holding: %+v", got)
	}
}
