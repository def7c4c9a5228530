//go:build linux

package main

import (
	"encoding/json"
	"io"
	"net/netip"
	"testing"
	"time"
)

func TestSourceFor(t *testing.T) {
	for _, tc := range []struct {
		g, per int
		want   string
	}{
		{0, 10000, "127.0.0.2"},
		{9999, 10000, "127.0.0.2"},
		{10000, 10000, "127.0.0.3"},
		{99999, 10000, "127.0.0.11"},
		{254 * 10, 10, "127.0.1.0"},
	} {
		a, ok := sourceFor(tc.g, tc.per)
		if !ok || a != netip.MustParseAddr(tc.want) {
			t.Errorf("sourceFor(%d, %d) = %v, %v; want %s", tc.g, tc.per, a, ok, tc.want)
		}
	}
	if a, ok := sourceFor(1<<24, 1); ok {
		t.Errorf("sourceFor past 127.255.255.255 = %v, want none", a)
	}
}

func TestParseNofile(t *testing.T) {
	limits := []byte("Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max processes             95954                95954                processes \n" +
		"Max open files            19999                20000                files     \n")
	soft, hard, err := parseNofile(limits)
	if err != nil || soft != 19999 || hard != 20000 {
		t.Fatalf("parseNofile = %d, %d, %v", soft, hard, err)
	}
	if _, hard, err := parseNofile([]byte("Max open files  1024  unlimited  files\n")); err != nil || hard != ^uint64(0) {
		t.Errorf("unlimited: %d, %v", hard, err)
	}
	if _, _, err := parseNofile([]byte("Max processes 1 1 processes\n")); err == nil {
		t.Error("no open files line: no error")
	}
}

func TestParseSockstatMem(t *testing.T) {
	s := []byte("sockets: used 40\nTCP: inuse 39825 orphan 0 tw 12 alloc 39830 mem 1234\nUDP: inuse 3 mem 2\n")
	if got := parseSockstatMem(s); got != 1234 {
		t.Errorf("parseSockstatMem = %d, want 1234", got)
	}
}

func TestParseChildLine(t *testing.T) {
	kind, held, failed, msg, ok := parseChildLine("DONE 14990 10 banner: read tcp: i/o timeout")
	if !ok || kind != "DONE" || held != 14990 || failed != 10 || msg != "banner: read tcp: i/o timeout" {
		t.Errorf("DONE line: %q %d %d %q %v", kind, held, failed, msg, ok)
	}
	if kind, held, _, _, ok := parseChildLine("PROGRESS 5 0"); !ok || kind != "PROGRESS" || held != 5 {
		t.Errorf("PROGRESS line: %q %d %v", kind, held, ok)
	}
	if _, _, _, _, ok := parseChildLine("220 hello"); ok {
		t.Error("a stray line parsed")
	}
}

func TestFinalLine(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"220 mx.test ESMTP\r\n", "220 mx.test ESMTP", true},
		{"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "250 8BITMIME", true},
		{"250-mx.test\r\n250-PIPE", "", false},
		{"421 4.3.2 too many connections\r\n", "421 4.3.2 too many connections", true},
	} {
		got, ok := finalLine([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("finalLine(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestResultJSON pins the field names the benchmark report reads.
func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(result{Limits: &limitsReport{}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requested", "held", "limit_reason", "rss_base_bytes", "rss_held_bytes",
		"rss_per_conn_bytes", "engine", "error", "release_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-conns", "500", "-engine", "epoll"}, io.Discard)
	if err != nil || o.conns != 500 || o.engine != "epoll" || o.settle != 5*time.Second {
		t.Fatalf("parseFlags = %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"-engine", "kqueue"}, io.Discard); err == nil {
		t.Error("-engine kqueue accepted")
	}
	if _, err := parseFlags([]string{"-conns", "20000000", "-per-source", "1"}, io.Discard); err == nil {
		t.Error("more sources than 127.0.0.0/8 has: accepted")
	}
}
