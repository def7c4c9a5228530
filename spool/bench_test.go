package spool

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// BenchmarkAppendDurable compares durable 4 KB appends from one caller (one
// fsync per message: the baseline) with 16 and 256 concurrent callers
// sharing group commits. Run the sub-benchmarks together and compare ns/op:
// the bar is 256 callers >= 20x one caller.
func BenchmarkAppendDurable(b *testing.B) {
	body := bytes.Repeat([]byte("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n"), 80)[:4096]
	for _, callers := range []int{1, 16, 256} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			codec := CodecAuto
			if os.Getenv("VOLLEY_SPOOL_CODEC") == "none" {
				codec = CodecNone
			}
			s, err := Open(b.TempDir(), Options{Codec: codec})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := 0; c < callers; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						m := &Message{From: "a@example.test", Recipients: []Recipient{{Addr: "b@example.com"}}}
						if _, err := s.Append(context.Background(), m, body); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			st := s.Stats()
			b.ReportMetric(float64(st.Appends)/float64(max(st.Syncs, 1)), "msgs/fsync")
		})
	}
}

// BenchmarkRecover measures the restart scan: VOLLEY_SPOOL_RECOVER sets the
// message count (default 100,000; the bar is 1,000,000 in under 10 s:
// VOLLEY_SPOOL_RECOVER=1000000 go test -run '^$' -bench Recover -benchtime 1x ./spool).
func BenchmarkRecover(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VOLLEY_SPOOL_RECOVER")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	loadSmall(b, dir, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		msgs, rcpts := 0, 0
		err = s.Scan(func(m *Message) error { msgs++; rcpts += len(m.Recipients); return nil })
		_ = s.Close()
		if err != nil || msgs != n || rcpts != 2*n {
			b.Fatalf("scan: %v, %d messages, %d recipients; want %d, %d", err, msgs, rcpts, n, 2*n)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/rebuild")
	}
	b.ReportMetric(float64(n), "messages")
}

// loadSmall writes n small two-recipient messages straight into a fresh
// spool's store in large unsynced batches (quick set-up for BenchmarkRecover),
// then flushes them so the scan reads tables as after any long run.
func loadSmall(tb testing.TB, dir string, n int) {
	s, err := Open(dir, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	body := s.comp.encode(nil, []byte("Subject: hi\r\n\r\nshort body\r\n"))
	var key [rcptKeyLen]byte
	var val []byte
	b := s.db.NewBatch()
	for i := 0; i < n; i++ {
		m := &Message{From: "bounce@example.test", Job: "j1", VMTA: "v1", Origin: "smtp 127.0.0.1", Size: 29,
			Received: time.Now(), Recipients: make([]Recipient, 2)}
		m.ID = s.ids.next(m.Received)
		_ = b.Set(bodyKey(key[:0], m.ID), body, nil)
		val = encodeMeta(val[:0], m)
		_ = b.Set(metaKey(key[:0], m.ID), val, nil)
		for j := range m.Recipients {
			r := Recipient{Index: uint16(j), Addr: fmt.Sprintf("user%d@example%d.com", i, j)}
			val = encodeRcpt(val[:0], &r)
			_ = b.Set(rcptKey(key[:0], m.ID, r.Index), val, nil)
		}
		if b.Count() >= 30_000 || i == n-1 {
			if err := s.db.Apply(b, pebble.NoSync); err != nil {
				tb.Fatal(err)
			}
			b = s.db.NewBatch()
		}
	}
	if err := s.db.Flush(); err != nil {
		tb.Fatal(err)
	}
}
