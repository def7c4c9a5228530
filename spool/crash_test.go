package spool

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/volleymta/volley/internal/emul"
)

// The crash test: TestCrash re-executes the test binary as a child running
// TestCrashChild, which appends into a real directory and prints "seq id"
// for every message Append acknowledged; the parent SIGKILLs it at a random
// moment, reopens the spool and checks that every acknowledged message is
// there, intact, and that nothing in the spool is half written.

const (
	crashDirEnv  = "SPOOL_CRASH_DIR"
	crashBaseEnv = "SPOOL_CRASH_BASE"
	crashSeedEnv = "SPOOL_CRASH_SEED" // optional: replay a run's delays
	crashRounds  = 20
	crashWriters = 32
	crashPerRnd  = 1_000_000 // sequence numbers reserved per round
)

var crashWords = strings.Fields("the quick brown fox jumps over a lazy dog while " +
	"queue spool pebble commit durable fsync message recipient envelope " +
	"Received: from example.net by mx.example.com with ESMTPS id")

// crashMessage returns message seq: its envelope and body are a function of
// seq alone, and From names seq so any spooled copy can be checked.
func crashMessage(seq uint64) (*Message, []byte) {
	rng := rand.New(rand.NewPCG(seq, 0x5eed))
	m := crashEnvelope(seq, rng)
	// Log-uniform size between 200 B and 64 KB.
	size := int(200 * math.Pow(65536.0/200, rng.Float64()))
	body := make([]byte, 0, size+16)
	body = fmt.Appendf(body, "Subject: message %d\r\n\r\n", seq)
	for len(body) < size {
		if rng.IntN(8) == 0 {
			body = append(body, byte(rng.Uint32())) // some incompressible noise
			continue
		}
		body = append(body, crashWords[rng.IntN(len(crashWords))]...)
		body = append(body, ' ')
	}
	return m, body[:size]
}

// crashEnvelope returns message seq's envelope, drawing from rng first.
func crashEnvelope(seq uint64, rng *rand.Rand) *Message {
	m := &Message{From: fmt.Sprintf("seq-%d@crash.test", seq), EnvID: strconv.FormatUint(seq*7, 36),
		Ret: Ret(seq % 3), Body: BodyType(seq % 3), SMTPUTF8: seq%2 == 1, Job: "job-" + strconv.Itoa(int(seq%5)),
		VMTA: "pool-b", Origin: "smtp 192.0.2.7"}
	for i := 0; i < 1+int(seq%3); i++ {
		m.Recipients = append(m.Recipients, Recipient{Addr: fmt.Sprintf("r%d-%d@example.org", i, seq),
			ORCPT: fmt.Sprintf("rfc822;r%d@example.org", i), Notify: Notify(rng.IntN(16))})
	}
	return m
}

// crashSeq returns the sequence number a spooled message's From names.
func crashSeq(m *Message) (uint64, error) {
	s, ok := strings.CutPrefix(m.From, "seq-")
	if !ok {
		return 0, fmt.Errorf("message %s: From %q names no sequence number", m.ID, m.From)
	}
	s, _, _ = strings.Cut(s, "@")
	return strconv.ParseUint(s, 10, 64)
}

// checkMessage checks that m (as read back) and body are exactly message
// seq; with body nil it checks the envelope only (and the recorded size).
func checkMessage(m *Message, body []byte, seq uint64) error {
	var want *Message
	var wantBody []byte
	if body == nil {
		want = crashEnvelope(seq, rand.New(rand.NewPCG(seq, 0x5eed)))
	} else {
		want, wantBody = crashMessage(seq)
	}
	if m.From != want.From || m.EnvID != want.EnvID || m.Ret != want.Ret || m.Body != want.Body ||
		m.SMTPUTF8 != want.SMTPUTF8 || m.Job != want.Job || m.VMTA != want.VMTA || m.Origin != want.Origin {
		return fmt.Errorf("message %s (seq %d): envelope %+v, want %+v", m.ID, seq, *m, *want)
	}
	if m.Received.IsZero() || body != nil && m.Size != int64(len(wantBody)) {
		return fmt.Errorf("message %s (seq %d): size %d received %v, want size %d", m.ID, seq, m.Size, m.Received, len(wantBody))
	}
	if len(m.Recipients) != len(want.Recipients) {
		return fmt.Errorf("message %s (seq %d): %d recipients, want %d", m.ID, seq, len(m.Recipients), len(want.Recipients))
	}
	for i, r := range m.Recipients {
		w := want.Recipients[i]
		if r.Index != uint16(i) || r.Addr != w.Addr || r.ORCPT != w.ORCPT || r.Notify != w.Notify ||
			r.Attempts != 0 || !r.NextAttempt.IsZero() || r.LastReply != "" {
			return fmt.Errorf("message %s (seq %d): recipient %d is %+v, want %+v", m.ID, seq, i, r, w)
		}
	}
	if body != nil && !bytes.Equal(body, wantBody) {
		return fmt.Errorf("message %s (seq %d): body of %d bytes differs from the %d appended", m.ID, seq, len(body), len(wantBody))
	}
	return nil
}

