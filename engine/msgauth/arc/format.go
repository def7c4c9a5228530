package arc

// Writing the three ARC header fields. Every field is hashed only in
// relaxed form (RFC 8617 §4.1.3; our AMS always says c=relaxed/relaxed),
// so folding at an existing space never changes a signature. Folds that
// add whitespace (inside h= and b=, where RFC 6376 allows FWS) are decided
// before signing and kept after, so what was signed is what is sent.

import (
	"slices"
	"strings"
)

// layout is how the sealer writes its fields.
type layout uint8

const (
	// layoutWire is what Seal sends: tags in the order of RFC 8617's ABNF
	// (i= first), b= last so that its value can be folded freely, lines
	// folded before 78 columns (RFC 5322 §2.1.1).
	layoutWire layout = iota
	// layoutSuite is the arc_test_suite's standardized form: tags sorted
	// by name, one line, "; " between tags. Only the suite tests use it,
	// to compare signatures byte for byte.
	layoutSuite
	layoutCount
)

// lineMax is the folding target, RFC 5322 §2.1.1's 78 characters.
const lineMax = 78

// tagKV is one tag to write.
type tagKV struct {
	name, value string
}

// folder appends words to a header field, breaking lines before lineMax.
// A continuation line starts with a tab (counted as 8 columns).
type folder struct {
	buf []byte
	col int
}

func newFolder(name string, size int) *folder {
	f := &folder{buf: make([]byte, 0, size+len(name)+32)}
	f.buf = append(f.buf, name...)
	f.buf = append(f.buf, ':')
	f.col = len(name) + 1
	return f
}

// fold starts a continuation line.
func (f *folder) fold() {
	f.buf = append(f.buf, "\r\n\t"...)
	f.col = 8
}

// word appends w after a space, or after a fold (in place of the space)
// when w would pass lineMax.
func (f *folder) word(w string) {
	if f.col+1+len(w) > lineMax && f.col > 8 {
		f.fold()
	} else {
		f.buf = append(f.buf, ' ')
		f.col++
	}
	f.buf = append(f.buf, w...)
	f.col += len(w)
}

// glued appends w right after what precedes it, folding first when w
// would pass lineMax. The fold adds whitespace, so glued is only for
// places where a value may hold FWS.
func (f *folder) glued(w string) {
	if f.col+len(w) > lineMax && f.col > 8 {
		f.fold()
	}
	f.buf = append(f.buf, w...)
	f.col += len(w)
}

func (f *folder) end() []byte { return append(f.buf, "\r\n"...) }

// formatSig writes an AMS or AS with the given tags; b= must be the last
// tag. Called once with an empty b= to get the text to sign, and again
// with the signature: both calls write the same bytes up to b=.
func formatSig(name string, tags []tagKV, lay layout) []byte {
	if lay == layoutSuite {
		sorted := slices.Clone(tags)
		slices.SortFunc(sorted, func(a, b tagKV) int { return strings.Compare(a.name, b.name) })
		parts := make([]string, len(sorted))
		for i, t := range sorted {
			parts[i] = t.name + "=" + t.value
		}
		return []byte(name + ": " + strings.Join(parts, "; ") + "\r\n")
	}
	f := newFolder(name, 64*len(tags))
	for _, t := range tags[:len(tags)-1] {
		if t.name == "h" {
			writeHeaderList(f, t.value)
			continue
		}
		f.word(t.name + "=" + t.value + ";")
	}
	b := tags[len(tags)-1]
	f.word(b.name + "=")
	for v := b.value; len(v) > 0; {
		if lineMax-f.col < 16 {
			f.fold()
		}
		n := min(len(v), lineMax-f.col)
		f.glued(v[:n])
		v = v[n:]
	}
	return f.end()
}

// writeHeaderList writes h= with each name as a glued word, so that a
// long list folds before a colon (FWS is allowed there, RFC 6376 §3.5).
func writeHeaderList(f *folder, list string) {
	names := strings.Split(list, ":")
	for i, n := range names {
		w := n
		if i == 0 {
			w = "h=" + n
		} else {
			w = ":" + n
		}
		if i == len(names)-1 {
			w += ";"
		}
		if i == 0 {
			f.word(w)
		} else {
			f.glued(w)
		}
	}
}

// formatAAR writes the ARC-Authentication-Results field. value is
// already in relaxed form (single spaces, no CR or LF), so folding it at
// its spaces changes nothing the seal covers.
func formatAAR(value string, lay layout) []byte {
	const name = "ARC-Authentication-Results"
	if lay == layoutSuite {
		return []byte(name + ": " + value + "\r\n")
	}
	f := newFolder(name, len(value))
	for w := range strings.SplitSeq(value, " ") {
		f.word(w)
	}
	return f.end()
}
