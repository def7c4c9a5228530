package spool

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports enforces STYLE.md §2: Pebble and klauspost/compress, no other package of the module.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("github.com/cockroachdb/pebble/v2...", "github.com/klauspost/compress/..."))
}
