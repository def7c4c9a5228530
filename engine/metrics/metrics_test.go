package metrics

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrent hammers every counter from 8 goroutines, with more
// sources than the limit so that new names race to be added, while
// scrapes run; run it under -race. The totals must come out exact.
func TestConcurrent(t *testing.T) {
	const workers, iters = 8, 5000
	var queued atomic.Int64
	m := New(Options{Sample: func() Sample {
		return Sample{Queues: []QueueSample{{Name: "x.example/v", Recipients: int(queued.Load())}}}
	}})
	var wg sync.WaitGroup
	done := make(chan struct{})
	scrapes := 0
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			scrape(t, m)
			scrapes++
			time.Sleep(time.Millisecond)
		}
	})
	var work sync.WaitGroup
	for w := range workers {
		work.Go(func() {
			for i := range iters {
				m.Received(fmt.Sprintf("src-%d", (w*iters+i)%100))
				m.Delivered(1)
				m.Deferred(2)
				m.Bounced(categories[i%len(categories)])
				m.Bounced("unknown")
				m.Reply(200 + 100*(i%5))
				m.DeliverySeconds(time.Duration(i) * time.Millisecond)
				queued.Add(1)
			}
		})
	}
	work.Wait()
	close(done)
	wg.Wait()
	if scrapes == 0 {
		t.Fatal("no scrape ran")
	}

	fams := parse(t, scrape(t, m))
	sum := func(name string) float64 {
		s := 0.0
		for _, v := range series(fams, name) {
			s += v
		}
		return s
	}
	const n = workers * iters
	tcompare(t, "received", sum(nameReceived), n)
	tcompare(t, "received series", len(series(fams, nameReceived)), DefaultMaxSources+1)
	tcompare(t, "delivered", sum(nameDelivered), n)
	tcompare(t, "deferred", sum(nameDeferred), 2*n)
	tcompare(t, "bounced", sum(nameBounced), 2*n)
	tcompare(t, "replies", sum(nameReplies), n)
	tcompare(t, "delivery observations", sum(nameDelivery), n)
	tcompare(t, "queued", series(fams, nameQueueRecipients)["queue=x.example/v"], n)
}
