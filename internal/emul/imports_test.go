package emul

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps emul on the standard library, as every package's tests
// and the bench programs may use it.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
