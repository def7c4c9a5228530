package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// SinkOptions configure a Sink. The zero value is a sink that accepts
// everything and keeps only counts.
type SinkOptions struct {
	// Hostname is the name in the greeting and the EHLO reply; default
	// "sink.localhost".
	Hostname string
	// Save is a directory for the accepted messages, one .eml file each
	// (created if missing); empty saves nothing. Each file starts with the
	// envelope as X-Sink-From and X-Sink-To header lines, then the message
	// as received, and is written under a temporary name and renamed, so a
	// reader never sees half a file.
	Save string
	// Delay is how long the sink waits before its reply after each message
	// (the final dot, or the last BDAT chunk), as a receiver that scans
	// mail does; replies to other commands are not delayed. Default none.
	Delay time.Duration
	// Replies are the scripted replies, tried in order (see the package doc).
	Replies []Rule
	// Seed seeds the N% rules: one seed picks the same event numbers on
	// every run. Default 0, itself a valid seed.
	Seed uint64
	// MaxSize is the message size announced with SIZE and enforced; default
	// 64 MiB.
	MaxSize int64
	// TLS, when set, makes the sink offer STARTTLS with this config.
	// Default: no STARTTLS.
	TLS *tls.Config
	// OnMessage, when set, is called after each accepted message with the
	// number accepted so far, from the connection's goroutine.
	OnMessage func(accepted int64)
}

// Sink is an SMTP server for load tests: it accepts every message unless a
// rule says otherwise and counts what it saw. It is safe for concurrent use.
type Sink struct {
	opts    SinkOptions
	host    string
	greet   []byte // the normal greeting line
	ehlo    []byte // the normal EHLO reply, extensions and all
	helo    []byte // the normal HELO reply
	rules   [stageCount][]Rule
	index   [stageCount][]int // each rule's place in Replies, for its percent draw
	needArg [stageCount]bool  // a rule at the stage reads the argument
	keepHdr bool              // a data rule matches the header section
	savePfx string            // file name prefix of this sink's saved messages

	// Counters, written by sessions with atomics.
	events    [stageCount]atomic.Int64 // events seen per stage, numbering them for rules
	conns     atomic.Int64
	tlsConns  atomic.Int64
	messages  atomic.Int64
	refused   atomic.Int64
	rcpts     atomic.Int64
	bytes     atomic.Int64
	saved     atomic.Int64
	saveSeq   atomic.Int64 // numbers the saved files
	replies   [stageCount][600]atomic.Int64
	scripted  [stageCount]atomic.Int64
	saveFails atomic.Int64

	ln       net.Listener
	done     chan struct{} // closed by Close: ends delays
	mu       sync.Mutex    // guards ln, open, stopping and closed
	open     map[net.Conn]struct{}
	stopping bool // the listener is closed (Shutdown or Close)
	closed   bool
	wg       sync.WaitGroup // sessions
}

// NewSink returns a sink with options o; Listen and Serve start it.
func NewSink(o SinkOptions) *Sink {
	s := &Sink{opts: o, host: o.Hostname, done: make(chan struct{}), open: map[net.Conn]struct{}{}}
	if s.host == "" {
		s.host = "sink.localhost"
	}
	if s.opts.MaxSize <= 0 {
		s.opts.MaxSize = 64 << 20
	}
	for i, r := range o.Replies {
		if r.line == nil { // built by hand rather than by ParseRule
			r.line = r.replyLine()
		}
		s.rules[r.Stage] = append(s.rules[r.Stage], r)
		s.index[r.Stage] = append(s.index[r.Stage], i)
		if r.Select == SelectRegexp {
			s.needArg[r.Stage] = true
			s.keepHdr = s.keepHdr || r.Stage == StageData
		}
	}
	s.greet = fmt.Appendf(nil, "220 %s ESMTP volley sink\r\n", s.host)
	ehlo := fmt.Sprintf("250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE %d\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n", s.host, s.opts.MaxSize)
	if o.TLS != nil {
		ehlo += "250-STARTTLS\r\n"
	}
	s.ehlo = []byte(ehlo + "250 DSN\r\n")
	s.helo = fmt.Appendf(nil, "250 %s\r\n", s.host)
	// Time, process and a random tag keep two sinks saving into one directory apart.
	s.savePfx = fmt.Sprintf("%s-%d-%08x", time.Now().UTC().Format("20060102T150405"), os.Getpid(), rand.Uint32())
	return s
}

