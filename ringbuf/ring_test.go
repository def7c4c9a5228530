package ringbuf

import (
	"sync"
	"testing"
)

type ring interface {
	Push(int) bool
	Pop() (int, bool)
	PushBatch([]int) int
	PopBatch([]int) int
	Len() int
	Cap() int
}

func rings(c int) map[string]ring {
	return map[string]ring{"spsc": NewSPSC[int](c), "mpsc": NewMPSC[int](c)}
}

func TestRoundPow2(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, 2}, {1, 2}, {2, 2}, {3, 4}, {8, 8}, {9, 16}, {1000, 1024}} {
		if got := roundPow2(tc.in); got != tc.want {
			t.Errorf("roundPow2(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestFullEmptyWrap(t *testing.T) {
	for name, r := range rings(5) {
		t.Run(name, func(t *testing.T) {
			if r.Cap() != 8 {
				t.Fatalf("cap %d", r.Cap())
			}
			if _, ok := r.Pop(); ok {
				t.Fatal("pop on empty")
			}
			next, want := 0, 0
			for round := 0; round < 50; round++ {
				for r.Push(next) {
					next++
				}
				if r.Len() != 8 {
					t.Fatalf("len %d at full", r.Len())
				}
				for k := 0; k < 3+round%5; k++ {
					v, ok := r.Pop()
					if !ok || v != want {
						t.Fatalf("pop %d,%v want %d", v, ok, want)
					}
					want++
				}
			}
			for {
				v, ok := r.Pop()
				if !ok {
					break
				}
				if v != want {
					t.Fatalf("drain %d want %d", v, want)
				}
				want++
			}
			if want != next || r.Len() != 0 {
				t.Fatalf("want %d next %d len %d", want, next, r.Len())
			}
		})
	}
}

func TestBatchPartial(t *testing.T) {
	for name, r := range rings(8) {
		t.Run(name, func(t *testing.T) {
			src := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
			if n := r.PushBatch(src[:5]); n != 5 {
				t.Fatalf("push %d", n)
			}
			if n := r.PushBatch(src[5:]); n != 3 {
				t.Fatalf("partial push %d, want 3", n)
			}
			if n := r.PushBatch(src); n != 0 {
				t.Fatalf("push on full %d", n)
			}
			dst := make([]int, 5)
			if n := r.PopBatch(dst); n != 5 || dst[4] != 4 {
				t.Fatalf("pop %d %v", n, dst)
			}
			if n := r.PushBatch(src[8:]); n != 4 { // wraps
				t.Fatalf("wrap push %d", n)
			}
			dst = make([]int, 20)
			n := r.PopBatch(dst)
			if n != 7 {
				t.Fatalf("partial pop %d", n)
			}
			for i := 0; i < n; i++ {
				if dst[i] != i+5 {
					t.Fatalf("dst %v", dst[:n])
				}
			}
			if n := r.PopBatch(dst); n != 0 {
				t.Fatalf("pop on empty %d", n)
			}
		})
	}
}

func TestAllocs(t *testing.T) {
	for name, r := range rings(64) {
		buf := make([]int, 16)
		got := testing.AllocsPerRun(1000, func() {
			r.Push(1)
			r.Pop()
			r.PushBatch(buf)
			r.PopBatch(buf)
		})
		if got != 0 {
			t.Errorf("%s: %v allocs per run", name, got)
		}
	}
}

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

func TestWakerNoLostWakeup(t *testing.T) {
	const producers, per = 3, 20000
	r := NewMPSC[int](16)
	sig := NewChanSignal()
	w := NewWaker(sig)
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				for !r.Push(i) {
					w.Wake()
				}
				w.Wake()
			}
		}()
	}
	got, sleeps := 0, 0
	for got < producers*per {
		if _, ok := r.Pop(); ok {
			got++
			continue
		}
		w.Prepare()
		if _, ok := r.Pop(); ok { // re-check after clearing the flag
			got++
			continue
		}
		sig.Wait() // a lost wake-up deadlocks here and the test times out
		sleeps++
	}
	wg.Wait()
	t.Logf("%d sleeps", sleeps)
}
