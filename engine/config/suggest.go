package config

// Suggestions for misspelt names, so that an unknown directive or block says what was
// probably meant: `unknown directive "max-smtp-outt" (did you mean "max-smtp-out"?)`.

// topBlockKinds are the blocks allowed at the top level, for suggestions.
var topBlockKinds = []string{
	"acct-file", "address-list", "bounce-category-patterns", "bounce-processor", "dns", "domain",
	"feedback-loop-processor", "mx-rollup-list", "pattern-list", "proxy", "rewrite-list", "smtp-listener", "smtp-pattern-list", "smtp-user", "source", "source-group",
	"spool", "transmissions-api", "transmissions-api-listener", "virtual-mta", "virtual-mta-pool",
}

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to name, or "" when
// none is close: at most a third of the name's length in edits, and never more than 3.
func didYouMean(name string, candidates func(yield func(string) bool)) string {
	best, bestDist := "", len(name)/3+1
	if bestDist > 4 {
		bestDist = 4
	}
	for c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + quoted(best) + "?)"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// directiveNames yields every directive name: a near miss may also be in the wrong block,
// which the next run reports with where it belongs.
func (b *modelBuilder) directiveNames(yield func(string) bool) {
	for name := range b.table {
		if !yield(name) {
			return
		}
	}
}

// blockNames yields the top-level block kinds.
func blockNames(yield func(string) bool) {
	for _, k := range topBlockKinds {
		if !yield(k) {
			return
		}
	}
}
