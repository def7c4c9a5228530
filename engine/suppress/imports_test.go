package suppress

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/suppress at layer L0 with no module imports:
// callers hand it config values as plain strings.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
