package dns

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps engine/dns at layer L0 (STYLE.md §2): the standard
// library and miekg/dns, which brings golang.org/x/net (ipv4, ipv6, bpf)
// and golang.org/x/sys/unix with it (depcheck checks direct imports; those
// are miekg/dns's own).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("github.com/miekg/dns"))
}
