//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseQueued(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       queued
	}{
		{"slog", `time=2026-12-06T18:06:07.637Z level=INFO msg="volleyd: 1000000 messages, 1000000 recipients queued from the spool in 39.511s"`,
			queued{1000000, 1000000, 39511 * time.Millisecond}},
		{"minutes", `msg="volleyd: 5 messages, 7 recipients queued from the spool in 1m2.5s"`,
			queued{5, 7, time.Minute + 2500*time.Millisecond}},
		{"plain", `volleyd: 20000 messages, 20000 recipients queued from the spool in 36ms`,
			queued{20000, 20000, 36 * time.Millisecond}},
		{"micro", `msg="volleyd: 1 messages, 1 recipients queued from the spool in 850µs"`,
			queued{1, 1, 850 * time.Microsecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, ok, err := parseQueued(tc.line)
			if !ok || err != nil || q != tc.want {
				t.Fatalf("parseQueued = %+v, %v, %v; want %+v", q, ok, err, tc.want)
			}
		})
	}
	if _, ok, _ := parseQueued(`msg="volleyd: 2 shards on io_uring, listening on [127.0.0.1:1]"`); ok {
		t.Error("another line parsed as the queued line")
	}
	if _, ok, err := parseQueued(`msg="volleyd: many messages, 1 recipients queued from the spool in 1s"`); !ok || err == nil {
		t.Errorf("a malformed queued line: ok %v, err %v; want ok and an error", ok, err)
	}
}

func TestParseScanFailed(t *testing.T) {
	msg, ok := parseScanFailed(`time=x level=INFO msg="volleyd: reading the spool at start: spool: corrupt (after 12 messages)"`)
	if !ok || msg != "spool: corrupt (after 12 messages)" {
		t.Fatalf("parseScanFailed = %q, %v", msg, ok)
	}
}

// TestResultJSON pins the field names the benchmark report reads.
func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(result{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"messages", "recipients", "spool_bytes", "fill_s", "time_to_first_delivery_s",
		"time_to_full_index_s", "full_delivery_s", "full_delivery_note", "engine", "error",
		"volleyd_peak_rss_bytes", "delivered", "delivery_msgs_per_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestBody(t *testing.T) {
	g := newBodyGen(2048)
	a := g.appendBody(nil, 7, 1000)
	b := g.appendBody(nil, 8, 1000)
	if len(a) < 2048 || len(a) > 2048+200 {
		t.Errorf("body of %d bytes, want about 2048", len(a))
	}
	if bytes.Equal(a, b) {
		t.Error("two messages have the same body")
	}
	if !bytes.HasSuffix(a, []byte("\r\n")) || !bytes.Contains(a, []byte("To: <u7@d7.test>\r\n")) {
		t.Errorf("body: %q", a[:200])
	}
	for line := range bytes.Lines(a) {
		if !bytes.HasSuffix(line, []byte("\r\n")) || bytes.HasPrefix(line, []byte(".")) {
			t.Fatalf("line %q: want CRLF and no leading dot", line)
		}
	}
	if got := rcptAddr(1234, 1000); got != "u1234@d234.test" {
		t.Errorf("rcptAddr = %q", got)
	}
}

// TestSink runs one pipelined session through the sink: it counts each
// message once, a retried one as a duplicate, and answers in order.
func TestSink(t *testing.T) {
	s := &sink{base: time.Now(), n: 3, seen: make([]atomic.Uint64, 1)}
	in := "EHLO client.test\r\n" +
		"MAIL FROM:<bulk@sender.test>\r\nRCPT TO:<u1@d1.test>\r\nDATA\r\n" +
		"Subject: x\r\n\r\n..leading dot\r\n" + strings.Repeat("y", 70000) + "\r\n.\r\n" +
		"MAIL FROM:<bulk@sender.test>\r\nRCPT TO:<u2@d2.test>\r\nRCPT TO:<u1@d1.test>\r\nRCPT TO:<other@x.test>\r\nDATA\r\nbody\r\n.\r\n" +
		"QUIT\r\n"
	var out bytes.Buffer
	if err := s.serve(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	var codes []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if l := sc.Text(); len(l) >= 4 && l[3] == ' ' {
			codes = append(codes, l[:3])
		}
	}
	want := []string{"220", "250", "250", "250", "354", "250", "250", "250", "250", "250", "354", "250", "221"}
	if !slices.Equal(codes, want) {
		t.Errorf("replies %v, want %v", codes, want)
	}
	if u, d, f := s.unique.Load(), s.duplicates.Load(), s.foreign.Load(); u != 2 || d != 1 || f != 1 {
		t.Errorf("unique %d, duplicates %d, foreign %d; want 2, 1, 1", u, d, f)
	}
	if _, ok := s.firstAt(); !ok {
		t.Error("no first arrival")
	}
	if err := s.serve(strings.NewReader("EHLO x\r\n"), io.Discard); err != io.EOF {
		t.Errorf("a session cut short: %v, want EOF", err)
	}
}
