package bounce

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/bounce at layer L0 (STYLE.md §2): the standard
// library, spool for the message model, and engine/config.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("spool", "engine/config"))
}
