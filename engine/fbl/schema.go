package fbl

import (
	"encoding/json"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"
)

// kind is a JSON Schema "type".
type kind uint8

const (
	anyKind kind = iota
	stringKind
	integerKind
	numberKind
	boolKind
	objectKind
	arrayKind
	kindCount
)

var kindNames = [kindCount]string{"any", "a string", "an integer", "a number", "a boolean", "an object", "an array"}

// schema is one node of a JSON Schema, built in Go. It evaluates the subset
// of draft-07 and 2020-12 keywords that the published XARF schemas use,
// with their JSON Schema meaning: every keyword constrains only the values
// of the JSON types it applies to (properties only objects, pattern only
// strings, and so on), an absent property satisfies its subschema, and
// additionalProperties sees only the properties listed in the same node.
//
// The XARF rules are written with these nodes (xarf_abusix.go,
// xarf_v4.go) rather than read from the schema files, which are test data:
// the tests hold the rules against the published samples.
type schema struct {
	kind     kind
	enum     []string // allowed values (enum and const); all XARF enums are strings
	format   stringFormat
	pattern  *regexp.Regexp
	minLen   int // in characters, as JSON Schema counts
	maxLen   int // 0: no limit
	min, max *float64

	props    []prop
	required []string
	closed   bool    // additionalProperties: false
	extra    *schema // additionalProperties as a schema
	minProps int

	items              *schema
	minItems, maxItems int // maxItems 0: no limit

	allOf, anyOf, oneOf []*schema
	not                 *schema
	ifS, thenS, elseS   *schema
}

type prop struct {
	name string
	s    *schema
}

// SchemaError says where a XARF document breaks its schema and how.
type SchemaError struct {
	Path string // the offending value: "Report.Samples[0].Payload"; "" for the document itself
	Msg  string
}

func (e *SchemaError) Error() string {
	if e.Path == "" {
		return "fbl: xarf: " + e.Msg
	}
	return "fbl: xarf: " + e.Path + ": " + e.Msg
}

func fail(path, msg string) error { return &SchemaError{Path: path, Msg: msg} }

