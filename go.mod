module github.com/volleymta/volley

go 1.26.0

require (
	github.com/pawelgaczynski/giouring v0.0.0-20230826085535-69588b89acb9
	golang.org/x/sys v0.49.0
)
