package fbl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// xarfRules holds every XARF schema's rules. They are built once, on first
// use, and never change after.
type xarfRules struct {
	abusix [abusixVersionCount]*abusixRules
	legacy *schema
	v4     *v4Rules
}

var allRules = sync.OnceValue(func() *xarfRules {
	r := &xarfRules{legacy: newLegacyRules(), v4: newV4Rules()}
	for v := range abusixVersionCount {
		r.abusix[v] = newAbusixRules(v)
	}
	return r
})

// ValidateXARF reports whether doc, one XARF JSON document, meets the rules
// of the published schema for its version: nil if it does, a *SchemaError
// naming the first offending value if not, or an error wrapping
// ErrMalformed if doc is not one JSON object.
//
// The version picks the schema. "xarf_version" 4.x.y: XARF v4 (the core,
// the category and type pair, and for messaging reports their type rules).
// Otherwise "Version": "1", "2", "3", "development", or none for the
// alpha schema: the abusix XARF schemas, all rules, every report type. A
// "3" or "3.0" document may also meet the XARF v3 legacy schema instead.
func ValidateXARF(doc []byte) error {
	v, err := decodeJSON(doc)
	if err != nil {
		return err
	}
	return validateXARF(v)
}

func validateXARF(v any) error {
	doc, ok := v.(map[string]any)
	if !ok {
		return fail("", "not a JSON object")
	}
	r := allRules()
	if _, ok := doc["xarf_version"]; ok {
		return r.v4.check(doc)
	}
	ver, ok := doc["Version"]
	if !ok {
		return r.abusix[abusixAlpha].check(doc, abusixAlpha)
	}
	name, _ := ver.(string)
	switch name {
	case "3":
		err := r.abusix[abusix3].check(doc, abusix3)
		if err != nil && r.legacy.check(doc, "") == nil {
			return nil
		}
		return err
	case "3.0":
		return r.legacy.check(doc, "")
	}
	for i, n := range abusixVersionNames {
		if n == name {
			return r.abusix[i].check(doc, abusixVersion(i))
		}
	}
	return fail("Version", "not a XARF version this package knows")
}

// decodeJSON decodes exactly one JSON value, keeping numbers as written so
// that integers and their bounds are checked without rounding.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: xarf JSON: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: xarf JSON: data after the document", ErrMalformed)
	}
	return v, nil
}
