package ringbuf

import (
	"sync"
	"testing"
)

const benchCap = 1024

// benchProducers runs producers goroutines pushing b.N items in total through
// push while the benchmark goroutine pops them with pop.
func benchProducers(b *testing.B, producers int, push func(int), pop func() bool) {
	b.ReportAllocs()
	per := b.N / producers
	total := per * producers
	var wg sync.WaitGroup
	b.ResetTimer()
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				push(i)
			}
		}()
	}
	for got := 0; got < total; {
		if pop() {
			got++
		}
	}
	wg.Wait()
}

func BenchmarkChan1x1(b *testing.B) { benchChan(b, 1) }
func BenchmarkChan4x1(b *testing.B) { benchChan(b, 4) }

func benchChan(b *testing.B, producers int) {
	c := make(chan int, benchCap)
	benchProducers(b, producers, func(v int) { c <- v }, func() bool { <-c; return true })
}

func BenchmarkSPSC1x1(b *testing.B) {
	r := NewSPSC[int](benchCap)
	benchProducers(b, 1, func(v int) {
		for !r.Push(v) {
		}
	}, func() bool { _, ok := r.Pop(); return ok })
}

func BenchmarkMPSC1x1(b *testing.B) { benchMPSC(b, 1) }
func BenchmarkMPSC4x1(b *testing.B) { benchMPSC(b, 4) }

func benchMPSC(b *testing.B, producers int) {
	r := NewMPSC[int](benchCap)
	benchProducers(b, producers, func(v int) {
		for !r.Push(v) {
		}
	}, func() bool { _, ok := r.Pop(); return ok })
}

// The shard drains its inbox in batches (STYLE.md §4 step 1); these variants
// pop with PopBatch(64), the way the loop will use the rings.
func BenchmarkSPSC1x1PopBatch(b *testing.B) {
	r := NewSPSC[int](benchCap)
	benchProducers(b, 1, func(v int) {
		for !r.Push(v) {
		}
	}, batchPopper(r.PopBatch))
}

func BenchmarkMPSC4x1PopBatch(b *testing.B) {
	r := NewMPSC[int](benchCap)
	benchProducers(b, 4, func(v int) {
		for !r.Push(v) {
		}
	}, batchPopper(r.PopBatch))
}

// batchPopper turns a PopBatch into the one-item pop benchProducers counts with: it takes up
// to 64 items at a time and hands them out one by one.
func batchPopper(popBatch func([]int) int) func() bool {
	dst := make([]int, 64)
	pending := 0
	return func() bool {
		if pending == 0 {
			pending = popBatch(dst)
		}
		if pending == 0 {
			return false
		}
		pending--
		return true
	}
}
