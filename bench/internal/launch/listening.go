package launch

import (
	"net/netip"
	"strconv"
	"strings"
)

// Listening is volleyd's start-up line (engine/engine.go): "volleyd: N
// shards on ENGINE, listening on [ADDR ...], spool DIR". volleyd logs
// through slog's text handler, so the message may be quoted; the parser
// looks for the text itself.
type Listening struct {
	Shards int
	Engine string
	// Addr is the first listening address; the zero value when the line
	// names none.
	Addr netip.AddrPort
}

// ParseListening parses the listening line; ok is false for any other.
func ParseListening(line string) (l Listening, ok bool) {
	_, rest, ok := strings.Cut(line, "volleyd: ")
	if !ok {
		return Listening{}, false
	}
	n, rest, ok := strings.Cut(rest, " shards on ")
	if !ok {
		return Listening{}, false
	}
	shards, err := strconv.Atoi(n)
	if err != nil {
		return Listening{}, false
	}
	engine, _, ok := strings.Cut(rest, ",")
	if !ok || engine == "" {
		return Listening{}, false
	}
	l = Listening{Shards: shards, Engine: engine}
	if _, addrs, found := strings.Cut(rest, ", listening on ["); found {
		addrs, _, _ = strings.Cut(addrs, "]")
		first, _, _ := strings.Cut(addrs, " ")
		l.Addr, _ = netip.ParseAddrPort(first)
	}
	return l, true
}
