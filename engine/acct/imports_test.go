package acct

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/acct at layer L0 (STYLE.md §2): the standard library,
// engine/config and the SipHash leaf.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/config", "internal/siphash"))
}
