package bounce

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Accuracy the classifier must keep on the public bounce corpus.
const (
	minCategoryAccuracy = 0.90
	minHardSoftAccuracy = 0.95
)

// expectedBounce is one row of the corpus's expected.tsv: what another
// classifier decided for the file, with its reason mapped to a category
// ("" where no single category fits).
type expectedBounce struct {
	file, reason, status, hardSoft, category string
}

// reasonLink matches the corpus's links to its own reason pages, which
// name the answer; they are blanked so that no rule can read it.
var reasonLink = regexp.MustCompile(`(?i)https?://libsisimai\.org/\S*`)

// TestCorpusAccuracy classifies every bounce of the corpus and compares
// category, hard/soft and status with the expected answers, logging a
// table per category and failing below the required accuracy.
func TestCorpusAccuracy(t *testing.T) {
	dir := filepath.Join(corpusDir, "bounces")
	rows := readExpected(t, filepath.Join(dir, "expected.tsv"))

	type tally struct{ n, ok int }
	perCat := map[string]*tally{}
	var cat, hs, st tally
	var misses []string
	for _, e := range rows {
		raw, err := os.ReadFile(filepath.Join(dir, e.file))
		if err != nil {
			t.Errorf("%s: %v", e.file, err)
			continue
		}
		raw = reasonLink.ReplaceAll(raw, []byte("https://example.com/"))
		got := Classify(raw, nil)
		if len(got) == 0 {
			misses = append(misses, fmt.Sprintf("%s: nothing classified", e.file))
			got = []Classification{{Category: "(none)", Status: "-"}}
		}
		c := got[0]
		if e.category != "" {
			tl := perCat[e.category]
			if tl == nil {
				tl = &tally{}
				perCat[e.category] = tl
			}
			tl.n++
			cat.n++
			if c.Category == e.category {
				tl.ok++
				cat.ok++
			} else {
				misses = append(misses, fmt.Sprintf("%s: category %s, want %s (%s) [%s %s]", e.file, c.Category, e.category, e.reason, c.Status, clip(c.Diagnostic, 120)))
			}
		}
		hs.n++
		if c.HardSoft() == e.hardSoft {
			hs.ok++
		} else {
			misses = append(misses, fmt.Sprintf("%s: %s, want %s (%s, %s) [%s %s]", e.file, c.HardSoft(), e.hardSoft, e.reason, c.Category, c.Status, clip(c.Diagnostic, 120)))
		}
		// The corpus writes x.0.9yz for reasons no code names; those are its own, not the bounce's.
		if !strings.Contains(e.status, ".0.9") {
			st.n++
			if c.Status == e.status {
				st.ok++
			}
		}
	}
	sort.Strings(misses)
	for _, m := range misses {
		t.Log("miss: " + m)
	}

	names := make([]string, 0, len(perCat))
	for k := range perCat {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-22s %5s %7s %7s\n", "category", "n", "correct", "%")
	for _, k := range names {
		tl := perCat[k]
		fmt.Fprintf(&b, "%-22s %5d %7d %6.1f%%\n", k, tl.n, tl.ok, pct(tl.ok, tl.n))
	}
	fmt.Fprintf(&b, "%-22s %5d %7d %6.1f%%\n", "overall category", cat.n, cat.ok, pct(cat.ok, cat.n))
	fmt.Fprintf(&b, "%-22s %5d %7d %6.1f%%\n", "hard/soft", hs.n, hs.ok, pct(hs.ok, hs.n))
	fmt.Fprintf(&b, "%-22s %5d %7d %6.1f%%\n", "status (informative)", st.n, st.ok, pct(st.ok, st.n))
	t.Log(b.String())

	if pct(cat.ok, cat.n) < 100*minCategoryAccuracy {
		t.Errorf("category accuracy %.1f%%, want at least %.0f%%", pct(cat.ok, cat.n), 100*minCategoryAccuracy)
	}
	if pct(hs.ok, hs.n) < 100*minHardSoftAccuracy {
		t.Errorf("hard/soft accuracy %.1f%%, want at least %.0f%%", pct(hs.ok, hs.n), 100*minHardSoftAccuracy)
	}
}

// readExpected reads expected.tsv, skipping t when the corpus is absent.
func readExpected(t *testing.T, path string) []expectedBounce {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	var rows []expectedBounce
	sc := bufio.NewScanner(bytes.NewReader(data))
	for first := true; sc.Scan(); first = false {
		f := strings.Split(sc.Text(), "\t")
		if first || len(f) < 4 {
			continue
		}
		for len(f) < 5 {
			f = append(f, "")
		}
		rows = append(rows, expectedBounce{f[0], f[1], f[2], f[3], f[4]})
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no rows", path)
	}
	return rows
}

func pct(ok, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(ok) / float64(n)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
