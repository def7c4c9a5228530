package acct

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

// defaultHeader is the header of an acct-file with PowerMTA's defaults (records d,b).
const defaultHeader = "type,timeLogged,timeQueued,timeFirstAttempt,totalSecondsQueued,orig,rcpt,orcpt," +
	"dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp," +
	"dlvDestinationIp,dlvEsmtpAvailable,dlvSize,dlvTlsProtocol,dlvTlsCipher,vmta,vmtaPool," +
	"queue,jobId,envId,rcvSmtpUser,queueMode,dlvWarmup\n"

func mustEncoder(t testing.TB, cfg *config.AcctFile) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHeaderRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config.AcctFile
		want string
	}{
		{"default d,b", config.AcctFile{Path: "a.csv"}, defaultHeader},
		{"d,b explicit", config.AcctFile{Path: "a.csv", Records: []string{"b", "d"}}, defaultHeader},
		{"tq alone", config.AcctFile{Path: "a.csv", Records: []string{"tq"}},
			"type,timeLogged,dsnStatus,dsnDiag,dsnMta,dlvType,dlvSourceIp,dlvDestinationIp,vmta,queue,queueMode,dlvWarmup\n"},
		{"r alone", config.AcctFile{Path: "a.csv", Records: []string{"r"}},
			"type,timeLogged,orig,rcpt,orcpt,srcType,srcMta,rcvSourceIp,rcvDestinationIp,vmta,vmtaPool,jobId,envId,rcvSmtpUser\n"},
		{"f alone", config.AcctFile{Path: "a.csv", Records: []string{"f"}},
			"type,timeLogged,orig,rcpt,dlvSourceIp,envid,format,feedbackType,userAgent,reportingMTA,reportedDomain,repSourceIp\n"},
		{"rb,rs union", config.AcctFile{Path: "a.csv", Records: []string{"rb", "rs"}},
			"type,timeLogged,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,dsnReportingMta,bounceCat,srcType,srcMta,envId,format\n"},
		{"user-string", config.AcctFile{Path: "a.csv", Records: []string{"tq"}, UserString: "node1"},
			"type,timeLogged,dsnStatus,dsnDiag,dsnMta,dlvType,dlvSourceIp,dlvDestinationIp,vmta,queue,userString,queueMode,dlvWarmup\n"},
		{"d,r union in reference order", config.AcctFile{Path: "a.csv", Records: []string{"d", "r"},
			RecordFields: map[string][]string{
				"d": {"rcpt", "timeLogged", "header_X-Mailer", "orig", "dsnStatus"},
				"r": {"*", "!orcpt", "header_x-mailer", "header_Subject"},
			}},
			"type,timeLogged,orig,rcpt,dsnStatus,srcType,srcMta,rcvSourceIp,rcvDestinationIp,vmta,vmtaPool,jobId,envId,rcvSmtpUser,header_X-Mailer,header_Subject\n"},
		{"negations only", config.AcctFile{Path: "a.csv", Records: []string{"tq"},
			RecordFields: map[string][]string{"tq": {"!dsnDiag", "!type", "!dlvType"}}},
			"type,timeLogged,dsnStatus,dsnMta,dlvSourceIp,dlvDestinationIp,vmta,queue,queueMode,dlvWarmup\n"},
		{"PowerMTA's columns alone", config.AcctFile{Path: "a.csv", Records: []string{"d"},
			RecordFields: map[string][]string{"d": {"*", "!queueMode", "!dlvWarmup"}}},
			strings.TrimSuffix(defaultHeader, ",queueMode,dlvWarmup\n") + "\n"},
		{"Volley's columns by name", config.AcctFile{Path: "a.csv", Records: []string{"b", "t"},
			RecordFields: map[string][]string{"b": {"rcpt", "queueMode"}, "t": {"dlvWarmup", "rcpt"}}},
			"type,rcpt,queueMode,dlvWarmup\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEncoder(t, &tc.cfg)
			if got := string(e.AppendHeader(nil)); got != tc.want {
				t.Errorf("header\n got %s\nwant %s", got, tc.want)
			}
			if got := strings.Join(e.Header(), ",") + "\n"; got != tc.want {
				t.Errorf("Header() = %s", got)
			}
		})
	}
}

func TestEncoderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config.AcctFile
		want string
	}{
		{"unknown type", config.AcctFile{Records: []string{"d", "x"}}, "unknown record type"},
		{"unknown field", config.AcctFile{Records: []string{"d"},
			RecordFields: map[string][]string{"d": {"*", "repCode"}}}, `unknown field "repCode"`},
		{"fields for an unlisted type", config.AcctFile{Records: []string{"d"},
			RecordFields: map[string][]string{"t": {"*"}}}, "which records does not list"},
		{"privacy", config.AcctFile{PrivacyPolicy: "siphash short"}, "privacy-policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEncoder(&tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAppendRecord(t *testing.T) {
	e := mustEncoder(t, &config.AcctFile{Path: "a.csv", ISOTimes: true})
	d := sample(Delivered)
	want := "d,2026-12-06 15:30:12-0400,2026-12-06 15:29:07-0400,2026-12-06 15:29:09-0400,65," +
		"bounces+user=example.com@news.example.net,user@example.com,rfc822;user@example.com," +
		`relayed,2.0.0 (success),"smtp;250 2.0.0 OK 1733500212 ""queued"", as 7f3a",` +
		"mx1.example.com (192.0.2.25),other,smtp,feeder.example.net (198.51.100.7),smtp," +
		`203.0.113.10,2001:db8::25,"PIPELINING,SIZE,STARTTLS,8BITMIME",48213,TLSv1.3,` +
		`TLS_AES_256_GCM_SHA384,vmta29,pool1,example.com/vmta29,job-42,env 42,feeder,backoff,0.51` + "\n"
	if got := string(e.AppendRecord(nil, &d)); got != want {
		t.Errorf("d row\n got %s\nwant %s", got, want)
	}

	// A b record leaves timeFirstAttempt, which b does not select, empty even when set.
	b := sample(Bounced)
	b.TimeFirstAttempt = tLogged
	row := string(e.AppendRecord(nil, &b))
	if !strings.HasPrefix(row, "b,2026-12-06 15:30:12-0400,2026-12-06 15:29:07-0400,,65,") {
		t.Errorf("b row: %s", row)
	}
	if !strings.Contains(row, "\"smtp;550 5.1.1 <user@example.com>: Recipient address rejected:\nUser unknown\"") {
		t.Errorf("b row: diagnostic with a newline not quoted: %s", row)
	}

	// Empty values, time_t times, and a blank totalSecondsQueued without timeQueued.
	e = mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"tq"}})
	tq := Record{Type: TransientQueue, TimeLogged: time.Unix(1733500212, 0), DSNStatus: "4.4.1 (no answer from host)",
		DSNMTA: "mx.example.de (87.98.150.101)", DlvType: "smtp", DlvSourceIP: netip.IPv4Unspecified(),
		DlvDestinationIP: netip.MustParseAddr("87.98.150.101"), VMTA: "vmta29", Queue: "bücher.de/vmta29"}
	want = "tq,1733500212,4.4.1 (no answer from host),,mx.example.de (87.98.150.101),smtp,0.0.0.0,87.98.150.101,vmta29,bücher.de/vmta29,,\n"
	if got := string(e.AppendRecord(nil, &tq)); got != want {
		t.Errorf("tq row\n got %s\nwant %s", got, want)
	}
}

