package fbl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary messages to Parse. Besides not panicking, a
// result keeps the package's promises: an error is ErrNotFeedback or
// ErrMalformed; a report has a form and a type, clean complainer
// addresses, Suppress exactly by the whitelist rule, and parsing again
// gives the same report. Seeds: the synthetic reports of the tests, and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(arfReport(abuseFields, testOriginal))
	f.Add(arfReport(strings.Replace(abuseFields, "abuse", "not-spam", 1), testOriginal))
	f.Add(xarfMail(withOriginal(abusixSpam)))
	f.Add(withOriginal(v4Spam))
	f.Add([]byte(legacySpam))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := Parse(msg)
		if err != nil {
			if !errors.Is(err, ErrNotFeedback) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if r.Format == FormatNone || r.FeedbackType == FeedbackNone {
			t.Fatalf("report without form or type: %+v", r)
		}
		for _, c := range r.Complainers {
			if cleanAddress(c) != c {
				t.Fatalf("complainer %q is not a clean address", c)
			}
		}
		if r.Suppress != (r.FeedbackType.Complaint() && len(r.Complainers) > 0) {
			t.Fatalf("Suppress %v breaks the whitelist rule: %+v", r.Suppress, r)
		}
		again, err := Parse(msg)
		if err != nil || again.FeedbackType != r.FeedbackType || !slices.Equal(again.Complainers, r.Complainers) ||
			again.Job != r.Job || again.MessageID != r.MessageID {
			t.Fatalf("second parse differs: %+v, %v", again, err)
		}
	})
}

// FuzzValidateXARF checks that validation never panics and that every
// failure is a SchemaError or ErrMalformed.
func FuzzValidateXARF(f *testing.F) {
	f.Add(withOriginal(abusixSpam))
	f.Add(withOriginal(v4Spam))
	f.Add([]byte(legacySpam))
	f.Add([]byte(`{"Version": "3", "Report": {"ReportClass": "Activity", "ReportType": "Exploit", "CVSS": {"Version": "2"}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := ValidateXARF(doc)
		var se *SchemaError
		if err != nil && !errors.As(err, &se) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}
