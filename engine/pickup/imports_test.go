package pickup

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/pickup at layer L2: spool, smtpwire, config and fsnotify (Pebble comes with spool).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("spool", "smtpwire", "engine/config", "github.com/fsnotify/fsnotify"))
}
