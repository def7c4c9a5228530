package pickup

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks, beyond not panicking, that a parsed file has valid
// receivers, a body in wire form that no longer starts with an envelope
// line, and an envelope that renders and parses back to itself.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in), tc.removeDot)
	}
	f.Fuzz(func(t *testing.T, in []byte, removeDot bool) {
		orig := bytes.Clone(in)
		env, body, err := Parser{RemoveDot: removeDot}.Parse(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("Parse modified its input")
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) && !errors.Is(err, ErrBSMTP) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(env.Receivers) == 0 || len(env.Receivers) > DefaultMaxRecipients {
			t.Fatalf("%d receivers", len(env.Receivers))
		}
		for _, r := range env.Receivers {
			if _, _, reason := parseAddr(r, false); reason != "" {
				t.Fatalf("receiver %q is invalid: %s", r, reason)
			}
		}
		if first, _ := nextLine(body, 0); kindOf(first) != hdrNone {
			t.Fatalf("body starts with envelope line %q", first)
		}
		if !bytes.HasSuffix(body, []byte("\r\n")) || bytes.Count(body, []byte("\n")) != bytes.Count(body, []byte("\r\n")) {
			t.Fatalf("body not in CRLF form: %q", body)
		}
		// Without RemoveDot a wire-form body parses to itself, so the whole
		// rendered file round-trips.
		re := append(AppendEnvelope(nil, &env), body...)
		env2, body2, err := Parser{}.Parse(re)
		if err != nil {
			t.Fatalf("reparse of %q: %v", re, err)
		}
		if !reflect.DeepEqual(env, env2) {
			t.Fatalf("round trip\n got %+v\nwant %+v", env2, env)
		}
		if !bytes.Equal(body, body2) {
			t.Fatalf("body round trip\n got %q\nwant %q", body2, body)
		}
	})
}
