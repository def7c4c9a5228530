package spool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestMinFreeSpace: under the floor, new messages are refused with ErrFull
// (both Append and AppendAsync) and Unhealthy says why; deliveries still
// delete; once space is free again (at the next look) messages are taken,
// and the spool was never failed for good.
func TestMinFreeSpace(t *testing.T) {
	s, err := Open("spool", Options{FS: vfs.NewMem(), MinFreeSpace: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var free atomic.Uint64
	free.Store(10 << 20)
	s.space.avail = func(string) (uint64, error) { return free.Load(), nil }
	look := func() { s.space.checked.Store(0) } // as if a second had passed
	look()

	m, body := testMessage(1)
	id, err := s.Append(context.Background(), m, body)
	if err != nil {
		t.Fatalf("with room: %v", err)
	}

	free.Store(512 << 10)
	look()
	m2, body2 := testMessage(2)
	if _, err := s.Append(context.Background(), m2, body2); !errors.Is(err, ErrFull) {
		t.Fatalf("under the floor: Append %v, want ErrFull", err)
	}
	done := make(chan error, 1)
	s.AppendAsync(m2, body2, func(_ ID, err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrFull) {
		t.Fatalf("under the floor: AppendAsync %v, want ErrFull", err)
	}
	if why, bad := s.Unhealthy(); !bad || why == "" {
		t.Fatalf("Unhealthy = %q, %v", why, bad)
	}
	if err := s.FinishRecipient(id, 0); err != nil {
		t.Fatalf("a delivery under the floor: %v", err)
	}

	free.Store(2 << 20)
	if _, bad := s.Unhealthy(); !bad {
		t.Fatal("free space looked at again before a second passed")
	}
	look()
	if why, bad := s.Unhealthy(); bad {
		t.Fatalf("space is back, Unhealthy says %q", why)
	}
	if _, err := s.Append(context.Background(), m2, body2); err != nil {
		t.Fatalf("space is back: %v", err)
	}
}

// TestFreeSpaceFloorOff: no floor, no statfs.
func TestFreeSpaceFloorOff(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	if s.space != nil {
		t.Fatal("a floor without MinFreeSpace")
	}
	if _, bad := s.Unhealthy(); bad {
		t.Fatal("unhealthy")
	}
}

// TestStatfsAvail: the real look at a real directory.
func TestStatfsAvail(t *testing.T) {
	n, err := statfsAvail(t.TempDir())
	if err != nil || n == 0 {
		t.Fatalf("statfsAvail = %d, %v", n, err)
	}
	if _, err := statfsAvail("/nonexistent/volley"); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
