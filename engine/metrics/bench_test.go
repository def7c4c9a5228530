package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"
)

func BenchmarkReceived(b *testing.B) {
	m := New(Options{})
	m.Received("smtp")
	b.ReportAllocs()
	for b.Loop() {
		m.Received("smtp")
	}
}

// BenchmarkReceivedOther is a source past MaxSources: not cached, no lock.
func BenchmarkReceivedOther(b *testing.B) {
	m := New(Options{MaxSources: 1})
	m.Received("smtp")
	m.Received("late")
	b.ReportAllocs()
	for b.Loop() {
		m.Received("late")
	}
}

func BenchmarkReceivedParallel(b *testing.B) {
	m := New(Options{})
	m.Received("smtp")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Received("smtp")
		}
	})
}

func BenchmarkDelivered(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Delivered(1)
	}
}

func BenchmarkDeferred(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Deferred(1)
	}
}

func BenchmarkBounced(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Bounced("bad-mailbox")
	}
}

func BenchmarkReply(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Reply(250)
	}
}

func BenchmarkDeliverySeconds(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.DeliverySeconds(1500 * time.Millisecond)
	}
}

// BenchmarkColdMoved and BenchmarkSuppressed are the settler's and the
// Deliverer's deliverability counts.
func BenchmarkColdMoved(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.ColdMoved(1)
	}
}

func BenchmarkSuppressed(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	for b.Loop() {
		m.Suppressed(SuppressedAtDelivery)
	}
}

// BenchmarkScrape is one full scrape with 1,000 queues sampled; not a hot
// path, measured to keep it sane.
func BenchmarkScrape(b *testing.B) {
	qs := make([]QueueSample, 1000)
	for i := range qs {
		qs[i] = QueueSample{Name: fmt.Sprintf("d%d.example/vmta%d", i, i%4), Recipients: i}
	}
	m := New(Options{Sample: func() Sample { return Sample{Queues: qs} }})
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, w.Body)
	}
}
