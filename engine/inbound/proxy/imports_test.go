package proxy

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps the PROXY protocol parser on the standard library.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
