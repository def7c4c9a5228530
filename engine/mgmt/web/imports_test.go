package web

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps the monitor at the mgmt layer: it serves files and
// needs only the API's wire types, and those only in tests.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/api", "internal/testbrowser"))
}