// Listen binds the sink's listener to addr (host:port; port 0 picks one),
// creating the Save directory first. Serve then accepts on it.
func (s *Sink) Listen(addr string) error {
	if s.opts.Save != "" {
		if err := os.MkdirAll(s.opts.Save, 0o755); err != nil {
			return fmt.Errorf("loadgen: sink save directory: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("loadgen: sink: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	return nil
}

// Addr returns the listener's address, or nil before Listen.
func (s *Sink) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections, one goroutine each, until Shutdown or Close;
// it returns nil then, or the error that stopped accepting.
func (s *Sink) Serve() error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return errors.New("loadgen: sink: Serve before Listen")
	}
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isStopping() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of descriptors, say: wait for some to close, as net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			time.Sleep(pause)
			continue
		}
		pause = 0
		if !s.track(c) {
			c.Close()
			return nil
		}
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.conns.Add(1)
			newSession(s, c).run()
		}()
	}
}

func (s *Sink) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

func (s *Sink) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.open[c] = struct{}{}
	s.wg.Add(1) // under mu, so never concurrent with the Wait that follows stopping
	return true
}

func (s *Sink) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.open, c)
	s.mu.Unlock()
	c.Close()
}

// Shutdown stops accepting, lets the open connections end by themselves
// (their replies sent) until ctx ends, then closes the rest as Close does.
func (s *Sink) Shutdown(ctx context.Context) error {
	err := s.stopListening()
	ended := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close stops the listener, closes every connection and waits for their
// goroutines to end.
func (s *Sink) Close() error {
	err := s.stopListening()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		for c := range s.open {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// stopListening closes the listener once.
func (s *Sink) stopListening() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil
	}
	s.stopping = true
	if s.ln != nil {
		return s.ln.Close()
	}
	return nil
}

// Counters is a snapshot of what a sink has seen.
type Counters struct {
	Connections int64 `json:"connections"`
	// TLS is the connections that started TLS.
	TLS int64 `json:"tls"`
	// Messages is the messages accepted, Refused those refused after their
	// data (by a rule, a failed save or SIZE).
	Messages int64 `json:"messages"`
	Refused  int64 `json:"refused"`
	// Recipients is the recipients of the accepted messages.
	Recipients int64 `json:"recipients"`
	// Bytes is the size of the accepted messages as received (unstuffed).
	Bytes int64 `json:"bytes"`
	// Saved is the messages written to the Save directory, SaveErrors the
	// ones that could not be (they were answered 451).
	Saved      int64 `json:"saved"`
	SaveErrors int64 `json:"save_errors"`
	// Replies counts the replies by stage and code: "rcpt" -> "550" -> 3.
	// The stages are those of the rules; a stage without replies is absent.
	Replies map[string]map[string]int64 `json:"replies"`
	// Scripted counts the replies that came from a rule, by stage.
	Scripted map[string]int64 `json:"scripted"`
}

// Counters returns a snapshot of the sink's counters.
func (s *Sink) Counters() Counters {
	c := Counters{
		Connections: s.conns.Load(), TLS: s.tlsConns.Load(), Messages: s.messages.Load(), Refused: s.refused.Load(),
		Recipients: s.rcpts.Load(), Bytes: s.bytes.Load(), Saved: s.saved.Load(),
		SaveErrors: s.saveFails.Load(),
		Replies:    map[string]map[string]int64{}, Scripted: map[string]int64{},
	}
	for st := range stageCount {
		for code := range s.replies[st] {
			if n := s.replies[st][code].Load(); n > 0 {
				m := c.Replies[st.String()]
				if m == nil {
					m = map[string]int64{}
					c.Replies[st.String()] = m
				}
				m[fmt.Sprint(code)] = n
			}
		}
		if n := s.scripted[st].Load(); n > 0 {
			c.Scripted[st.String()] = n
		}
	}
	return c
}

// decide numbers an event of stage st and returns the first rule that
// picks it, or nil for the normal answer.
func (s *Sink) decide(st Stage, arg []byte) *Rule {
	rules := s.rules[st]
	if len(rules) == 0 {
		return nil
	}
	i := s.events[st].Add(1) - 1
	for k := range rules {
		if rules[k].match(i, arg, s.opts.Seed, s.index[st][k]) {
			s.scripted[st].Add(1)
			return &rules[k]
		}
	}
	return nil
}

// count records a reply of code at stage st.
func (s *Sink) count(st Stage, code int) {
	if code >= 0 && code < len(s.replies[st]) {
		s.replies[st][code].Add(1)
	}
}

// wait sleeps for d, or less if the sink closes.
func (s *Sink) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}
