package tlspipe

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps tlspipe at layer L0: the reactor and the standard library.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("iouring", "ringbuf"))
}
