package ringbuf

import "testing"

func TestMPSCFullEmptyWrap(t *testing.T) { testFullEmptyWrap(t, NewMPSC[int](5)) }

func TestMPSCBatchPartial(t *testing.T) { testBatchPartial(t, NewMPSC[int](8)) }

func TestMPSCAllocs(t *testing.T) { testAllocs(t, NewMPSC[int](64)) }

func TestMPSCStress(t *testing.T) {
	const producers, per = 4, 100000
	r := NewMPSC[int](256)
	for p := 0; p < producers; p++ {
		go func() {
			batch := make([]int, 0, 5)
			for i := 0; i < per; {
				if i%2 == 0 {
					if r.Push(p<<32 | i) {
						i++
					}
					continue
				}
				batch = batch[:0]
				for j := i; j < per && len(batch) < cap(batch); j++ {
					batch = append(batch, p<<32|j)
				}
				i += r.PushBatch(batch)
			}
		}()
	}
	next := make([]int, producers)
	dst := make([]int, 9)
	for got := 0; got < producers*per; {
		k := r.PopBatch(dst)
		if k == 0 {
			if v, ok := r.Pop(); ok {
				dst[0], k = v, 1
			}
		}
		for _, v := range dst[:k] {
			p, i := v>>32, v&0xffffffff
			if i != next[p] {
				t.Fatalf("producer %d: got %d want %d (loss, duplicate or reorder)", p, i, next[p])
			}
			next[p]++
			got++
		}
	}
}