// detail is err without the package prefix, to nest in another error.
func detail(err error) string {
	se, ok := err.(*SchemaError)
	switch {
	case !ok:
		return err.Error()
	case se.Path == "":
		return se.Msg
	}
	return se.Path + ": " + se.Msg
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// check returns nil when v, a value decoded by encoding/json with
// UseNumber, satisfies s, else the first violation it finds.
func (s *schema) check(v any, path string) error {
	if s.kind != anyKind && !hasKind(v, s.kind) {
		return fail(path, "not "+kindNames[s.kind])
	}
	if s.enum != nil {
		if err := s.checkEnum(v, path); err != nil {
			return err
		}
	}
	var err error
	switch x := v.(type) {
	case string:
		err = s.checkString(x, path)
	case json.Number:
		err = s.checkNumber(x, path)
	case map[string]any:
		err = s.checkObject(x, path)
	case []any:
		err = s.checkArray(x, path)
	}
	if err != nil {
		return err
	}
	return s.checkCombined(v, path)
}

func (s *schema) checkEnum(v any, path string) error {
	if str, ok := v.(string); ok {
		for _, e := range s.enum {
			if str == e {
				return nil
			}
		}
	}
	if len(s.enum) == 1 {
		return fail(path, "not "+strconv.Quote(s.enum[0]))
	}
	return fail(path, "not one of the allowed values")
}

func (s *schema) checkString(x, path string) error {
	if s.minLen > 0 || s.maxLen > 0 {
		n := utf8.RuneCountInString(x)
		if n < s.minLen {
			return fail(path, "shorter than "+strconv.Itoa(s.minLen)+" characters")
		}
		if s.maxLen > 0 && n > s.maxLen {
			return fail(path, "longer than "+strconv.Itoa(s.maxLen)+" characters")
		}
	}
	if s.format != fmtNone && !s.format.valid(x) {
		return fail(path, "not a valid "+s.format.String())
	}
	if s.pattern != nil && !s.pattern.MatchString(x) {
		return fail(path, "does not match "+s.pattern.String())
	}
	return nil
}

func (s *schema) checkNumber(x json.Number, path string) error {
	if s.min == nil && s.max == nil {
		return nil
	}
	f, err := strconv.ParseFloat(string(x), 64)
	if err != nil {
		return fail(path, "not a number")
	}
	if s.min != nil && f < *s.min {
		return fail(path, "below "+strconv.FormatFloat(*s.min, 'f', -1, 64))
	}
	if s.max != nil && f > *s.max {
		return fail(path, "above "+strconv.FormatFloat(*s.max, 'f', -1, 64))
	}
	return nil
}

func (s *schema) checkObject(x map[string]any, path string) error {
	for _, name := range s.required {
		if _, ok := x[name]; !ok {
			return fail(join(path, name), "required")
		}
	}
	if len(x) < s.minProps {
		return fail(path, "needs at least "+strconv.Itoa(s.minProps)+" properties")
	}
	for _, p := range s.props {
		if v, ok := x[p.name]; ok {
			if err := p.s.check(v, join(path, p.name)); err != nil {
				return err
			}
		}
	}
	if !s.closed && s.extra == nil {
		return nil
	}
	for _, name := range sortedKeys(x) { // sorted: the same document gives the same error
		if s.listed(name) {
			continue
		}
		if s.closed {
			return fail(join(path, name), "not allowed here")
		}
		if err := s.extra.check(x[name], join(path, name)); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(x map[string]any) []string { return slices.Sorted(maps.Keys(x)) }

func (s *schema) listed(name string) bool {
	for _, p := range s.props {
		if p.name == name {
			return true
		}
	}
	return false
}

func (s *schema) checkArray(x []any, path string) error {
	if len(x) < s.minItems {
		return fail(path, "needs at least "+strconv.Itoa(s.minItems)+" items")
	}
	if s.maxItems > 0 && len(x) > s.maxItems {
		return fail(path, "has more than "+strconv.Itoa(s.maxItems)+" items")
	}
	if s.items != nil {
		for i, v := range x {
			if err := s.items.check(v, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCombined applies allOf, anyOf, oneOf, not and if/then/else.
func (s *schema) checkCombined(v any, path string) error {
	for _, sub := range s.allOf {
		if err := sub.check(v, path); err != nil {
			return err
		}
	}
	if len(s.anyOf) > 0 {
		var first error
		for _, sub := range s.anyOf {
			err := sub.check(v, path)
			if err == nil {
				first = nil
				break
			}
			if first == nil {
				first = err
			}
		}
		if first != nil {
			return fail(path, "matches none of the alternatives (first: "+detail(first)+")")
		}
	}
	if len(s.oneOf) > 0 {
		n, first := 0, error(nil)
		for _, sub := range s.oneOf {
			if err := sub.check(v, path); err == nil {
				n++
			} else if first == nil {
				first = err
			}
		}
		switch {
		case n == 0:
			return fail(path, "matches none of the alternatives (first: "+detail(first)+")")
		case n > 1:
			return fail(path, "matches more than one alternative")
		}
	}
	if s.not != nil && s.not.check(v, path) == nil {
		return fail(path, "matches a form that is not allowed here")
	}
	if s.ifS != nil {
		branch := s.elseS
		if s.ifS.check(v, path) == nil {
			branch = s.thenS
		}
		if branch != nil {
			return branch.check(v, path)
		}
	}
	return nil
}

// hasKind reports whether v is of JSON Schema type k. An integer is any
// number with no fractional part, 5.0 included, as JSON Schema defines it.
func hasKind(v any, k kind) bool {
	switch x := v.(type) {
	case string:
		return k == stringKind
	case bool:
		return k == boolKind
	case map[string]any:
		return k == objectKind
	case []any:
		return k == arrayKind
	case json.Number:
		if k == numberKind {
			return true
		}
		if k != integerKind {
			return false
		}
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return true
		}
		f, err := strconv.ParseFloat(string(x), 64)
		return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false // null satisfies no XARF type
}

// The builders below keep the rule tables short; each returns a new node.

func str() *schema                     { return &schema{kind: stringKind} }
func strFormat(f stringFormat) *schema { return &schema{kind: stringKind, format: f} }
func strMin(n int) *schema             { return &schema{kind: stringKind, minLen: n} }
func strMax(n int) *schema             { return &schema{kind: stringKind, maxLen: n} }
func strEnum(v ...string) *schema {
	return &schema{kind: stringKind, enum: v}
}
func strPattern(re *regexp.Regexp) *schema { return &schema{kind: stringKind, pattern: re} }
func boolean() *schema                     { return &schema{kind: boolKind} }
func integer() *schema                     { return &schema{kind: integerKind} }
func number() *schema                      { return &schema{kind: numberKind} }

// constant is JSON Schema's const (and an enum without a type): any other
// value, of any type, fails.
func constant(v ...string) *schema { return &schema{enum: v} }

func intRange(lo, hi float64) *schema { return &schema{kind: integerKind, min: &lo, max: &hi} }
func intMin(lo float64) *schema       { return &schema{kind: integerKind, min: &lo} }
func numRange(lo, hi float64) *schema { return &schema{kind: numberKind, min: &lo, max: &hi} }

func arrayOf(items *schema) *schema { return &schema{kind: arrayKind, items: items} }

// object builds {"type":"object","properties":{...}}; p pairs names with schemas.
func object(props ...prop) *schema { return &schema{kind: objectKind, props: props} }

// fields builds {"properties":{...}} with no type, for the branches of
// anyOf and if that the schemas write without one.
func fields(props ...prop) *schema { return &schema{props: props} }

func p(name string, s *schema) prop { return prop{name, s} }

func allOf(s ...*schema) *schema { return &schema{allOf: s} }
func anyOf(s ...*schema) *schema { return &schema{anyOf: s} }
func oneOf(s ...*schema) *schema { return &schema{oneOf: s} }
func not(s *schema) *schema      { return &schema{not: s} }
func requires(names ...string) *schema {
	return &schema{required: names}
}

// need sets required on s and returns it.
func (s *schema) need(names ...string) *schema { s.required = names; return s }

// only sets additionalProperties: false on s and returns it.
func (s *schema) only() *schema { s.closed = true; return s }

// otherValues sets additionalProperties to a schema and returns s.
func (s *schema) otherValues(v *schema) *schema { s.extra = v; return s }

// when sets if/then/else on s and returns it; els may be nil.
func (s *schema) when(cond, then, els *schema) *schema {
	s.ifS, s.thenS, s.elseS = cond, then, els
	return s
}
