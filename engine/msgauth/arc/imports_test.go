package arc

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/msgauth/arc at layer L0 with no engine package
// at all: the standard library, golang.org/x/crypto, go-msgauth's authres
// and, for the suite tests, the YAML reader.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("golang.org/x/crypto/...", "github.com/emersion/go-msgauth/authres", "go.yaml.in/yaml/v3"))
}
