package outbound

import (
	"sync"
	"testing"

	"github.com/volleymta/volley/engine/config"
)

// TestSlots: a vMTA's and a pool's caps hold together, a refused acquire
// holds nothing, and concurrent takers never exceed a cap.
func TestSlots(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte(`<virtual-mta a>
    smtp-source-host 127.0.0.2 a.test
    max-smtp-out 2
</virtual-mta>
<virtual-mta b>
    smtp-source-host 127.0.0.3 b.test
</virtual-mta>
<virtual-mta-pool p>
    virtual-mta a
    virtual-mta b
    max-smtp-out 3
</virtual-mta-pool>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	s := NewSlots(cfg)
	if !s.acquire("a", "p") || !s.acquire("a", "p") || s.acquire("a", "p") {
		t.Fatal("vMTA a's cap of 2")
	}
	if !s.acquire("b", "p") || s.acquire("b", "p") {
		t.Fatal("pool p's cap of 3")
	}
	s.release("a", "p")
	if !s.acquire("b", "p") {
		t.Fatal("a release did not free the pool's slot")
	}
	if NewSlots(&config.Config{}) != nil || !(*Slots)(nil).acquire("x", "y") {
		t.Fatal("no caps must mean nil Slots that always acquire")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	held, peak := 0, 0
	s2 := NewSlots(cfg)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if s2.acquire("a", "a") {
					mu.Lock()
					held++
					peak = max(peak, held)
					held--
					mu.Unlock()
					s2.release("a", "a")
				}
			}
		}()
	}
	wg.Wait()
	if peak > 2 {
		t.Fatalf("peak %d over the cap of 2", peak)
	}
}

// TestSlotsTotal: total-max-smtp-out caps all connections together, and an
// acquire refused by a vMTA's own cap gives its share of the total back.
func TestSlotsTotal(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte(`total-max-smtp-out 3
<virtual-mta a>
    smtp-source-host 127.0.0.2 a.test
    max-smtp-out 1
</virtual-mta>
<virtual-mta b>
    smtp-source-host 127.0.0.3 b.test
</virtual-mta>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	s := NewSlots(cfg)
	if !s.acquire("a", "a") || s.acquire("a", "a") {
		t.Fatal("vMTA a's cap of 1")
	}
	if !s.acquire("b", "b") || !s.acquire("b", "b") {
		t.Fatal("the refused acquire of a kept a share of the total")
	}
	if s.acquire("b", "b") || s.acquire("", "") {
		t.Fatal("the total of 3 let a fourth connection through")
	}
	s.release("a", "a")
	if !s.acquire("b", "b") {
		t.Fatal("a release did not free a share of the total")
	}
	only, _ := config.LoadText("t.conf", []byte("total-max-smtp-out 1\n"))
	if s := NewSlots(only); s == nil || !s.acquire("", "") || s.acquire("", "") {
		t.Fatal("a total cap alone must make Slots that hold it")
	}
}
