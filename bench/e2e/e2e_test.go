package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"
)

func TestMessageSize(t *testing.T) {
	for _, size := range []int{400, 401, 402, 2048, 20480, 204800} {
		head := newHead(7)
		body := newBody(size-len(head.head), uint64(size))
		if got := len(head.head) + len(body); got != size {
			t.Errorf("size %d: message is %d bytes", size, got)
		}
		for line := range bytes.Lines(body) {
			if line[0] == '.' || !bytes.HasSuffix(line, []byte("\r\n")) || len(line) > 78 {
				t.Fatalf("size %d: bad body line %q", size, line)
			}
		}
	}
}

func TestStampParse(t *testing.T) {
	tpl := messageTemplate(42, []byte("x\r\n"))
	tpl.stamp(42, 1234567, 1700000000123456789)
	var cell int64
	var seq int
	var sent int64
	for line := range bytes.Lines(tpl.head) {
		if rest, ok := bytes.CutPrefix(line, hdrID); ok {
			cell, seq = parseID(rest)
		}
		if rest, ok := bytes.CutPrefix(line, hdrSent); ok {
			sent = parseUint(rest)
		}
	}
	if cell != 42 || seq != 1234567 || sent != 1700000000123456789 {
		t.Errorf("parsed cell %d seq %d sent %d", cell, seq, sent)
	}
}

// TestWire sends a small load straight into the sink: every message must
// arrive once, with latencies recorded on both sides.
func TestWire(t *testing.T) {
	sk, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sk.close()
	const msgs = 300
	tl := newTally(9, msgs)
	sk.expect(tl)
	lr := runLoad(context.Background(), loadSpec{addr: sk.addr(), conns: 7, msgs: msgs, size: 3000, cell: 9, timeout: time.Minute})
	if lr.acked != msgs || len(lr.errs) > 0 || len(lr.inject) != msgs {
		t.Fatalf("acked %d of %d, %d latencies, errors %v", lr.acked, msgs, len(lr.inject), lr.errs)
	}
	select {
	case <-tl.complete:
	case <-time.After(10 * time.Second):
		t.Fatalf("sink got %d of %d", tl.count.Load(), msgs)
	}
	if d := tl.dups.Load(); d != 0 {
		t.Errorf("%d duplicates", d)
	}
	if p50, p99 := quantiles(tl.latencies()); p50 <= 0 || p99 < p50 {
		t.Errorf("end-to-end p50 %v p99 %v", p50, p99)
	}
}

// TestSinkForeign checks that messages of another cell, or without the
// benchmark's header, are counted apart.
func TestSinkForeign(t *testing.T) {
	sk, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sk.close()
	sk.expect(newTally(2, 10))
	lr := runLoad(context.Background(), loadSpec{addr: sk.addr(), conns: 1, msgs: 3, size: 1000, cell: 1, timeout: time.Minute})
	if lr.acked != 3 {
		t.Fatalf("acked %d: %v", lr.acked, lr.errs)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sk.foreign.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := sk.foreign.Load(); n != 3 {
		t.Errorf("foreign %d, want 3", n)
	}
}

func TestQuantiles(t *testing.T) {
	var ns []int64
	for i := 1; i <= 100; i++ {
		ns = append(ns, int64(i)*1e6)
	}
	if p50, p99 := quantiles(ns); p50 != 50 || p99 != 99 {
		t.Errorf("p50 %v p99 %v, want 50 99", p50, p99)
	}
}

func TestChartIsXML(t *testing.T) {
	for _, log := range []bool{false, true} {
		c := &barChart{title: "t <&>", unit: "ms", log: log,
			groups: [][2]string{{"2 KB", "10 conns"}, {"2 KB", "100 conns"}},
			series: []string{"a", "b"}, colors: []string{"#000", "#111"},
			values: [][]float64{{1, 2000}, {math.NaN(), 0.05}}}
		s := c.svg()
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("log %v: %v\n%s", log, err, s)
				}
				break
			}
		}
		if n := strings.Count(s, "<rect"); n != 1+2+3 { // background, legend, bars
			t.Errorf("log %v: %d rects", log, n)
		}
	}
}

func TestLastJSONObject(t *testing.T) {
	out := []byte("building...\n{\"a\": 1}\nnoise {not json\n{\"messages\": 1000000, \"engine\": \"io_uring\", \"nested\": {\"x\": 1}}\n")
	m, err := lastJSONObject(out)
	if err != nil {
		t.Fatal(err)
	}
	e := extraResult{Fields: m}
	if n, ok := e.num("messages"); !ok || n != 1e6 {
		t.Errorf("messages %v %v", n, ok)
	}
	if s, _ := e.str("engine"); s != "io_uring" {
		t.Errorf("engine %q", s)
	}
	if _, err := lastJSONObject([]byte("nothing here")); err == nil {
		t.Error("no error for output without JSON")
	}
}
