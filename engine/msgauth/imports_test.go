package msgauth

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/msgauth at layer L0: config (its keys and
// settings) and its own arc package from the module; go-msgauth and the
// SPF library outside it.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf(
		"engine/config", "engine/msgauth/arc",
		"github.com/emersion/go-msgauth/...",
		"blitiri.com.ar/go/spf",
	))
}
