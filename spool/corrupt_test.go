package spool

import (
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestScanSkippingCorrupt exists because a restart rebuilds every queue
// from one pass over the spool: a message whose meta or recipient record
// no longer decodes must not stop that pass, or every message after it
// would never be delivered. Scan stops at it; ScanSkipping reports it and
// goes on; Discard removes it, body and all.
func TestScanSkippingCorrupt(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	var ids []ID
	for i := range 4 {
		m, body := testMessage(i)
		id, err := s.Append(context.Background(), m, body)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var key [rcptKeyLen]byte
	// Message 1's meta record and message 2's second recipient are damaged.
	if err := s.db.Set(metaKey(key[:0], ids[1]), []byte{0x7f, 0, 1}, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Set(rcptKey(key[:0], ids[2], 1), []byte{recordV1, 0xff}, pebble.Sync); err != nil {
		t.Fatal(err)
	}

	var seen []ID
	err := s.Scan(func(m *Message) error { seen = append(seen, m.ID); return nil })
	if !errors.Is(err, ErrCorrupt) || len(seen) != 1 || seen[0] != ids[0] {
		t.Fatalf("Scan: %v after %v; want ErrCorrupt after message 0", err, seen)
	}

	seen = nil
	var bad []ID
	err = s.ScanSkipping(func(m *Message) error {
		if len(m.Recipients) != 2 {
			t.Errorf("message %s with %d recipients", m.ID, len(m.Recipients))
		}
		seen = append(seen, m.ID)
		return nil
	}, func(id ID, err error) {
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("corrupt %s: %v", id, err)
		}
		bad = append(bad, id)
	})
	if err != nil || len(seen) != 2 || seen[0] != ids[0] || seen[1] != ids[3] {
		t.Fatalf("ScanSkipping: %v, messages %v; want 0 and 3", err, seen)
	}
	if len(bad) != 2 || bad[0] != ids[1] || bad[1] != ids[2] {
		t.Fatalf("corrupt %v, want 1 and 2", bad)
	}

	for _, id := range bad {
		if err := s.Discard(id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Discard: %v", err)
		}
		if _, err := s.Body(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Body after Discard: %v", err)
		}
	}
	seen = nil
	if err := s.Scan(func(m *Message) error { seen = append(seen, m.ID); return nil }); err != nil || len(seen) != 2 {
		t.Fatalf("Scan after Discard: %v, %v", err, seen)
	}
	if _, err := s.Body(ids[3]); err != nil {
		t.Fatalf("a neighbour's body: %v", err)
	}
}
