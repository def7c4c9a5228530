package outbound

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/outbound at layer L2: the leaves, L0 packages and engine/queue
// (engine/inbound/proxy is a standard-library leaf: the PROXY header codec, for <proxy>).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("smtpwire", "iouring", "ringbuf", "spool", "engine/queue", "engine/tlspipe", "engine/config", "engine/dns", "engine/acct", "engine/bounce", "engine/inbound/proxy"))
}
