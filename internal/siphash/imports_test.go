package siphash

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps the leaf on the standard library.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
