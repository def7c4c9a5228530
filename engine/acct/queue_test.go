package acct

import (
	"fmt"
	"testing"
)

func TestQueue(t *testing.T) {
	var q queue
	const n = 3*blockSize + 5
	for i := range n {
		ok, first := q.push(&Record{Type: Delivered, Rcpt: fmt.Sprint(i)}, n)
		if !ok || first != (i == 0) {
			t.Fatalf("push %d: ok %v first %v", i, ok, first)
		}
	}
	if ok, _ := q.push(&Record{}, n); ok {
		t.Fatal("push past max accepted")
	}
	bs := q.take(nil)
	if len(bs) != 4 || bs[3].n != 5 {
		t.Fatalf("took %d blocks", len(bs))
	}
	i := 0
	for _, b := range bs {
		for _, r := range b.recs[:b.n] {
			if r.Rcpt != fmt.Sprint(i) {
				t.Fatalf("record %d is %q", i, r.Rcpt)
			}
			i++
		}
	}
	q.recycle(bs)
	if len(q.free) != 4 || bs[0] != nil || q.free[0].n != 0 || q.free[0].recs[0].Rcpt != "" {
		t.Fatal("recycle did not empty and keep the blocks")
	}
	if ok, first := q.push(&Record{}, n); !ok || !first {
		t.Fatal("push after take")
	}
	if len(q.free) != 3 {
		t.Errorf("a free block was not reused: %d free", len(q.free))
	}
	if !q.close() || q.close() {
		t.Error("close did not report the first call")
	}
	if ok, _ := q.push(&Record{}, n); ok {
		t.Error("push after close accepted")
	}
}

func TestQueueFreeBounded(t *testing.T) {
	var q queue
	for range (maxFree + 10) * blockSize {
		q.push(&Record{}, 1<<20)
	}
	q.recycle(q.take(nil))
	if len(q.free) != maxFree {
		t.Errorf("%d free blocks kept, want %d", len(q.free), maxFree)
	}
}

func TestQueuePushAllocs(t *testing.T) {
	var q queue
	r := sample(Delivered)
	var bs []*block
	if n := testing.AllocsPerRun(1000, func() {
		q.push(&r, 1<<20)
		if q.n == blockSize {
			bs = q.take(bs)
			q.recycle(bs)
		}
	}); n != 0 {
		t.Errorf("push allocates %v times in steady state", n)
	}
}
