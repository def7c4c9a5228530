package iouring

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports enforces STYLE.md §2: giouring, golang.org/x/sys and ringbuf, nothing else of the module.
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("ringbuf", "github.com/pawelgaczynski/giouring", "golang.org/x/sys/..."))
}
