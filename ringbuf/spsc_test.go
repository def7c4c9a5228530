package ringbuf

import "testing"

func TestSPSCFullEmptyWrap(t *testing.T) { testFullEmptyWrap(t, NewSPSC[int](5)) }

func TestSPSCBatchPartial(t *testing.T) { testBatchPartial(t, NewSPSC[int](8)) }

func TestSPSCAllocs(t *testing.T) { testAllocs(t, NewSPSC[int](64)) }

func TestSPSCStress(t *testing.T) {
	const n = 300000
	r := NewSPSC[int](128)
	go func() {
		batch := make([]int, 0, 7)
		for i := 0; i < n; {
			if i%3 == 0 {
				if r.Push(i) {
					i++
				}
				continue
			}
			batch = batch[:0]
			for j := i; j < n && len(batch) < cap(batch); j++ {
				batch = append(batch, j)
			}
			i += r.PushBatch(batch)
		}
	}()
	dst := make([]int, 5)
	for want := 0; want < n; {
		k := r.PopBatch(dst)
		for _, v := range dst[:k] {
			if v != want {
				t.Fatalf("got %d want %d", v, want)
			}
			want++
		}
	}
}

// TestSPSCReleaseOnEmpty checks the lazy head: slots popped are released at
// least every k Pops and always when a Pop finds the ring empty, so a
// producer never waits on a consumer that has gone to sleep.
func TestSPSCReleaseOnEmpty(t *testing.T) {
	r := NewSPSC[int](1024)
	for lap := 0; lap < 3; lap++ {
		n := 0
		for r.Push(n) {
			n++
		}
		if n != 1024 {
			t.Fatalf("lap %d: pushed %d into an empty ring of 1024", lap, n)
		}
		for i := 0; i < 40; i++ { // 40 Pops: at least two releases of 16
			if v, ok := r.Pop(); !ok || v != i {
				t.Fatalf("pop %d: %d, %v", i, v, ok)
			}
		}
		if !r.Push(-1) {
			t.Fatal("no room after 40 Pops: head was not released every 16")
		}
		for {
			if _, ok := r.Pop(); !ok {
				break
			}
		}
		if r.Len() != 0 {
			t.Fatalf("Len %d after draining", r.Len())
		}
	}
}
