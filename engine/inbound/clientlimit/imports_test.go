package clientlimit

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps clientlimit on the standard library.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
