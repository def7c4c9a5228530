package ringbuf

import "testing"

// ring is the surface SPSC and MPSC share; the single-goroutine behaviour
// tests below run against both through it.
type ring interface {
	Push(int) bool
	Pop() (int, bool)
	PushBatch([]int) int
	PopBatch([]int) int
	Len() int
	Cap() int
}

// testFullEmptyWrap fills a capacity-8 ring (asked for 5) and drains it
// partially, 50 times round, so the counters wrap the slot index many times.
func testFullEmptyWrap(t *testing.T, r ring) {
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
}

// testBatchPartial checks that batches stop at full and empty, and wrap.
func testBatchPartial(t *testing.T, r ring) {
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
}

// testAllocs checks that no operation allocates.
func testAllocs(t *testing.T, r ring) {
	buf := make([]int, 16)
	got := testing.AllocsPerRun(1000, func() {
		r.Push(1)
		r.Pop()
		r.PushBatch(buf)
		r.PopBatch(buf)
	})
	if got != 0 {
		t.Errorf("%v allocs per run", got)
	}
}