// TestVolleyColumns writes queueMode and dlvWarmup (two decimals; a share held at all is
// at least 0.01) and reads them back.
func TestVolleyColumns(t *testing.T) {
	e := mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"d", "b", "t", "tq"},
		RecordFields: map[string][]string{"d": {"rcpt", "queueMode", "dlvWarmup"}, "b": {"rcpt", "queueMode"},
			"t": {"rcpt", "queueMode", "dlvWarmup"}, "tq": {"queue", "queueMode", "dlvWarmup"}}})
	if h := string(e.AppendHeader(nil)); h != "type,rcpt,queue,queueMode,dlvWarmup\n" {
		t.Fatalf("header %q", h)
	}
	for _, tc := range []struct {
		name string
		r    Record
		want string
		back float64
	}{
		{"d in backoff, warming", Record{Type: Delivered, Rcpt: "a@x", QueueMode: "backoff", DlvWarmup: 0.5131581182307067},
			"d,a@x,,backoff,0.51\n", 0.51},
		{"t normal, not warming", Record{Type: Transient, Rcpt: "a@x", QueueMode: "normal"}, "t,a@x,,normal,\n", 0},
		{"tq, a tiny share", Record{Type: TransientQueue, Queue: "x/v", QueueMode: "normal", DlvWarmup: 0.0033},
			"tq,,x/v,normal,0.01\n", 0.01},
		{"b: no dlvWarmup", Record{Type: Bounced, Rcpt: "a@x", QueueMode: "backoff", DlvWarmup: 0.5}, "b,a@x,,backoff,\n", 0},
		{"b suppressed at injection: no mode", Record{Type: Bounced, Rcpt: "a@x"}, "b,a@x,,,\n", 0},
		{"a full share", Record{Type: Delivered, Rcpt: "a@x", DlvWarmup: 1}, "d,a@x,,,1.00\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := e.AppendRecord(e.AppendHeader(nil), &tc.r)
			if got := string(row[len(e.AppendHeader(nil)):]); got != tc.want {
				t.Fatalf("row %q, want %q", got, tc.want)
			}
			recs, err := Parse(row)
			if err != nil || len(recs) != 1 {
				t.Fatalf("read back: %v, %v", recs, err)
			}
			wantMode := tc.r.QueueMode
			if recs[0].DlvWarmup != tc.back || recs[0].QueueMode != wantMode {
				t.Errorf("read back %q %v, want %q %v", recs[0].QueueMode, recs[0].DlvWarmup, wantMode, tc.back)
			}
		})
	}
}

func TestParseWarmup(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0.51", 0.51, true}, {"0.515", 0.52, true}, {"1", 1, true}, {"0", 0, true}, {"0.001", 0, true},
		{"1.01", 0, false}, {"-0.5", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"half", 0, false},
	} {
		got, err := parseWarmup(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseWarmup(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestSelectedFieldsRows(t *testing.T) {
	e := mustEncoder(t, &config.AcctFile{Path: "a.csv", Records: []string{"d", "r"}, ISOTimes: true,
		UserString: "node1",
		RecordFields: map[string][]string{
			"d": {"timeLogged", "rcpt", "header_X-Mailer"},
			"r": {"rcpt", "vmta", "userString"},
		}})
	if h := string(e.AppendHeader(nil)); h != "type,timeLogged,rcpt,vmta,header_X-Mailer,userString\n" {
		t.Fatalf("header %s", h)
	}
	d := sample(Delivered)
	d.Headers = []Pair{{"x-mailer", "Mailer, 1.0"}}
	r := sample(Received)
	r.Headers = d.Headers
	for _, tc := range []struct {
		r    *Record
		want string
	}{
		{&d, "d,2026-12-06 15:30:12-0400,user@example.com,,\"Mailer, 1.0\",\n"},
		{&r, "r,,user@example.com,vmta29,,node1\n"},
	} {
		if got := string(e.AppendRecord(nil, tc.r)); got != tc.want {
			t.Errorf("%s row\n got %q\nwant %q", tc.r.Type, got, tc.want)
		}
	}
	r.UserString = "own"
	if got := string(e.AppendRecord(nil, &r)); !strings.HasSuffix(got, ",own\n") {
		t.Errorf("a record's own userString not written: %q", got)
	}
}

func TestAppendRecordAllocs(t *testing.T) {
	e := mustEncoder(t, allTypesCfg("a.csv"))
	buf := make([]byte, 0, 4096)
	for ty := Delivered; ty < typeCount; ty++ {
		r := sample(ty)
		r.Headers = []Pair{{"X-Job", "j"}}
		r.DlvSourceIP = netip.MustParseAddr("fe80::1%eth0")
		if n := testing.AllocsPerRun(100, func() { buf = e.AppendRecord(buf[:0], &r) }); n != 0 {
			t.Errorf("AppendRecord(%s) allocates %v times", ty, n)
		}
	}
}

func TestAddrZoneQuoted(t *testing.T) {
	e, err := NewHeaderEncoder([]string{"type", "dlvSourceIp"}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Type: Delivered, DlvSourceIP: netip.MustParseAddr("fe80::1%a,b")}
	if got := string(e.AppendRecord(nil, &r)); got != "d,\"fe80::1%a,b\"\n" {
		t.Errorf("got %q", got)
	}
}
