package dns

import (
	"net"
	"net/netip"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"
)

// fakeServer is a miekg/dns server on 127.0.0.1 (UDP) whose handler a test
// scripts, for the answers unbound will not give: SERVFAIL, and answers
// held back until the test releases them. It counts the questions asked.
type fakeServer struct {
	addr netip.AddrPort
	mu   sync.Mutex
	asks map[uint16]int // questions by type; guarded by mu
}

func startFake(t testing.TB, answer func(q mdns.Question, m *mdns.Msg)) *fakeServer {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), asks: map[uint16]int{}}
	started := make(chan struct{})
	srv := &mdns.Server{
		PacketConn:        pc,
		NotifyStartedFunc: func() { close(started) },
		Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
			q := req.Question[0]
			f.mu.Lock()
			f.asks[q.Qtype]++
			f.mu.Unlock()
			m := new(mdns.Msg)
			m.SetReply(req)
			m.RecursionAvailable = true
			answer(q, m)
			w.WriteMsg(m)
		}),
	}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return f
}

// asked returns how many questions of type qtype the server saw.
func (f *fakeServer) asked(qtype uint16) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asks[qtype]
}

func servfail(q mdns.Question, m *mdns.Msg) { m.Rcode = mdns.RcodeServerFailure }

// rr parses a record in zone-file syntax.
func rr(t testing.TB, s string) mdns.RR {
	t.Helper()
	r, err := mdns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
