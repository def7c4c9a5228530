package ringbuf

import (
	"runtime"
	"sync"
	"testing"
)

const benchCap = 1024

// benchProducers runs producers goroutines pushing b.N items in total through
// push while the benchmark goroutine pops them with pop. Channel, SPSC and
// MPSC all go through it with the same closure shapes, so the per-item call
// overhead is identical.
//
// push and pop report whether they made progress. A side that cannot make
// progress yields its P (runtime.Gosched) before retrying, the way a real
// consumer sleeps on its Waker and the way a blocked channel operation parks.
// It must not spin on the ring: an empty-ring Pop reloads the producer's tail
// (a full-ring Push the consumer's head), so a tight retry loop drags that
// cache line to the spinning core on every call, and every Store by the
// other side (XCHG on amd64, which waits for the line) then pays a cross-core
// transfer. The ring stays empty (full) because the working side is the one
// slowed down, and the benchmark measures that ping-pong rather than the
// ring. With more goroutines than Ps (4x1 on 2 cores) a spinning producer
// also holds its P until async preemption while the consumer waits to run.
// Channel operations block and never report failure, so the yield never runs
// for them: blocking is the channel's fastest form here (a select/default
// channel through the same retry loop is slower).
func benchProducers(b *testing.B, producers int, push func(int) bool, pop func() bool) {
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
				for !push(i) {
					runtime.Gosched()
				}
			}
		}()
	}
	for got := 0; got < total; {
		if pop() {
			got++
		} else {
			runtime.Gosched()
		}
	}
	wg.Wait()
}

func BenchmarkChan1x1(b *testing.B) { benchChan(b, 1) }
func BenchmarkChan4x1(b *testing.B) { benchChan(b, 4) }

func benchChan(b *testing.B, producers int) {
	c := make(chan int, benchCap)
	benchProducers(b, producers,
		func(v int) bool { c <- v; return true },
		func() bool { <-c; return true })
}

func BenchmarkSPSC1x1(b *testing.B) {
	r := NewSPSC[int](benchCap)
	benchProducers(b, 1, r.Push, func() bool { _, ok := r.Pop(); return ok })
}

func BenchmarkMPSC1x1(b *testing.B) { benchMPSC(b, 1) }
func BenchmarkMPSC4x1(b *testing.B) { benchMPSC(b, 4) }

func benchMPSC(b *testing.B, producers int) {
	r := NewMPSC[int](benchCap)
	benchProducers(b, producers, r.Push, func() bool { _, ok := r.Pop(); return ok })
}

// The shard drains its inbox in batches (STYLE.md §4 step 1); these variants
// pop with PopBatch(64), the way the loop will use the rings.
func BenchmarkSPSC1x1PopBatch(b *testing.B) {
	r := NewSPSC[int](benchCap)
	benchProducers(b, 1, r.Push, batchPopper(r.PopBatch))
}

func BenchmarkMPSC4x1PopBatch(b *testing.B) {
	r := NewMPSC[int](benchCap)
	benchProducers(b, 4, r.Push, batchPopper(r.PopBatch))
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
