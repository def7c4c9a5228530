package queue

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/queue at layer L1: the leaves and engine/config only.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("spool", "ringbuf", "engine/config"))
}
