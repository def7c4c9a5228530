package config

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/config at layer L0 (STYLE.md §2): the standard library only.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf())
}
