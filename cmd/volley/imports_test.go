package main

import (
	"testing"

	"github.com/volleymta/volley/internal/depcheck"
)

// TestImports keeps the CLI off the daemon (STYLE.md §2): it speaks to
// volleyd through engine/api's types only. engine/config serves the
// offline configtest and engine/bounce (with the spool types its DSNs
// use) the offline bounce classify; internal/loadgen, the progress bar and the terminal
// check serve blast and sink, the load harness the issue asks to ship in
// the CLI (with a well-kept progress bar library).
func TestImports(t *testing.T) {
	depcheck.Allow(t, depcheck.OneOf("engine/api", "engine/config", "engine/bounce", "spool", "internal/loadgen", "internal/siphash",
		"github.com/schollz/progressbar/v3", "golang.org/x/term"))
}
