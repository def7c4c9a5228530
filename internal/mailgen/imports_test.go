package mailgen

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps mailgen on the standard library, as any package's tests may use it.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
