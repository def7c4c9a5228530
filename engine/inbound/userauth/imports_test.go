package userauth

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports allows only engine/config and golang.org/x/crypto.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/config", "golang.org/x/crypto/..."))
}
