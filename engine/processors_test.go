package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/spool"
)

// TestProcessorSettlesAfterPassingOn: a processor's recipients are settled
// only once what it passes on is stored, and not at all when that cannot
// be stored (they stay in the spool, read again at the next start), so a
// person's reply to a bounce address is never dropped between the two.
func TestProcessorSettlesAfterPassingOn(t *testing.T) {
	cfg, probs := config.LoadText("t.conf", []byte(""))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, fail := range []bool{false, true} {
		p := &processors{work: make(chan struct{}, maxProcessing), rules: &bounceRules{}, logf: t.Logf}
		p.rules.set(cfg)
		p.bounceTo.Store(&processorSet{deliverUnmatched: true})
		var steps []string
		inject := func(m *spool.Message, body []byte) error {
			steps = append(steps, "stored for "+m.Recipients[0].Addr)
			if fail {
				return errors.New("disk full")
			}
			return nil
		}
		p.inject.Store(&inject)
		finished := make(chan bool, 1)
		m := &spool.Message{From: "alice@example.test", Origin: "smtp 127.0.0.1"}
		body := []byte("From: alice@example.test\r\nSubject: Re: your newsletter\r\n\r\nPlease call me.\r\n")
		p.process(m, body, toBounce, []string{"bounces@esp.test"}, func(settle bool) {
			steps = append(steps, "finished")
			finished <- settle
		})
		select {
		case settle := <-finished:
			if settle == fail {
				t.Errorf("inject failing=%v: settle=%v", fail, settle)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the processor never finished")
		}
		if len(steps) != 2 || steps[0] != "stored for bounces@esp.test" || steps[1] != "finished" {
			t.Errorf("inject failing=%v: steps %v, want the copy stored, then finished", fail, steps)
		}
	}
}
