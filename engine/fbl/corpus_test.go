package fbl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds public feedback reports and XARF schemas with their
// samples (shared/corpus, outside the repository); tests that need it skip
// when it is absent.
const corpusDir = "../../../shared/corpus/"

// corpusFiles returns the files matching pattern under the corpus, or
// skips t when the corpus is absent.
func corpusFiles(t *testing.T, pattern string) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not present: %v", err)
	}
	files, err := filepath.Glob(corpusDir + pattern)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no corpus files match %s", pattern)
	}
	return files
}

// noComplainer lists the corpus reports whose copy of the original names
// no recipient at all: their To is a placeholder ("<Undisclosed
// Recipients>", "undisclosed") and the report has no Original-Rcpt-To.
var noComplainer = map[string]bool{
	"arf-11.eml":            true, // To: <Undisclosed Recipients>
	"arf-15.eml":            true, // To: "undisclosed"
	"kumomta/rfc5965/1.eml": true, // RFC 5965 Appendix B.1, To: <Undisclosed Recipients>
}

// TestCorpusARF parses every ARF report of the corpus: each gives a
// feedback type, and a complainer unless its original names none.
func TestCorpusARF(t *testing.T) {
	files := append(corpusFiles(t, "arf/*.eml"), corpusFiles(t, "arf/kumomta/rfc5965/*.eml")...)
	withComplainer := 0
	for _, f := range files {
		name := strings.TrimPrefix(f, corpusDir+"arf/")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if r.FeedbackType == FeedbackNone || r.RawType == "" {
				t.Errorf("no feedback type: %+v", r)
			}
			if len(r.Complainers) > 0 {
				withComplainer++
			}
			if noComplainer[name] != (len(r.Complainers) == 0) {
				t.Errorf("complainers %q (none expected: %v)", r.Complainers, noComplainer[name])
			}
			if want := r.FeedbackType.Complaint() && len(r.Complainers) > 0; r.Suppress != want {
				t.Errorf("Suppress %v for %s with %d complainers", r.Suppress, r.FeedbackType, len(r.Complainers))
			}
			t.Logf("%s %s %s complainers=%q from=%q id=%q ip=%v domain=%q by=%q", r.Format, r.FeedbackType,
				r.RawType, r.Complainers, r.MailFrom, r.MessageID, r.SourceIP, r.ReportedDomain, r.Reporter)
		})
	}
	t.Logf("ARF corpus: %d/%d parsed, %d with a complainer", len(files), len(files), withComplainer)
}

// TestCorpusARFFields pins what a few corpus reports say.
func TestCorpusARFFields(t *testing.T) {
	corpusFiles(t, "arf/*.eml")
	for _, tc := range []struct {
		file        string
		format      Format
		typ         FeedbackType
		complainers string
		mailFrom    string
		messageID   string
		suppress    bool
	}{
		{"arf/arf-02.eml", FormatARF, FeedbackAbuse, "this-local-part-does-not-exist-on-yahoo@yahoo.com",
			"shironeko@example.com", "000000000000000000000000.smtp@example.com", true},
		{"arf/arf-12.eml", FormatARF, FeedbackOptOut, "user@example.com", "", "", true},
		{"arf/arf-16.eml", FormatARF, FeedbackAbuse,
			"kijitora@example.com sironeko@example.com mikeneko@example.com sabatora@example.com sirokiji@example.org kuroneko@example.com sabineko@example.com",
			"neko@example.jp", "", true},
		{"arf/arf-18.eml", FormatARF, FeedbackAuthFailure, "kijitora@example.com", "sironeko@example.org", "", false},
		{"arf/arf-22.eml", FormatForwarded, FeedbackAbuse, "kijitora@example.com", "",
			"0000000000fffffffff0000000000000@example.com", true},
		{"arf/arf-26.eml", FormatUnsubscribe, FeedbackOptOut, "example@icloud.com", "", "", true},
		{"arf/kumomta/rfc5965/2.eml", FormatARF, FeedbackAbuse, "user@example.com", "somespammer@example.net",
			"8787KJKJ3K4J3K4J3K4J3.mail@example.net", true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(corpusDir + tc.file)
			if err != nil {
				t.Skip(err)
			}
			r, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(r.Complainers, " ")
			if r.Format != tc.format || r.FeedbackType != tc.typ || got != tc.complainers || r.Suppress != tc.suppress ||
				r.MailFrom != tc.mailFrom || tc.messageID != "" && r.MessageID != tc.messageID {
				t.Errorf("got %s %s %q suppress=%v from=%q id=%q", r.Format, r.FeedbackType, got, r.Suppress,
					r.MailFrom, r.MessageID)
			}
		})
	}
}

