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
