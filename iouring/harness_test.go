package iouring

// Harness for the conformance suite (conformance_test.go): engine selection,
// a reactor running on its own locked goroutine, an event recorder that checks
// the contract's invariants on every callback, and Go net helpers.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds every wait of the suite; nothing may hang.
const waitLimit = 20 * time.Second

// Environment knobs:
//
//	VOLLEY_IO_ENGINE=epoll|io_uring restricts the run to one engine.
//	VOLLEY_REQUIRE_IO_URING (set to anything) turns an unavailable engine
//	into a failure instead of a skip.
const (
	envEngine  = "VOLLEY_IO_ENGINE"
	envRequire = "VOLLEY_REQUIRE_IO_URING"
)

// engines returns the engines the suite runs against.
func engines(t testing.TB) []Engine {
	t.Helper()
	all := []Engine{EngineEpoll, EngineIOUring}
	v, ok := os.LookupEnv(envEngine)
	if !ok || v == "" {
		return all
	}
	e, err := ParseEngine(v)
	if err != nil || e == EngineAuto {
		t.Fatalf("%s=%q: want epoll or io_uring", envEngine, v)
	}
	return []Engine{e}
}

// unavailable skips (or, under VOLLEY_REQUIRE_IO_URING, fails) the test
// when New refused the engine with ErrUnavailable; other errors fail.
func unavailable(t testing.TB, eng Engine, err error) {
	t.Helper()
	if errors.Is(err, ErrUnavailable) {
		if _, required := os.LookupEnv(envRequire); required {
			t.Fatalf("engine %s is unavailable but %s is set: %v", eng, envRequire, err)
		}
		t.Skipf("engine %s unavailable here: %v", eng, err)
	}
	t.Fatalf("New(%s): %v", eng, err)
}

// goid returns the calling goroutine's id (parsed from runtime.Stack).
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		panic("goid: cannot parse " + string(buf[:]))
	}
	return id
}

type evKind uint8

const (
	evOpen evKind = iota
	evData
	evEOF
	evSent
	evTimeout
	evClose
)

func (k evKind) String() string {
	return [...]string{"open", "data", "eof", "sent", "timeout", "close"}[k]
}

// event is one recorded callback.
type event struct {
	kind evKind
	c    Conn
	err  error
	n    int
	at   time.Time
}

func (e event) String() string {
	s := e.kind.String()
	if e.kind == evData {
		s += "(" + strconv.Itoa(e.n) + ")"
	}
	if e.err != nil {
		s += "[" + e.err.Error() + "]"
	}
	return s
}

// hooks customise a recorded handler; a nil hook behaves like Base.
type hooks struct {
	open    func(c Conn, err error) Action
	data    func(c Conn, p []byte) Action
	eof     func(c Conn) Action
	sent    func(c Conn) Action
	timeout func(c Conn) Action
	close   func(c Conn, err error)
}

// testReactor is a reactor running on its own locked goroutine plus the
// record of every event its recorded handlers saw.
type testReactor struct {
	t *testing.T
	*reactorState
}

// with returns a view of tr whose failures go to t (a subtest).
func (tr *testReactor) with(t *testing.T) *testReactor {
	return &testReactor{t: t, reactorState: tr.reactorState}
}

type reactorState struct {
	r   Reactor
	eng Engine

	loopGID atomic.Uint64
	// inCall is set (on the loop) while a Reactor method called through the
	// tr wrappers runs; a callback seeing it was delivered inside the call.
	inCall string

	runErr  error
	runDone chan struct{}

	mu         sync.Mutex
	notify     chan struct{}
	evs        []event
	perConn    map[Conn][]event
	connData   map[Conn][]byte
	keepData   bool
	violations []string
	logs       []string
}

// startReactor creates a reactor of engine eng, runs it on a goroutine
// locked to its thread and stops it (bounded) when the test ends, then checks
// the event invariants.
func startReactor(t *testing.T, eng Engine, opts Options) *testReactor {
	t.Helper()
	tr := &testReactor{t: t, reactorState: &reactorState{
		eng:      eng,
		runDone:  make(chan struct{}),
		notify:   make(chan struct{}),
		perConn:  make(map[Conn][]event),
		connData: make(map[Conn][]byte),
		keepData: true,
	}}
	opts.Engine = eng
	if opts.Logf == nil {
		opts.Logf = func(format string, args ...any) {
			tr.mu.Lock()
			tr.logs = append(tr.logs, fmt.Sprintf(format, args...))
			tr.mu.Unlock()
		}
	}
	r, err := New(opts)
	if err != nil {
		unavailable(t, eng, err)
	}
	if r.Engine() != eng {
		t.Errorf("New(Engine: %s).Engine() = %s", eng, r.Engine())
	}
	tr.r = r
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tr.runErr = r.Run()
		close(tr.runDone)
	}()
	t.Cleanup(func() {
		r.Stop()
		select {
		case <-r.Done():
		case <-time.After(waitLimit):
			t.Errorf("%s: Done not closed %v after Stop", eng, waitLimit)
			return
		}
		select {
		case <-tr.runDone:
		case <-time.After(waitLimit):
			t.Errorf("%s: Run did not return %v after Done", eng, waitLimit)
			return
		}
		if tr.runErr != nil {
			t.Errorf("Run returned %v", tr.runErr)
		}
		tr.checkInvariants()
	})
	tr.do(func() { tr.loopGID.Store(goid()) })
	return tr
}

