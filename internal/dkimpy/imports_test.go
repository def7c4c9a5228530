package dkimpy

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps dkimpy on the standard library; its tests also use mailgen (standard library too).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("internal/mailgen"))
}
