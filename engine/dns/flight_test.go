package dns

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// gatedServer answers MX questions for slow.test only once the gate opens;
// its host has one address.
func gatedServer(t *testing.T, gate <-chan struct{}) *fakeServer {
	return startFake(t, func(q mdns.Question, m *mdns.Msg) {
		switch q.Qtype {
		case mdns.TypeMX:
			<-gate
			m.Answer = append(m.Answer, rr(t, "slow.test. 60 IN MX 10 h.slow.test."))
		case mdns.TypeA:
			m.Answer = append(m.Answer, rr(t, "h.slow.test. 60 IN A 127.0.0.9"))
		default:
			m.Ns = append(m.Ns, rr(t, "slow.test. 60 IN SOA ns.slow.test. a.slow.test. 1 60 60 60 60"))
		}
	})
}

// waitForWaiters waits until n callers have joined the flight for k.
func waitForWaiters(t *testing.T, r *Resolver, k key, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.flights.mu.Lock()
		c := r.flights.m[k]
		joined := c != nil && c.waiters == n
		r.flights.mu.Unlock()
		if joined {
			return
		}
	}
	t.Fatalf("%d callers did not join the flight for %v", n, k)
}

// TestCoalesce checks that concurrent lookups of one domain send one set of
// queries and share its route.
func TestCoalesce(t *testing.T) {
	gate := make(chan struct{})
	f := gatedServer(t, gate)
	r := newResolver(t, newClock(), f.addr)
	const n = 20
	routes := make([]Route, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { routes[i], errs[i] = r.LookupMX(context.Background(), "slow.test") })
	}
	waitForWaiters(t, r, key{"slow.test", kindMX}, n-1)
	close(gate)
	wg.Wait()
	for i := range n {
		tcheck(t, errs[i], "LookupMX")
		if !reflect.DeepEqual(routes[i], routes[0]) || len(routes[i].Hosts) != 1 {
			t.Fatalf("route %d %+v, route 0 %+v", i, routes[i], routes[0])
		}
	}
	if f.asked(mdns.TypeMX) != 1 || f.asked(mdns.TypeA) != 1 {
		t.Errorf("asked MX %d and A %d times, want once each", f.asked(mdns.TypeMX), f.asked(mdns.TypeA))
	}
	if s := r.Stats(); s.Coalesced != n-1 {
		t.Errorf("stats %+v: want %d coalesced", s, n-1)
	}
}

// TestCoalesceLeaderCancelled checks that when the caller leading a lookup
// gives up, a caller waiting on it asks again instead of sharing the
// cancellation.
func TestCoalesceLeaderCancelled(t *testing.T) {
	gate := make(chan struct{})
	f := gatedServer(t, gate)
	r := newResolver(t, newClock(), f.addr)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := r.LookupMX(leaderCtx, "slow.test")
		leaderErr <- err
	}()
	k := key{"slow.test", kindMX}
	waitForWaiters(t, r, k, 0)
	followerErr := make(chan error, 1)
	var follower Route
	go func() {
		var err error
		follower, err = r.LookupMX(context.Background(), "slow.test")
		followerErr <- err
	}()
	waitForWaiters(t, r, k, 1)
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTemporary) {
		t.Fatalf("leader: %v, want ErrTemporary and context.Canceled", err)
	}
	close(gate)
	tcheck(t, <-followerErr, "follower")
	if len(follower.Hosts) != 1 || follower.Hosts[0].Name != "h.slow.test" {
		t.Errorf("follower's route %+v", follower)
	}
	if n := f.asked(mdns.TypeMX); n != 2 {
		t.Errorf("asked MX %d times, want 2 (the leader's, then the follower's)", n)
	}
}
