package metrics

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/metrics a low layer (DESIGN.md): the standard
// library, client_golang and what client_golang itself is built on; nothing
// of the module.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf(
		"github.com/prometheus/client_golang/...",
		"github.com/prometheus/client_model/...",
		"github.com/prometheus/common/...",
	))
}
