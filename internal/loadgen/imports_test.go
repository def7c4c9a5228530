package loadgen

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps the load harness on the standard library; its tests
// drive it with Volley's own SMTP client too.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("smtpwire"))
}
