package engine

import (
	"runtime"
	"testing"
	"time"

	"github.com/volleymta/volley/iouring"
)

// TestLoopRetry: flush runs on the loop, again every backlogRetry while it
// reports work left, and arm does not stack timers.
func TestLoopRetry(t *testing.T) {
	r, err := iouring.New(iouring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() { runtime.LockOSThread(); _ = r.Run() }()
	defer func() { r.Stop(); <-r.Done() }()
	calls := make(chan int, 10)
	n := 0
	lr := newLoopRetry(r, func() bool { n++; calls <- n; return n < 3 })
	_ = r.Post(func() { lr.arm(); lr.arm(); lr.arm() })
	for want := 1; want <= 3; want++ {
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("flush call %d, want %d", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("flush %d never ran", want)
		}
	}
	select {
	case got := <-calls:
		t.Fatalf("flush ran again (%d) after reporting nothing left", got)
	case <-time.After(50 * time.Millisecond):
	}
}
