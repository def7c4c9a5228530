package spool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func openMem(t testing.TB, fs vfs.FS) *Spool {
	t.Helper()
	s, err := Open("spool", Options{FS: fs})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func testMessage(i int) (*Message, []byte) {
	m := &Message{
		From: fmt.Sprintf("sender%d@example.test", i), EnvID: fmt.Sprintf("env-%d", i), Ret: RetHdrs,
		Body: Body8BitMIME, SMTPUTF8: i%2 == 0, Job: "job-7", VMTA: "pool-a", Origin: "smtp 127.0.0.1",
		Recipients: []Recipient{
			{Addr: fmt.Sprintf("a%d@example.com", i), ORCPT: "rfc822;a@example.com", Notify: NotifyFailure | NotifyDelay},
			{Addr: fmt.Sprintf("b%d@example.net", i)},
		},
	}
	body := bytes.Repeat([]byte(fmt.Sprintf("Subject: test %d\r\n\r\nHello, this is line of message %d.\r\n", i, i)), 40)
	return m, body
}

func TestAppendScanBodyReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	const n = 50
	ids := make([]ID, n)
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		m, body := testMessage(i)
		id, err := s.Append(context.Background(), m, body)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if id != m.ID || m.Size != int64(len(body)) || m.Received.IsZero() || m.Recipients[1].Index != 1 {
			t.Fatalf("Append did not fill the message: %+v", m)
		}
		if i > 0 && bytes.Compare(ids[i-1][:], id[:]) >= 0 {
			t.Fatalf("ids not increasing: %s then %s", ids[i-1], id)
		}
		ids[i], bodies[i] = id, body
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMem(t, fs)
	defer s.Close()
	var got []*Message
	if err := s.Scan(func(m *Message) error { got = append(got, m); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("Scan after reopen found %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		want, _ := testMessage(i)
		want.ID, want.Size, want.Received = ids[i], int64(len(bodies[i])), m.Received
		want.Recipients[0].Index, want.Recipients[1].Index = 0, 1
		if fmt.Sprint(*m) != fmt.Sprint(*want) {
			t.Fatalf("message %d:\n got %+v\nwant %+v", i, *m, *want)
		}
		b, err := s.Body(m.ID)
		if err != nil || !bytes.Equal(b, bodies[i]) {
			t.Fatalf("Body %d: %v (equal %v)", i, err, bytes.Equal(b, bodies[i]))
		}
	}
}

func TestRecipientLifecycle(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	m, body := testMessage(1)
	id, err := s.Append(context.Background(), m, body)
	if err != nil {
		t.Fatal(err)
	}
	next := time.Unix(1_900_000_000, 0)
	r := m.Recipients[0]
	r.Attempts, r.NextAttempt, r.LastReply = 3, next, "451 4.7.1 try later"
	if err := s.UpdateRecipient(id, &r); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRecipient(id, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Recipients) != 1 || got.Recipients[0].Attempts != 3 || !got.Recipients[0].NextAttempt.Equal(next) ||
		got.Recipients[0].LastReply != r.LastReply {
		t.Fatalf("recipients after update and finish: %+v", got.Recipients)
	}
	if err := s.Delete(id, len(m.Recipients)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Body(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Body after Delete: %v, want ErrNotFound", err)
	}
}

// TestGroupCommit checks that concurrent appends share commits and fsyncs.
func TestGroupCommit(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const callers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m, body := testMessage(c*each + i)
				if _, err := s.Append(context.Background(), m, body); err != nil {
					errs <- err
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Appends != callers*each {
		t.Fatalf("Appends = %d", st.Appends)
	}
	if st.Syncs >= st.Appends/2 {
		t.Errorf("%d fsyncs for %d concurrent appends: group commit is not grouping", st.Syncs, st.Appends)
	}
	n := 0
	_ = s.Scan(func(*Message) error { n++; return nil })
	if n != callers*each {
		t.Fatalf("Scan found %d, want %d", n, callers*each)
	}
}

func TestClosed(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	_ = s.Close()
	m, body := testMessage(0)
	if _, err := s.Append(context.Background(), m, body); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
}

// TestUpdatesOneCommit: updates, finished recipients and a deleted message
// gathered in one Updates land together in one group commit.
func TestUpdatesOneCommit(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	ma, body := testMessage(1)
	a, err := s.Append(context.Background(), ma, body)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := testMessage(2)
	mb.Recipients = mb.Recipients[:1]
	b, err := s.Append(context.Background(), mb, body)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Stats().Syncs
	u := s.NewUpdates()
	r := Recipient{Index: 1, Addr: "b1@example.net", Attempts: 2, LastReply: "451 4.2.0 later"}
	u.Update(a, &r)
	u.Finish(a, 0)
	u.Delete(b, 1)
	if u.Len() != 3 {
		t.Fatalf("Len %d", u.Len())
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().Syncs - before; got != 1 {
		t.Fatalf("%d syncs for one Updates, want 1", got)
	}
	m, err := s.Get(a)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Recipients) != 1 || m.Recipients[0].Attempts != 2 || m.Recipients[0].LastReply != "451 4.2.0 later" {
		t.Fatalf("message a after the updates: %+v", m.Recipients)
	}
	if _, err := s.Get(b); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message b after Delete: %v", err)
	}
}

// TestAppendAsync: appends handed over without waiting are all stored, each
// callback says so once with its message's ID, and they share fsyncs.
func TestAppendAsync(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	const n = 300
	var mu sync.Mutex
	got := map[ID]bool{}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		m, body := testMessage(i)
		s.AppendAsync(m, body, func(id ID, err error) {
			defer wg.Done()
			if err != nil || id != m.ID {
				t.Errorf("async append %d: %v (id %s, message %s)", i, err, id, m.ID)
			}
			mu.Lock()
			got[id] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct callbacks, want %d", len(got), n)
	}
	stored := 0
	if err := s.Scan(func(*Message) error { stored++; return nil }); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); stored != n || st.Appends != n || st.Syncs >= n {
		t.Fatalf("stored %d, stats %+v: want %d appends in fewer fsyncs", stored, st, n)
	}
}

// TestMessageRecipient finds recipients by Index, directly while none has
// finished and by search once some have (as Scan returns them).
func TestMessageRecipient(t *testing.T) {
	m := &Message{Recipients: []Recipient{{Index: 0, Addr: "a"}, {Index: 1, Addr: "b"}, {Index: 2, Addr: "c"}}}
	if r := m.Recipient(1); r == nil || r.Addr != "b" {
		t.Fatalf("Recipient(1) = %+v", r)
	}
	m.Recipients = []Recipient{{Index: 2, Addr: "c"}, {Index: 5, Addr: "f"}, {Index: 9, Addr: "j"}}
	for idx, want := range map[uint16]string{2: "c", 5: "f", 9: "j"} {
		if r := m.Recipient(idx); r == nil || r.Addr != want {
			t.Errorf("Recipient(%d) = %+v, want %s", idx, r, want)
		}
	}
	if m.Recipient(0) != nil || m.Recipient(6) != nil || m.Recipient(10) != nil {
		t.Error("a finished recipient was found")
	}
}

// TestMadeHere: a spool knows the messages it appended since it opened,
// and not those of an earlier run (which the scan at start must route).
func TestMadeHere(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	m, body := testMessage(1)
	old, err := s.Append(context.Background(), m, body)
	if err != nil {
		t.Fatal(err)
	}
	if !s.MadeHere(old) {
		t.Fatal("a message appended in this run is not MadeHere")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMem(t, fs)
	defer s.Close()
	m, body = testMessage(2)
	fresh, err := s.Append(context.Background(), m, body)
	if err != nil {
		t.Fatal(err)
	}
	if s.MadeHere(old) || !s.MadeHere(fresh) {
		t.Fatalf("after reopening: MadeHere(old) = %v, MadeHere(fresh) = %v", s.MadeHere(old), s.MadeHere(fresh))
	}
}
