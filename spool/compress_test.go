package spool

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestCorpusShape checks the generated corpus is deterministic and has the
// shape the compression benchmarks assume.
func TestCorpusShape(t *testing.T) {
	const n = 200
	c := genCorpus(n, 1)
	again := genCorpus(50, 1)
	sizes := make([]int, n)
	attached := 0
	for i, msg := range c {
		if i < len(again) && !bytes.Equal(msg, again[i]) {
			t.Fatalf("message %d differs between two runs with the same seed", i)
		}
		sizes[i] = len(msg)
		if len(msg) < corpusMinSize/2 || len(msg) > corpusMaxSize*11/10 {
			t.Errorf("message %d: %d bytes, outside 2 KB..200 KB", i, len(msg))
		}
		if bytes.Contains(msg, []byte("Content-Disposition: attachment")) {
			attached++
		}
		for _, h := range []string{"DKIM-Signature: ", "\r\nFrom: ", "\r\nTo: ", "\r\nSubject: ", "\r\nDate: ",
			"\r\nMessage-ID: ", "\r\nMIME-Version: 1.0", "\r\nList-Unsubscribe: ", "text/plain", "text/html"} {
			if !bytes.Contains(msg, []byte(h)) {
				t.Fatalf("message %d lacks %q", i, h)
			}
		}
	}
	if bytes.Equal(genCorpus(1, 2)[0], c[0]) {
		t.Error("different seeds gave the same message")
	}
	slices.Sort(sizes)
	median := sizes[n/2]
	if median < 10<<10 || median > 30<<10 {
		t.Errorf("median size %d, want about 15-20 KB", median)
	}
	if attached < n/20 || attached > n/5 {
		t.Errorf("%d of %d messages with an attachment, want about 10%%", attached, n)
	}
	t.Logf("sizes: min %d, median %d, max %d; %d with an attachment", sizes[0], median, sizes[n-1], attached)
}

// TestCodecRoundTrip round-trips every corpus message byte-exact through
// every benchmarked codec (the spool's compressor for zstd and S2).
func TestCodecRoundTrip(t *testing.T) {
	corpus := genCorpus(120, 7)
	for _, cc := range newCodecCases(t) {
		t.Run(cc.name, func(t *testing.T) {
			var dst []byte
			for i, msg := range corpus {
				dst = cc.encode(dst[:0], msg)
				got, err := cc.decode(dst)
				if err != nil {
					t.Fatalf("message %d: decode: %v", i, err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("message %d: round trip changed the body (%d -> %d bytes)", i, len(msg), len(got))
				}
			}
		})
	}
}

// TestCodecSpoolRoundTrip stores corpus messages under every Codec through
// Append and reads them back with Body, before and after a reopen, and
// across codecs (a spool written with one codec reads under another).
func TestCodecSpoolRoundTrip(t *testing.T) {
	corpus := genCorpus(60, 11)
	fs := vfs.NewMem()
	ids := make(map[ID][]byte)
	for c := Codec(0); c < codecCount; c++ {
		s, err := Open("spool", Options{FS: fs, Codec: c})
		if err != nil {
			t.Fatal(err)
		}
		for i, body := range corpus {
			m := &Message{From: "news@example.test", Recipients: []Recipient{{Addr: fmt.Sprintf("r%d@example.com", i)}}}
			id, err := s.Append(context.Background(), m, body)
			if err != nil {
				t.Fatalf("codec %d: Append %d: %v", c, i, err)
			}
			ids[id] = body
		}
		checkBodies(t, s, ids)
		st := s.Stats()
		if c != CodecNone && st.StoredBytes >= st.BodyBytes {
			t.Errorf("codec %d: stored %d bytes for %d of bodies", c, st.StoredBytes, st.BodyBytes)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open("spool", Options{FS: fs, Codec: CodecS2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkBodies(t, s, ids)
}

func checkBodies(t *testing.T, s *Spool, ids map[ID][]byte) {
	t.Helper()
	for id, want := range ids {
		got, err := s.Body(id)
		if err != nil {
			t.Fatalf("Body(%s): %v", id, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Body(%s): %d bytes, want %d, not byte-exact", id, len(got), len(want))
		}
	}
}
