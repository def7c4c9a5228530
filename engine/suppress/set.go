package suppress

import (
	"errors"
	"slices"
)

// Set is the lists that apply to mail: global lists, checked for every
// recipient (the Store's list, where hard bounces, complaints and the
// API's additions go), and named lists, checked only where a source's
// suppression-lists names them (config's <address-list> blocks), as in
// PowerMTA, where a source without suppression-lists checks none of them.
//
// A Set is immutable and safe from any goroutine; its lists change under
// it. On a config reload build a new Set with the same global lists and
// publish it as the config is published.
type Set struct {
	global []*List
	named  []*List
}

// NewSet returns the Set of the given lists. Names must be unique across
// both kinds.
func NewSet(global, named []*List) (*Set, error) {
	seen := map[string]bool{}
	for _, l := range slices.Concat(global, named) {
		if seen[l.name] {
			return nil, errors.New("suppress: two lists named " + quote(l.name))
		}
		seen[l.name] = true
	}
	return &Set{global: slices.Clone(global), named: slices.Clone(named)}, nil
}

// List returns the list called name, or nil.
func (s *Set) List(name string) *List {
	for _, l := range slices.Concat(s.global, s.named) {
		if l.name == name {
			return l
		}
	}
	return nil
}

// Lists returns every list, global ones first.
func (s *Set) Lists() []*List { return slices.Concat(s.global, s.named) }

// Unknown returns the names in names that are no list of s, for config
// validation: Check ignores them.
func (s *Set) Unknown(names []string) []string {
	var out []string
	for _, n := range names {
		if s.List(n) == nil {
			out = append(out, n)
		}
	}
	return out
}

// Check reports whether addr is suppressed for a source whose
// suppression-lists are names: on a global list or on a named list whose
// name is in names. Global lists are checked first, then named ones in
// the order given to NewSet. The address is normalised and hashed once
// whatever the number of lists. Check does not allocate for an ASCII
// address of up to 256 bytes.
func (s *Set) Check(addr string, names []string) (Match, bool) {
	var p probe
	p.init(addr)
	for _, l := range s.global {
		if k, ok := l.check(&p); ok {
			return Match{List: l.name, Kind: k}, true
		}
	}
	for _, l := range s.named {
		if slices.Contains(names, l.name) {
			if k, ok := l.check(&p); ok {
				return Match{List: l.name, Kind: k}, true
			}
		}
	}
	return Match{}, false
}

// CheckAll reports whether addr is on any list of s, for the CLI's
// `suppress check` and callers that do not know the source.
func (s *Set) CheckAll(addr string) (Match, bool) {
	var p probe
	p.init(addr)
	for _, lists := range [2][]*List{s.global, s.named} {
		for _, l := range lists {
			if k, ok := l.check(&p); ok {
				return Match{List: l.name, Kind: k}, true
			}
		}
	}
	return Match{}, false
}
