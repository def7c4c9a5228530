package testbrowser

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps testbrowser on the standard library, as every package's
// tests may use it.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
