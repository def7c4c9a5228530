package shard

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volleymta/volley/iouring"
)

// echo answers every read with the same bytes.
type echo struct{ iouring.Base }

func (echo) OnData(r iouring.Reactor, c iouring.Conn, p []byte) iouring.Action {
	_ = r.Send(c, p)
	return iouring.Continue
}

func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func engines() []iouring.Engine {
	if v := os.Getenv("VOLLEY_IO_ENGINE"); v != "" {
		if e, err := iouring.ParseEngine(v); err == nil {
			return []iouring.Engine{e}
		}
	}
	return []iouring.Engine{iouring.EngineAuto, iouring.EngineEpoll}
}

// TestGroupSharesPortAndPosts starts two shards listening on one port
// (SO_REUSEPORT), checks that connections land on both and are served, and
// that Post runs work on the target shard's own loop.
func TestGroupSharesPortAndPosts(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.String(), func(t *testing.T) {
			port := freePort(t)
			addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
			accepted := make([]atomic.Int64, 2)
			// loopOwned[i] is touched only on shard i's loop: the race
			// detector reports it if Post ran anywhere else.
			loopOwned := make([]int, 2)
			var logged []string
			var logMu sync.Mutex
			g, err := Start(Options{Count: 2,
				IO: iouring.Options{Engine: eng, Logf: func(f string, a ...any) {
					logMu.Lock()
					logged = append(logged, fmt.Sprintf(f, a...))
					logMu.Unlock()
				}},
				Setup: func(s *Shard) error {
					loopOwned[s.ID] = 1
					_, err := s.Reactor.Listen(addr, func(iouring.Reactor, iouring.Conn, netip.AddrPort, netip.AddrPort) iouring.ConnHandler {
						accepted[s.ID].Add(1)
						return echo{}
					})
					return err
				}})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer func() {
				g.Stop()
				if err := g.Wait(); err != nil {
					t.Errorf("Wait: %v", err)
				}
			}()
			if g.Count() != 2 {
				t.Fatalf("Count = %d, want 2", g.Count())
			}
			if eng == iouring.EngineAuto && len(logged) != 1 {
				t.Errorf("auto engine choice logged %d lines, want 1: %q", len(logged), logged)
			}
			var conns []net.Conn
			for i := 0; i < 200; i++ {
				c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
				if err != nil {
					t.Fatalf("dial %d: %v", i, err)
				}
				conns = append(conns, c)
			}
			for i, c := range conns {
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				msg := fmt.Sprintf("hello %d\n", i)
				if _, err := c.Write([]byte(msg)); err != nil {
					t.Fatal(err)
				}
				got, err := bufio.NewReader(c).ReadString('\n')
				if err != nil || got != msg {
					t.Fatalf("echo %d: %q, %v", i, got, err)
				}
				c.Close()
			}
			a0, a1 := accepted[0].Load(), accepted[1].Load()
			if a0+a1 != 200 || a0 == 0 || a1 == 0 {
				t.Errorf("accepts per shard %d and %d: want 200 spread over both", a0, a1)
			}
			done := make(chan int, 2)
			for i := 0; i < 2; i++ {
				id := i
				if err := g.Post(id, func() { loopOwned[id]++; done <- loopOwned[id] }); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 2; i++ {
				select {
				case v := <-done:
					if v != 2 {
						t.Errorf("posted function saw %d, want 2", v)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("posted function did not run")
				}
			}
			if st := g.Stats(); st.Accepted != 200 {
				t.Errorf("Stats().Accepted = %d, want 200", st.Accepted)
			}
		})
	}
}

// TestGroupSetupError stops every shard and reports which failed.
func TestGroupSetupError(t *testing.T) {
	_, err := Start(Options{Count: 2, IO: iouring.Options{Engine: iouring.EngineEpoll},
		Setup: func(s *Shard) error {
			if s.ID == 1 {
				return fmt.Errorf("no such listener")
			}
			return nil
		}})
	if err == nil || err.Error() != "shard 1: setup: no such listener" {
		t.Fatalf("Start error = %v, want shard 1's setup error", err)
	}
}

// TestGroupDefaultCount uses one shard per GOMAXPROCS.
func TestGroupDefaultCount(t *testing.T) {
	g, err := Start(Options{IO: iouring.Options{Engine: iouring.EngineEpoll}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { g.Stop(); _ = g.Wait() }()
	if want := runtime.GOMAXPROCS(0); g.Count() != want {
		t.Errorf("Count = %d, want GOMAXPROCS %d", g.Count(), want)
	}
}

// TestGroupInitBeforeSetup: Init sees every shard before any Setup runs, and
// its error stops the group.
func TestGroupInitBeforeSetup(t *testing.T) {
	var seen []*Shard
	setupsBeforeInit := 0
	g, err := Start(Options{Count: 2, IO: iouring.Options{Engine: iouring.EngineEpoll},
		Init: func(shards []*Shard) error { seen = append(seen, shards...); return nil },
		Setup: func(s *Shard) error {
			if len(seen) != 2 {
				setupsBeforeInit++
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	g.Stop()
	_ = g.Wait()
	if len(seen) != 2 || seen[0].ID != 0 || seen[1].ID != 1 || setupsBeforeInit != 0 {
		t.Fatalf("Init saw %d shards; %d setups ran before it", len(seen), setupsBeforeInit)
	}
	_, err = Start(Options{Count: 2, IO: iouring.Options{Engine: iouring.EngineEpoll},
		Init: func([]*Shard) error { return fmt.Errorf("no inbox") }})
	if err == nil || err.Error() != "no inbox" {
		t.Fatalf("Start error = %v, want Init's", err)
	}
}
