package inbound

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/inbound at layer L2: the leaves, L0 engine packages and its own sub-packages.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/inbound/...", "smtpwire", "iouring", "ringbuf", "spool", "engine/config", "engine/tlspipe"))
}