// violate records a contract violation seen on the loop; it is reported by
// the test goroutine (checkViolations, Cleanup).
func (tr *testReactor) violate(format string, args ...any) {
	tr.mu.Lock()
	tr.violations = append(tr.violations, fmt.Sprintf(format, args...))
	tr.mu.Unlock()
}

// checkViolations fails the test for every violation recorded so far.
func (tr *testReactor) checkViolations() {
	tr.t.Helper()
	tr.mu.Lock()
	v := tr.violations
	tr.violations = nil
	tr.mu.Unlock()
	for _, s := range v {
		tr.t.Errorf("%s: %s", tr.eng, s)
	}
}

// checkInvariants runs after the reactor stopped: every connection's first
// event is OnOpen; a failed OnOpen is its only event; an opened connection
// gets exactly one OnClose, last; OnEOF at most once. Counters agree.
func (tr *testReactor) checkInvariants() {
	tr.t.Helper()
	tr.checkViolations()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	opened := 0
	for c, evs := range tr.perConn {
		if evs[0].kind != evOpen {
			tr.t.Errorf("%s: conn %#x: first event %v, want open (events %v)", tr.eng, uint64(c), evs[0], short(evs))
			continue
		}
		if evs[0].err != nil {
			if len(evs) != 1 {
				tr.t.Errorf("%s: conn %#x: events after a failed OnOpen: %v", tr.eng, uint64(c), short(evs))
			}
			continue
		}
		opened++
		closes, eofs, opens := 0, 0, 0
		for _, e := range evs {
			switch e.kind {
			case evClose:
				closes++
			case evEOF:
				eofs++
			case evOpen:
				opens++
			}
		}
		if closes != 1 || evs[len(evs)-1].kind != evClose {
			tr.t.Errorf("%s: conn %#x: %d OnClose, last event %v; want exactly one OnClose, last (events %v)",
				tr.eng, uint64(c), closes, evs[len(evs)-1], short(evs))
		}
		if eofs > 1 || opens != 1 {
			tr.t.Errorf("%s: conn %#x: %d OnEOF, %d OnOpen (events %v)", tr.eng, uint64(c), eofs, opens, short(evs))
		}
	}
	s := tr.r.Stats()
	if s.Closed != s.Accepted+s.Connected {
		tr.t.Errorf("%s: after Stop, Stats Closed=%d but Accepted=%d + Connected=%d", tr.eng, s.Closed, s.Accepted, s.Connected)
	}
	_ = opened
}

// short renders an event list, folding long runs of data events.
func short(evs []event) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; i < len(evs); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		if b.Len() > 2000 {
			fmt.Fprintf(&b, "... (%d more)", len(evs)-i)
			break
		}
		b.WriteString(evs[i].String())
	}
	b.WriteByte(']')
	return b.String()
}

// record is called on the loop by recHandler for every callback.
func (tr *testReactor) record(r Reactor, kind evKind, c Conn, err error, p []byte) {
	if r != tr.r {
		tr.violate("%v for %#x: callback got a different Reactor", kind, uint64(c))
	}
	if id := goid(); id != tr.loopGID.Load() {
		tr.violate("%v for %#x ran on goroutine %d, the loop is %d", kind, uint64(c), id, tr.loopGID.Load())
	}
	if tr.inCall != "" {
		tr.violate("%v for %#x delivered inside Reactor.%s", kind, uint64(c), tr.inCall)
	}
	e := event{kind: kind, c: c, err: err, n: len(p), at: time.Now()}
	tr.mu.Lock()
	if prev := tr.perConn[c]; len(prev) > 0 {
		last := prev[len(prev)-1]
		if last.kind == evClose || (last.kind == evOpen && last.err != nil) {
			tr.violations = append(tr.violations, fmt.Sprintf("%v for %#x after its last event %v", kind, uint64(c), last))
		}
	}
	tr.evs = append(tr.evs, e)
	tr.perConn[c] = append(tr.perConn[c], e)
	if kind == evData && tr.keepData {
		tr.connData[c] = append(tr.connData[c], p...)
	}
	close(tr.notify)
	tr.notify = make(chan struct{})
	tr.mu.Unlock()
}

