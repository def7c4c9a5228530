package shard

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/shard at layer L3: the leaves and lower engine layers.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("iouring", "ringbuf", "engine/config"))
}
