package dns

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestServersFromFile reads nameserver lines as /etc/resolv.conf has them.
func TestServersFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := serversFromFile(write("ok", "# comment\nsearch example.com\nnameserver 127.0.0.53\nnameserver ::1\noptions timeout:1\n"))
	tcheck(t, err, "serversFromFile")
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.53:53"), netip.MustParseAddrPort("[::1]:53")}
	if !slices.Equal(got, want) {
		t.Errorf("servers %v, want %v", got, want)
	}
	if _, err := serversFromFile(write("empty", "search example.com\n")); !errors.Is(err, errNoServers) {
		t.Errorf("no nameserver lines: %v, want errNoServers", err)
	}
	if _, err := serversFromFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestNewOptions checks defaults and the server list.
func TestNewOptions(t *testing.T) {
	r, err := New(Options{Servers: []netip.AddrPort{
		netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0),
		netip.MustParseAddrPort("[::1]:5353"),
	}})
	tcheck(t, err, "New")
	if !slices.Equal(r.servers, []string{"127.0.0.1:53", "[::1]:5353"}) {
		t.Errorf("servers %q", r.servers)
	}
	if r.timeout != DefaultTimeout || r.cache.max != DefaultMaxCacheEntries || r.now == nil {
		t.Errorf("defaults: timeout %v, cache %d", r.timeout, r.cache.max)
	}
	if _, err := New(Options{Servers: []netip.AddrPort{{}}}); err == nil {
		t.Error("New with an invalid server: no error")
	}
}
