package mgmt

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/mgmt at layer L4 beside the engine, which it
// does not import: it talks to it through Backend and engine/api's types.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/api", "engine/mgmt/web", "internal/testbrowser"))
}
