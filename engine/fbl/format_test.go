package fbl

import "testing"

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		f     stringFormat
		value string
		valid bool
	}{
		{fmtDateTime, "2025-03-01T09:00:00Z", true},
		{fmtDateTime, "2025-03-01t09:00:00.123z", true},
		{fmtDateTime, "2025-03-01 09:00:00+01:00", true},
		{fmtDateTime, "2024-02-29T00:00:00-05:30", true},
		{fmtDateTime, "2025-02-29T00:00:00Z", false}, // not a leap year
		{fmtDateTime, "2025-03-01T09:00:00", false},  // RFC 3339 requires the zone
		{fmtDateTime, "2025-03-01T24:00:00Z", false},
		{fmtDateTime, "2025-03-01T09:00:00.Z", false},
		{fmtDateTime, "2025-03-01T09:00:00+0100", false},
		{fmtDateTime, "2025-12-31T23:59:60Z", true},
		{fmtDateTime, "2025-12-31T18:59:60-05:00", true}, // 23:59:60 UTC
		{fmtDateTime, "2025-12-31T23:58:60Z", false},
		{fmtDateTime, "This is not a date", false},
		{fmtEmail, "jane.doe+fbl@mail.example", true},
		{fmtEmail, "jane@localhost", false}, // a domain of one label
		{fmtEmail, "jane..doe@mail.example", false},
		{fmtEmail, "jane@-mail.example", false},
		{fmtEmail, "spamexample.com", false},
		{fmtHostname, "mail.example", true},
		{fmtHostname, "localhost", true},
		{fmtHostname, "mail.example.", true},
		{fmtHostname, "this is not a hostname", false},
		{fmtHostname, "a_b.example", false},
		{fmtHostname, "", false},
		{fmtIPv4, "192.0.2.1", true},
		{fmtIPv4, "192.0.2.01", false},
		{fmtIPv4, "198", false},
		{fmtIPv4, "2001:db8::1", false},
		{fmtIPv6, "2001:db8::1", true},
		{fmtIPv6, "::ffff:192.0.2.1", true},
		{fmtIPv6, "fe80::1%eth0", false},
		{fmtIPv6, "192.0.2.1", false},
		{fmtURI, "https://example.com/a?b=c#d", true},
		{fmtURI, "mailto:jane@mail.example", true},
		{fmtURI, "urn:isbn:0451450523", true},
		{fmtURI, "no", false},
		{fmtURI, "https://example.com/a b", false},
		{fmtURI, "https://example.com/%zz", false},
		{fmtURI, "1http://example.com", false},
		{fmtUUID, "6f1c3a9e-0c55-4b6e-9d3f-2a7e1b4c8d90", true},
		{fmtUUID, "urn:uuid:6F1C3A9E-0C55-4B6E-9D3F-2A7E1B4C8D90", true},
		{fmtUUID, "6f1c3a9e0c554b6e9d3f2a7e1b4c8d90", false},
	} {
		if got := tc.f.valid(tc.value); got != tc.valid {
			t.Errorf("%s %q: valid = %v, want %v", tc.f, tc.value, got, tc.valid)
		}
	}
}

// TestSchemaKeywords checks the JSON Schema meanings the rules rely on.
func TestSchemaKeywords(t *testing.T) {
	doc := func(s string) any {
		v, err := decodeJSON([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name  string
		s     *schema
		value string
		valid bool
	}{
		{"integer 5.0", integer(), "5.0", true},
		{"integer 1e3", integer(), "1e3", true},
		{"integer 5.5", integer(), "5.5", false},
		{"number for integer", number(), "5", true},
		{"null is no string", str(), "null", false},
		{"absent property passes", object(p("a", str())), `{}`, true},
		{"properties skip non-objects", fields(p("a", str())), `5`, true},
		{"format skips non-strings", &schema{format: fmtEmail}, `5`, true},
		{"const of any type", constant("3"), `3`, false},
		{"oneOf exactly one", oneOf(integer(), number()), `5`, false},
		{"oneOf one", oneOf(integer(), str()), `5`, true},
		{"anyOf", anyOf(integer(), str()), `true`, false},
		{"not", not(str()), `"x"`, false},
		{"closed", object(p("a", str())).only(), `{"a": "x", "b": 1}`, false},
		{"other values", object().otherValues(str()), `{"a": "x", "b": 1}`, false},
		{"if then", object().when(fields(p("k", constant("x"))), requires("v"), nil), `{"k": "x"}`, false},
		{"if vacuous", object().when(fields(p("k", constant("x"))), requires("v"), nil), `{}`, false},
		{"if else", object().when(fields(p("k", constant("x"))), nil, requires("w")), `{"k": "y"}`, false},
		{"characters not bytes", strMax(2), `"éé"`, true},
		{"min items", &schema{kind: arrayKind, minItems: 1}, `[]`, false},
	} {
		err := tc.s.check(doc(tc.value), "")
		if (err == nil) != tc.valid {
			t.Errorf("%s: check(%s) = %v, want valid=%v", tc.name, tc.value, err, tc.valid)
		}
	}
}
