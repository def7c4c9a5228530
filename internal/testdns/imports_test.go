package testdns

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps testdns on the standard library and miekg/dns (its probe).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("github.com/miekg/dns"))
}
