package api

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/api at layer L0: wire types, the standard library only.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
