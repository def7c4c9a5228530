package fbl

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/fbl at layer L0 with no engine package at all:
// the standard library only.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
