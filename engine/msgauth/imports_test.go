package msgauth

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/msgauth at layer L0: config (its keys and
// settings) and its own arc package from the module; go-msgauth, the
// SPF library and the Public Suffix List outside it.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf(
		"engine/config", "engine/msgauth/arc",
		"github.com/emersion/go-msgauth/...",
		"blitiri.com.ar/go/spf",
		"golang.org/x/net/publicsuffix",
	))
}
