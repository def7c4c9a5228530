package launch

import (
	"net/netip"
	"testing"
)

func TestParseListening(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       Listening
	}{
		{"slog io_uring", `time=2026-12-06T17:56:05.136Z level=INFO msg="volleyd: 2 shards on io_uring, listening on [127.0.0.1:34987], spool /tmp/x/spool"`,
			Listening{2, "io_uring", netip.MustParseAddrPort("127.0.0.1:34987")}},
		{"two addresses", `time=x level=INFO msg="volleyd: 2 shards on epoll, listening on [127.0.0.1:35055 [::1]:25], spool /tmp/s"`,
			Listening{2, "epoll", netip.MustParseAddrPort("127.0.0.1:35055")}},
		{"no address", `volleyd: 4 shards on epoll, spool /tmp/s`, Listening{Shards: 4, Engine: "epoll"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if l, ok := ParseListening(tc.line); !ok || l != tc.want {
				t.Errorf("ParseListening = %+v, %v; want %+v", l, ok, tc.want)
			}
		})
	}
	for _, line := range []string{
		`time=x level=INFO msg="io engine: io_uring, 2 shards"`,
		`msg="volleyd: two shards on epoll, listening on [127.0.0.1:1]"`,
		`msg="volleyd: 2 shards on epoll"`,
	} {
		if l, ok := ParseListening(line); ok {
			t.Errorf("ParseListening(%q) = %+v; want no match", line, l)
		}
	}
}