// events returns a copy of c's recorded events.
func (tr *testReactor) events(c Conn) []event {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]event(nil), tr.perConn[c]...)
}

// count returns how many events of kind c has had.
func (tr *testReactor) count(c Conn, kind evKind) int {
	n := 0
	for _, e := range tr.events(c) {
		if e.kind == kind {
			n++
		}
	}
	return n
}

// data returns a copy of the bytes OnData delivered to c.
func (tr *testReactor) data(c Conn) []byte {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]byte(nil), tr.connData[c]...)
}

// last returns c's last event of kind, if any.
func (tr *testReactor) last(c Conn, kind evKind) (event, bool) {
	evs := tr.events(c)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].kind == kind {
			return evs[i], true
		}
	}
	return event{}, false
}

// waitFor waits until cond holds, failing the test after waitLimit.
func (tr *testReactor) waitFor(desc string, cond func() bool) {
	tr.t.Helper()
	tr.waitForD(desc, waitLimit, cond)
}

func (tr *testReactor) waitForD(desc string, limit time.Duration, cond func() bool) {
	tr.t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		tr.mu.Lock()
		ch := tr.notify
		tr.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-time.After(10 * time.Millisecond):
		case <-deadline.C:
			tr.checkViolations()
			tr.t.Fatalf("%s: timed out after %v waiting for %s", tr.eng, limit, desc)
		}
	}
}

// waitEvent waits for c's n-th event of kind (n from 1) and returns it.
func (tr *testReactor) waitEvent(c Conn, kind evKind, n int) event {
	tr.t.Helper()
	var got event
	tr.waitFor(fmt.Sprintf("%v #%d on %#x", kind, n, uint64(c)), func() bool {
		k := 0
		for _, e := range tr.events(c) {
			if e.kind == kind {
				k++
				if k == n {
					got = e
					return true
				}
			}
		}
		return false
	})
	return got
}

// do runs fn on the loop and waits for it to finish.
func (tr *testReactor) do(fn func()) {
	tr.t.Helper()
	done := make(chan struct{})
	if err := tr.r.Post(func() { defer close(done); fn() }); err != nil {
		tr.t.Fatalf("%s: Post: %v", tr.eng, err)
	}
	select {
	case <-done:
	case <-time.After(waitLimit):
		tr.t.Fatalf("%s: posted function did not run within %v", tr.eng, waitLimit)
	}
}

// call runs fn on the loop and returns its result.
func call[T any](tr *testReactor, fn func() T) T {
	tr.t.Helper()
	var v T
	tr.do(func() { v = fn() })
	return v
}

// The wrappers below call a Reactor method on the loop with inCall set, so
// that a callback delivered inside the call is reported.

func (tr *testReactor) in(name string) func() {
	tr.inCall = name
	return func() { tr.inCall = "" }
}

func (tr *testReactor) send(c Conn, p []byte) error {
	defer tr.in("Send")()
	return tr.r.Send(c, p)
}

func (tr *testReactor) close(c Conn) error {
	defer tr.in("Close")()
	return tr.r.Close(c)
}

func (tr *testReactor) shutdown(c Conn) error {
	defer tr.in("Shutdown")()
	return tr.r.Shutdown(c)
}

func (tr *testReactor) setTimeout(c Conn, d time.Duration) error {
	defer tr.in("SetTimeout")()
	return tr.r.SetTimeout(c, d)
}

func (tr *testReactor) pause(c Conn) error {
	defer tr.in("PauseRecv")()
	return tr.r.PauseRecv(c)
}

func (tr *testReactor) resume(c Conn) error {
	defer tr.in("ResumeRecv")()
	return tr.r.ResumeRecv(c)
}

func (tr *testReactor) connect(remote netip.AddrPort, local netip.Addr, timeout time.Duration, h ConnHandler) (Conn, error) {
	defer tr.in("Connect")()
	return tr.r.Connect(remote, local, timeout, h)
}

// recHandler records every callback in tr, then runs the hook.
type recHandler struct {
	tr *testReactor
	h  hooks
}

func (tr *testReactor) handler(h hooks) ConnHandler { return &recHandler{tr: tr, h: h} }

func (h *recHandler) OnOpen(r Reactor, c Conn, err error) Action {
	h.tr.record(r, evOpen, c, err, nil)
	if h.h.open != nil {
		return h.h.open(c, err)
	}
	return Continue
}

func (h *recHandler) OnData(r Reactor, c Conn, p []byte) Action {
	h.tr.record(r, evData, c, nil, p)
	if h.h.data != nil {
		return h.h.data(c, p)
	}
	return Continue
}

