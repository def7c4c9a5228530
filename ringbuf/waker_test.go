package ringbuf

import (
	"sync"
	"testing"
)

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