// TestCrashChild is the child of TestCrash; without its environment it skips.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("only run as TestCrash's child")
	}
	base, err := strconv.ParseUint(os.Getenv(crashBaseEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// A child the parent forgot must not run forever.
	time.AfterFunc(30*time.Second, func() { os.Exit(3) })
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: Open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex // one Write per line, so lines never interleave
	emit := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stdout.Write([]byte(line)); err != nil {
			os.Exit(4)
		}
	}
	emit("ready\n")
	var next atomic.Uint64
	var wg sync.WaitGroup
	for range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq := base + next.Add(1)
				m, body := crashMessage(seq)
				id, err := s.Append(context.Background(), m, body)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: Append:", err)
					os.Exit(2)
				}
				emit(fmt.Sprintf("%d %s\n", seq, id)) // only after Append returned nil
			}
		}()
	}
	wg.Wait()
}

// crashAck is one acknowledged message.
type crashAck struct {
	seq uint64
	id  ID
}

// runCrashChild starts a child appending into dir with sequence numbers
// above base, kills it delay after it is ready and returns what it
// acknowledged.
func runCrashChild(t *testing.T, dir string, base uint64, delay time.Duration) []crashAck {
	t.Helper()
	cmd := emul.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashBaseEnv+"="+strconv.FormatUint(base, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan []crashAck, 1)
	go func() { done <- readAcks(out, ready) }()
	select {
	case <-ready:
	case <-done:
		_ = cmd.Wait()
		t.Fatalf("child ended before it was ready; stderr:\n%s", stderr.String())
	case <-time.After(emul.Scale(20 * time.Second)):
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
		t.Fatalf("child not ready after %v; stderr:\n%s", emul.Scale(20*time.Second), stderr.String())
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatalf("kill: %v", err)
	}
	acks := <-done // the pipe reaches EOF once the child is gone
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("child ended by itself (%v), not by SIGKILL; stderr:\n%s", err, stderr.String())
	}
	return acks
}

// readAcks reads the child's "seq id" lines until EOF; a torn last line
// (none is expected: each line is one small write) is ignored.
func readAcks(r interface{ Read([]byte) (int, error) }, ready chan struct{}) []crashAck {
	var acks []crashAck
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			close(ready)
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		seq, err1 := strconv.ParseUint(f[0], 10, 64)
		id, err2 := ParseID(f[1])
		if err1 == nil && err2 == nil {
			acks = append(acks, crashAck{seq, id})
		}
	}
	return acks
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary 20 times")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set %s to replay the delays)", seed, crashSeedEnv)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	all := make(map[ID]uint64)   // every message acknowledged in any round
	checked := make(map[ID]bool) // messages whose body an earlier round checked
	for round := range crashRounds {
		delay := time.Duration(50+rng.IntN(451)) * time.Millisecond
		start := time.Now()
		acks := runCrashChild(t, dir, uint64(round+1)*crashPerRnd, delay)
		for _, a := range acks {
			all[a.id] = a.seq
		}
		child := time.Since(start)
		if round == crashRounds-1 {
			clear(checked) // the last round checks every body again
		}
		found, total := verifyCrashedSpool(t, dir, acks, all, checked)
		t.Logf("round %2d: killed after %v: acknowledged %d, found %d; spool holds %d messages (%d acknowledged over all rounds, all present) [child %v, verify %v]",
			round, delay, len(acks), found, total, len(all), child.Round(time.Millisecond), (time.Since(start) - child).Round(time.Millisecond))
	}
}

// verifyCrashedSpool reopens the spool in dir and checks that every message
// in it is whole and every acknowledged one is present: acks this round's
// (each also read with Get), all every round's. Bodies of messages in
// checked were verified by an earlier round: only their envelopes are
// checked again (the bodies are costly under -race); the others are added
// to checked. It returns how many of acks it found and how many messages
// the spool holds.
func verifyCrashedSpool(t *testing.T, dir string, acks []crashAck, all map[ID]uint64, checked map[ID]bool) (found, total int) {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	scanned := make(map[ID]bool)
	err = s.Scan(func(m *Message) error {
		seq, err := crashSeq(m)
		if err != nil {
			return err
		}
		if want, ok := all[m.ID]; ok && want != seq {
			return fmt.Errorf("message %s holds seq %d, acknowledged as seq %d", m.ID, seq, want)
		}
		scanned[m.ID] = true
		if checked[m.ID] {
			return checkMessage(m, nil, seq)
		}
		body, err := s.Body(m.ID)
		if err != nil {
			return fmt.Errorf("message %s (seq %d): Body: %w", m.ID, seq, err)
		}
		checked[m.ID] = true
		return checkMessage(m, body, seq)
	})
	if err != nil {
		t.Fatalf("Scan after crash: %v", err)
	}
	for id, seq := range all {
		if !scanned[id] {
			t.Fatalf("acknowledged message %s (seq %d) is missing after crash", id, seq)
		}
	}
	for _, a := range acks {
		m, err := s.Get(a.id)
		if err != nil {
			t.Fatalf("Get acknowledged %s (seq %d): %v", a.id, a.seq, err)
		}
		// Its body was new this round, so the scan above checked it.
		if err := checkMessage(m, nil, a.seq); err != nil {
			t.Fatal(err)
		}
		found++
	}
	return found, len(scanned)
}