// TestCorpusXARFAbusix validates the abusix XARF samples: every positive
// sample meets its schema's rules, every negative one breaks them.
func TestCorpusXARFAbusix(t *testing.T) {
	for _, set := range []struct {
		glob  string
		valid bool
	}{{"xarf/abusix/samples/positive/*/*.json", true}, {"xarf/abusix/samples/negative/*/*.json", false}} {
		files := corpusFiles(t, set.glob)
		ok := 0
		for _, f := range files {
			name := strings.TrimPrefix(f, corpusDir+"xarf/abusix/samples/")
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			err = ValidateXARF(doc)
			if (err == nil) != set.valid {
				t.Errorf("%s: ValidateXARF = %v, want valid=%v", name, err, set.valid)
				continue
			}
			ok++
			if !set.valid {
				checkNegativeReason(t, name, err)
			}
			if set.valid {
				checkParsesXARF(t, name, doc)
			}
		}
		t.Logf("%s: %d/%d as expected", set.glob, ok, len(files))
	}
}

// TestCorpusXARFSpec validates the xarf.org samples. Every v4 sample
// meets the v4 rules. The v3 samples there do not meet the v3 legacy
// schema published beside them ("Version": "3.0.0" is not one of its "3"
// and "3.0", and they use fields its closed objects do not list); Parse
// still reads them.
func TestCorpusXARFSpec(t *testing.T) {
	for _, f := range corpusFiles(t, "xarf/samples/v4/*.json") {
		name := strings.TrimPrefix(f, corpusDir+"xarf/samples/")
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateXARF(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		checkParsesXARF(t, name, doc)
	}
	for _, f := range corpusFiles(t, "xarf/samples/v3/*.json") {
		name := strings.TrimPrefix(f, corpusDir+"xarf/samples/")
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var se *SchemaError
		if err := ValidateXARF(doc); !errors.As(err, &se) || se.Path != "Version" {
			t.Errorf("%s: ValidateXARF = %v, want a Version error", name, err)
		}
		checkParsesXARF(t, name, doc)
	}
}

// negativeReasons gives, per negative sample name (the same in every
// version), the paths its first violation may be at: the fault its name
// announces, or in a few files an earlier fault in the same file (the
// missing_reporter_props files also lack Disclosure). A path with a dot
// also admits the values inside it; one ending in a dot only those.
var negativeReasons = map[string][]string{
	"harassment_sample_no_description": {"Report"}, // also a ReportType no schema has
	"harassment_sample_no_harasser":    {"Report"},
	"invalid_additional_fields":        {"Report.Custom."},
	"invalid_b64_flag":                 {"Report.Samples[0]"},
	"invalid_byte_count":               {"Report.ByteCount", "Report.PacketCount"},
	"invalid_date":                     {"Report.Date"},
	"invalid_destination":              {"Report.DestinationIp", "Report.DestinationPort"},
	"invalid_destination2":             {"Report.DestinationIp", "Report.DestinationPort"},
	"invalid_email_as_identifier_potentially_compromised_account": {"Report.Account.AccountIdentifier", "Report"},
	"invalid_emails":                                      {"Report.SmtpMailFromAddress", "Report.SmtpRcptToAddress"},
	"invalid_empty":                                       {"ReporterInfo", "Disclosure"},
	"invalid_empty_account":                               {"Report.Account"},
	"invalid_exploit_wrong_cve":                           {"Report.CVE"},
	"invalid_exploit_wrong_vector":                        {"Report.CVSS.Vector"},
	"invalid_exploit_wrong_version":                       {"Report.CVSS.Version"},
	"invalid_file_hash":                                   {"Report.FileHash"},
	"invalid_file_info":                                   {"Report.FileSize"},
	"invalid_first_seen":                                  {"Report.FirstSeen"},
	"invalid_host_name":                                   {"Report.RpzDomain"},
	"invalid_infringed_props":                             {"Report.InfringedMaterial", "Report.SourceUrl", "Report.MaterialType", "Report.CourtOrder"},
	"invalid_internal_processing_wrong_data_type":         {"InternalProcessing."},
	"invalid_ip":                                          {"Report.SourceIp", "Report.SourcePort", "Report.ASN"},
	"invalid_ip2":                                         {"Report", "Report.SourceIp", "Report.ASN"},
	"invalid_missing_account":                             {"Report.Account"},
	"invalid_missing_report":                              {"Report"},
	"invalid_missing_report_class_report_type":            {"Report.ReportClass", "Report.ReportType"},
	"invalid_missing_reporter":                            {"ReporterInfo"},
	"invalid_missing_reporter_props":                      {"ReporterInfo", "Disclosure"},
	"invalid_missing_reporter_props2":                     {"ReporterInfo", "Disclosure"},
	"invalid_missing_reporter_props3":                     {"ReporterInfo", "Disclosure"},
	"invalid_missing_reporter_props4":                     {"ReporterInfo", "Disclosure"},
	"invalid_missing_reporter_props5":                     {"ReporterInfo", "Disclosure"},
	"invalid_missing_url":                                 {"Report.SourceUrl"},
	"invalid_on_behalf_of":                                {"OnBehalfOf."},
	"invalid_openservice":                                 {"Report.ServiceName", "Report.ServiceVersion"},
	"invalid_openservice2":                                {"Report.TransportProtocol"},
	"invalid_openservice3":                                {"Report.ServiceName", "Report.ServiceVersion"},
	"invalid_openservice4":                                {"Report.ServiceName"},
	"invalid_openservice_missing_service":                 {"Report.ServiceName"},
	"invalid_ports":                                       {"Report.SourcePort", "Report.DestinationPort"},
	"invalid_report_class_report_type":                    {"Report.ReportClass", "Report.ReportType"},
	"invalid_report_class_report_type2":                   {"Report.ReportClass", "Report.ReportType"},
	"invalid_report_part":                                 {"Report.Date", "Report.SourceIp", "Report.SourceUrl", "Report.InfringedMaterial"},
	"invalid_reporter_info":                               {"ReporterInfo."},
	"invalid_reporter_metadata":                           {"Report.ReporterCaseID", "Report.ReporterSeverity", "Report.ReporterNotes"},
	"invalid_reporter_metadata2":                          {"Report.ReporterCaseID", "Report.ReporterSeverity", "Report.ReporterNotes"},
	"invalid_sample":                                      {"Report.Samples"},
	"invalid_sample_2":                                    {"Report.Samples"},
	"invalid_type":                                        {"Report.ReportClass", "Report"},
	"invalid_used_ip_in_potentially_compromised_account":  {"Report.Account.AccountIdentifier", "Report"},
	"invalid_used_url_in_potentially_compromised_account": {"Report"},
	"invalid_version":                                     {"Version"},
}

// checkNegativeReason fails t unless err is a SchemaError at a path that
// negativeReasons expects for the sample: a negative sample must be
// rejected for its own fault, not for a rule written too strictly.
func checkNegativeReason(t *testing.T, name string, err error) {
	t.Helper()
	base := strings.TrimSuffix(filepath.Base(name), ".json")
	var se *SchemaError
	if !errors.As(err, &se) {
		t.Errorf("%s: %v is not a *SchemaError", name, err)
		return
	}
	want, ok := negativeReasons[base]
	if !ok {
		t.Errorf("%s: no expected reason listed; got %v", name, err)
		return
	}
	for _, w := range want {
		nested := strings.Contains(w, ".") && (strings.HasPrefix(se.Path, w+".") || strings.HasPrefix(se.Path, w+"["))
		if se.Path == w || strings.HasSuffix(w, ".") && strings.HasPrefix(se.Path, w) || nested {
			return
		}
	}
	t.Errorf("%s: rejected at %q (%s), want one of %q", name, se.Path, se.Msg, want)
}

// checkParsesXARF parses doc as a bare document and as the JSON part of
// an ARF report, and expects the same report from both.
func checkParsesXARF(t *testing.T, name string, doc []byte) {
	t.Helper()
	bare, err := Parse(doc)
	if err != nil {
		t.Errorf("%s: Parse: %v", name, err)
		return
	}
	if bare.Format != FormatXARF || bare.FeedbackType == FeedbackNone || bare.RawType == "" {
		t.Errorf("%s: Parse = %+v", name, bare)
	}
	inMail, err := Parse(xarfMail(doc))
	if err != nil {
		t.Errorf("%s: Parse in mail: %v", name, err)
		return
	}
	if inMail.RawType != bare.RawType || strings.Join(inMail.Complainers, ",") != strings.Join(bare.Complainers, ",") ||
		inMail.Suppress != bare.Suppress || (inMail.SchemaErr == nil) != (bare.SchemaErr == nil) {
		t.Errorf("%s: in mail %+v, bare %+v", name, inMail, bare)
	}
}