func (h *recHandler) OnEOF(r Reactor, c Conn) Action {
	h.tr.record(r, evEOF, c, nil, nil)
	if h.h.eof != nil {
		return h.h.eof(c)
	}
	return Drain
}

func (h *recHandler) OnSent(r Reactor, c Conn) Action {
	h.tr.record(r, evSent, c, nil, nil)
	if h.h.sent != nil {
		return h.h.sent(c)
	}
	return Continue
}

func (h *recHandler) OnTimeout(r Reactor, c Conn) Action {
	h.tr.record(r, evTimeout, c, nil, nil)
	if h.h.timeout != nil {
		return h.h.timeout(c)
	}
	return Close
}

func (h *recHandler) OnClose(r Reactor, c Conn, err error) {
	h.tr.record(r, evClose, c, err, nil)
	if h.h.close != nil {
		h.h.close(c, err)
	}
}

// accepted is what the AcceptFunc of listen saw.
type accepted struct {
	c             Conn
	remote, local netip.AddrPort
}

// listen starts a reactor listener on addr whose connections get the hooks
// mk returns; accepted connections are sent on the returned channel.
func (tr *testReactor) listen(addr string, mk func(c Conn) hooks) (netip.AddrPort, <-chan accepted) {
	tr.t.Helper()
	ch := make(chan accepted, 64)
	accept := func(r Reactor, c Conn, remote, local netip.AddrPort) ConnHandler {
		if id := goid(); id != tr.loopGID.Load() {
			tr.violate("AcceptFunc ran on goroutine %d, the loop is %d", id, tr.loopGID.Load())
		}
		select {
		case ch <- accepted{c, remote, local}:
		default:
		}
		var h hooks
		if mk != nil {
			h = mk(c)
		}
		return tr.handler(h)
	}
	type res struct {
		ap  netip.AddrPort
		err error
	}
	got := call(tr, func() res {
		defer tr.in("Listen")()
		ap, err := tr.r.Listen(netip.MustParseAddrPort(addr), accept)
		return res{ap, err}
	})
	if got.err != nil {
		tr.t.Fatalf("%s: Listen(%s): %v", tr.eng, addr, got.err)
	}
	if got.ap.Port() == 0 {
		tr.t.Fatalf("%s: Listen(%s) returned %v: no port", tr.eng, addr, got.ap)
	}
	return got.ap, ch
}

// echoHooks echo every OnData back and drain after EOF.
func (tr *testReactor) echoHooks(Conn) hooks {
	return hooks{data: func(c Conn, p []byte) Action {
		if err := tr.send(c, p); err != nil {
			tr.violate("echo Send: %v", err)
			return Close
		}
		return Continue
	}}
}

// nextAccepted waits for the listener's next accepted connection.
func (tr *testReactor) nextAccepted(ch <-chan accepted) accepted {
	tr.t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(waitLimit):
		tr.t.Fatalf("%s: no connection accepted within %v", tr.eng, waitLimit)
	}
	panic("unreachable")
}

// dial opens a Go net client connection to ap, closed when the test ends.
func dial(t testing.TB, ap netip.AddrPort) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", ap.String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %v: %v", ap, err)
	}
	tc := c.(*net.TCPConn)
	tc.SetDeadline(time.Now().Add(waitLimit))
	t.Cleanup(func() { tc.Close() })
	return tc
}

// goListener is a Go net listener whose accepted connections are handed to
// serve (each on its own goroutine) and whose remote addresses are reported.
type goListener struct {
	ln      net.Listener
	ap      netip.AddrPort
	remotes chan netip.AddrPort
}

func listenGo(t testing.TB, network, addr string, serve func(net.Conn)) *goListener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	gl := &goListener{ln: ln, ap: ln.Addr().(*net.TCPAddr).AddrPort(), remotes: make(chan netip.AddrPort, 64)}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case gl.remotes <- c.RemoteAddr().(*net.TCPAddr).AddrPort():
			default:
			}
			c.SetDeadline(time.Now().Add(waitLimit))
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if serve != nil {
					serve(c)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitLimit):
			t.Errorf("Go listener's connections did not finish")
		}
	})
	return gl
}

// goEcho copies everything back to the peer until EOF.
func goEcho(c net.Conn) { io.Copy(c, c) }

// readAllTimeout reads c to EOF (bounded by its deadline).
func readAll(t testing.TB, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v (got %d bytes)", err, len(b))
	}
	return b
}

// isReset tells a connection reset (or broken pipe) from other errors.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// pattern returns n pseudo-random bytes (deterministic per seed).
func pattern(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := 0; i+8 <= n; i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i], b[i+1], b[i+2], b[i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		b[i+4], b[i+5], b[i+6], b[i+7] = byte(x>>32), byte(x>>40), byte(x>>48), byte(x>>56)
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}
