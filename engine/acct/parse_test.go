package acct

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// TestRoundTrip writes a record of every type through one file holding all types and
// reads them back equal, with ISO and with time_t times.
func TestRoundTrip(t *testing.T) {
	for _, iso := range []bool{true, false} {
		cfg := allTypesCfg("a.csv")
		cfg.ISOTimes = iso
		e := mustEncoder(t, cfg)
		out := e.AppendHeader(nil)
		var want []Record
		for ty := Delivered; ty < typeCount; ty++ {
			r := sample(ty)
			out = e.AppendRecord(out, &r)
			want = append(want, r)
		}
		got, err := Parse(out)
		if err != nil {
			t.Fatalf("iso=%v: %v\n%s", iso, err, out)
		}
		sameRecords(t, got, want)
	}
}

// TestRoundTripHeaders: copied headers and ARF fields come back by name.
func TestRoundTripHeaders(t *testing.T) {
	e := mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"d", "f"}, ISOTimes: true,
		RecordFields: map[string][]string{
			"d": {"rcpt", "header_Subject"},
			"f": {"rcpt", "header_Subject", "arf_Original-Mail-From"},
		}})
	d := Record{Type: Delivered, Rcpt: "a@example.com", Headers: []Pair{{"Subject", "Hello, \"you\""}}}
	f := Record{Type: Feedback, Rcpt: "b@example.com", Headers: []Pair{{"Subject", "Re: x"}},
		ARF: []Pair{{"Original-Mail-From", "<bounce@example.net>"}}}
	out := e.AppendRecord(e.AppendRecord(e.AppendHeader(nil), &d), &f)
	got, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, got, []Record{d, f})
}

func TestReaderAnyOrderAndExtras(t *testing.T) {
	in := "\uFEFFtype,rcpt,dlvSize,someNewField,timeLogged,header_X-Job,ENVID\r\n" +
		"d,a@example.com,1200,v1,1733500212,j1,e1\r\n" +
		"b,\"b@example.com\",,,2026-12-06 15:30:12+0100,,\r\n"
	r := NewReader(strings.NewReader(in))
	var rec Record
	if err := r.Read(&rec); err != nil {
		t.Fatal(err)
	}
	want := Record{Type: Delivered, Rcpt: "a@example.com", DlvSize: 1200, TimeLogged: time.Unix(1733500212, 0),
		Headers: []Pair{{"X-Job", "j1"}}, EnvID: "e1", Extra: []Pair{{"someNewField", "v1"}}}
	sameRecords(t, []Record{rec}, []Record{want})
	if h := strings.Join(r.Header(), ","); h != "type,rcpt,dlvSize,someNewField,timeLogged,header_X-Job,ENVID" {
		t.Errorf("Header() = %s", h)
	}
	if err := r.Read(&rec); err != nil {
		t.Fatal(err)
	}
	want = Record{Type: Bounced, Rcpt: "b@example.com", TimeLogged: time.Date(2026, 12, 6, 14, 30, 12, 0, time.UTC)}
	sameRecords(t, []Record{rec}, []Record{want})
	if err := r.Read(&rec); !errors.Is(err, io.EOF) {
		t.Errorf("at the end: %v", err)
	}
}

// TestReaderConcatenated: a second header row (files joined with cat) switches layout.
func TestReaderConcatenated(t *testing.T) {
	in := "type,rcpt\nd,a@x\ntype,orig,rcpt\nb,o@y,b@x\n"
	got, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, got, []Record{{Type: Delivered, Rcpt: "a@x"}, {Type: Bounced, Orig: "o@y", Rcpt: "b@x"}})
}

func TestReaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		fatal    bool
		want     string
	}{
		{"no header", "d,a@x\n", 1, true, "no header row"},
		{"duplicate column", "type,rcpt,rcpt\n", 1, true, "appears twice"},
		{"duplicate header_", "type,header_A,header_a\n", 1, true, "appears twice"},
		{"bad quote", "type,rcpt\nd,a\"b\n", 2, true, "bare \""},
		{"unknown type", "type,rcpt\nx,a@x\n", 2, false, "unknown record type"},
		{"empty type", "type,rcpt\n,a@x\n", 2, false, "unknown record type"},
		{"too many fields", "type,rcpt\nd,a,b\n", 2, false, "more fields"},
		{"bad time", "type,timeLogged\nd,yesterday\n", 2, false, "timeLogged"},
		{"time out of range", "type,timeLogged\nd,99999999999999\n", 2, false, "out of range"},
		{"bad ip", "type,dlvSourceIp\nd,1.2.3\n", 2, false, "dlvSourceIp"},
		{"bad size", "type,dlvSize\nd,big\n", 2, false, "dlvSize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec Record
			err := NewReader(strings.NewReader(tc.in)).Read(&rec)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Fatal != tc.fatal || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (line %d, fatal %v), want line %d fatal %v %q", err, pe.Line, pe.Fatal, tc.line, tc.fatal, tc.want)
			}
		})
	}
}

// TestReaderContinues: after a row error, the next Read goes on with the next row.
func TestReaderContinues(t *testing.T) {
	r := NewReader(strings.NewReader("type,rcpt\nzz,a@x\nd,b@x\n"))
	var rec Record
	if err := r.Read(&rec); err == nil {
		t.Fatal("bad row read")
	}
	if err := r.Read(&rec); err != nil || rec.Rcpt != "b@x" {
		t.Fatalf("after a bad row: %v, %+v", err, rec)
	}
}

// TestSampleFile reads testdata/pmta-style.csv, written in the layout of the samples
// in the reference §4 (§11.2 of the PowerMTA guide), with a column this package does not
// know.
func TestSampleFile(t *testing.T) {
	data, err := os.ReadFile("testdata/pmta-style.csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	b, tq := recs[1], recs[3]
	if b.Type != Bounced || b.DSNAction != "failed" || b.DSNStatus != "5.7.1 (delivery not authorized)" ||
		!strings.HasPrefix(b.DSNDiag, "smtp;554 5.7.1 ") || b.BounceCat != "policy-related" {
		t.Errorf("b record: %+v", b)
	}
	if tq.Type != TransientQueue || tq.Queue != "bücher.de/vmta29" || tq.DlvDestinationIP.String() != "87.98.150.101" ||
		tq.DlvSourceIP.String() != "0.0.0.0" || tq.DSNStatus != "4.4.1 (no answer from host)" {
		t.Errorf("tq record: %+v", tq)
	}
	if v, ok := recs[0].Header("X-Mailer"); !ok || v != "Newsletter 2.1" {
		t.Errorf("header_X-Mailer = %q, %v", v, ok)
	}
}

// TestCorpusFiles reads any accounting file in the shared corpus; there is none today,
// and the test skips until one arrives.
func TestCorpusFiles(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../../shared/corpus/acct*/*.csv", "../../../shared/corpus/*/acct*.csv"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("no accounting sample under ../../../shared/corpus")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		t.Logf("%s: %d records", f, len(recs))
	}
}

func TestDropCRBeforeLF(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nb":       "a\nb",
		"\r\r\n":       "\n",
		"\r\r\r\n\r":   "\n\r",
		"a\rb\r":       "a\rb\r",
		"\r\n\r\n":     "\n\n",
		"x\r\r\ny\rz":  "x\ny\rz",
		"no line ends": "no line ends",
	} {
		if got := dropCRBeforeLF(in); got != want {
			t.Errorf("dropCRBeforeLF(%q) = %q, want %q", in, got, want)
		}
	}
}
