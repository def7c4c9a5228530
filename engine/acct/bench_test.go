package acct

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

// BenchmarkFormatDelivered formats one d record, every default field set, into a reused
// buffer: the writer goroutine's per-record cost.
func BenchmarkFormatDelivered(b *testing.B) {
	e := mustEncoder(b, &config.AcctFile{Path: "a.csv", Records: []string{"d", "b"}, ISOTimes: true})
	r := sample(Delivered)
	buf := e.AppendRecord(nil, &r)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendRecord(buf[:0], &r)
	}
}

// BenchmarkFormatDeliveredHMAC is the same under privacy-policy hmac-sha256.
func BenchmarkFormatDeliveredHMAC(b *testing.B) {
	e := mustEncoder(b, &config.AcctFile{Path: "a.csv", ISOTimes: true, PrivacyPolicy: "hmac-sha256 k"})
	r := sample(Delivered)
	buf := e.AppendRecord(nil, &r)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = e.AppendRecord(buf[:0], &r)
	}
}

// BenchmarkQueuePush is what a shard's loop pays in Writer.Log when the writer keeps
// up: the copy into the queue, with the writer's take and recycle amortized.
func BenchmarkQueuePush(b *testing.B) {
	var q queue
	r := sample(Delivered)
	var bs []*block
	b.ReportAllocs()
	for b.Loop() {
		q.push(&r, 1<<16)
		if q.n == 8*blockSize {
			bs = q.take(bs)
			q.recycle(bs)
		}
	}
}

// BenchmarkWriter is the sustained cost of one d record through a Writer to a file:
// Log, format and write, with a Flush every 4096 records so nothing is dropped.
func BenchmarkWriter(b *testing.B) {
	w, err := Open(&config.AcctFile{Path: filepath.Join(b.TempDir(), "acct.csv"), ISOTimes: true}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := sample(Delivered)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w.Log(&r)
		if i++; i%4096 == 0 {
			w.Flush()
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if d := w.Counters.Dropped.Load(); d != 0 {
		b.Fatalf("dropped %d", d)
	}
}

// BenchmarkParse reads a file of 1000 d records.
func BenchmarkParse(b *testing.B) {
	e := mustEncoder(b, &config.AcctFile{Path: "a.csv", ISOTimes: true})
	data := e.AppendHeader(nil)
	for i := range 1000 {
		r := sample(Delivered)
		r.Rcpt = fmt.Sprintf("u%d@example.com", i)
		data = e.AppendRecord(data, &r)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		var rec Record
		for r.Read(&rec) == nil {
		}
	}
}
