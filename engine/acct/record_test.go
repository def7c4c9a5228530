package acct

import (
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/config"
)

func TestTypeNames(t *testing.T) {
	for ty := Delivered; ty < typeCount; ty++ {
		got, ok := ParseType(ty.String())
		if !ok || got != ty {
			t.Errorf("ParseType(%q) = %v, %v", ty.String(), got, ok)
		}
	}
	for _, bad := range []string{"", "D", "x", "delivery", "?"} {
		if _, ok := ParseType(bad); ok {
			t.Errorf("ParseType(%q) accepted", bad)
		}
	}
	if typeCount.String() != "?" || TypeInvalid.String() != "" {
		t.Errorf("out of range names: %q %q", typeCount.String(), TypeInvalid.String())
	}
}

func TestHeaderLookup(t *testing.T) {
	r := Record{Headers: []Pair{{"X-Mailer", "m"}, {"Subject", "s"}}}
	if v, ok := r.Header("x-mailer"); !ok || v != "m" {
		t.Errorf("Header(x-mailer) = %q, %v", v, ok)
	}
	if _, ok := r.Header("X-Mail"); ok {
		t.Error("Header(X-Mail) found a prefix")
	}
}

// est is a fixed zone like the -0400 of the reference's samples.
var est = time.FixedZone("", -4*3600)

var (
	tQueued = time.Date(2026, 12, 6, 15, 29, 7, 0, est)
	tLogged = time.Date(2026, 12, 6, 15, 30, 12, 0, est)
)

// sample returns a record of type ty with every field of ty's default selection set and
// nothing else, so that it reads back equal through a file with all types' defaults.
func sample(ty Type) Record {
	ip := netip.MustParseAddr
	full := Record{
		Type: ty, TimeLogged: tLogged, TimeQueued: tQueued,
		TimeFirstAttempt: tQueued.Add(2 * time.Second), TotalSecondsQueued: 65,
		Orig: "bounces+user=example.com@news.example.net", Rcpt: "user@example.com",
		Orcpt: "rfc822;user@example.com", DSNAction: "relayed", DSNStatus: "2.0.0 (success)",
		DSNDiag:         `smtp;250 2.0.0 OK 1733500212 "queued", as 7f3a`,
		DSNMTA:          "mx1.example.com (192.0.2.25)",
		DSNReportingMTA: "dns;mx1.example.com", BounceCat: "other", SrcType: "smtp",
		SrcMTA:      "feeder.example.net (198.51.100.7)",
		RcvSourceIP: ip("198.51.100.7"), RcvDestinationIP: ip("203.0.113.1"),
		DlvType: "smtp", DlvSourceIP: ip("203.0.113.10"), DlvDestinationIP: ip("2001:db8::25"),
		DlvESMTPAvailable: "PIPELINING,SIZE,STARTTLS,8BITMIME", DlvSize: 48213,
		DlvTLSProtocol: "TLSv1.3", DlvTLSCipher: "TLS_AES_256_GCM_SHA384",
		VMTA: "vmta29", VMTAPool: "pool1", Queue: "example.com/vmta29", JobID: "job-42",
		EnvID: "env 42", RcvSMTPUser: "feeder", Format: "arf", FeedbackType: "abuse",
		UserAgent: "SomeGenerator/1.0", ReportingMTA: "dns;fbl.example.com",
		ReportedDomain: "news.example.net", RepSourceIP: ip("203.0.113.10"),
		QueueMode: "backoff", DlvWarmup: 0.51,
	}
	var r Record
	for f := fType; f < fieldCount; f++ {
		if defaultFields[ty]&(1<<f) != 0 {
			copyField(&r, &full, f)
		}
	}
	if ty == Bounced {
		r.DSNAction, r.DSNStatus, r.BounceCat = "failed", "5.1.1 (bad destination mailbox address)", "bad-mailbox"
		r.DSNDiag = "smtp;550 5.1.1 <user@example.com>: Recipient address rejected:\nUser unknown"
	}
	return r
}

// copyField copies field f from src to dst by going through the encoder's accessors.
func copyField(dst, src *Record, f field) {
	switch f {
	case fType:
		dst.Type = src.Type
	case fTimeLogged:
		dst.TimeLogged = src.TimeLogged
	case fTimeQueued:
		dst.TimeQueued = src.TimeQueued
	case fTimeFirstAttempt:
		dst.TimeFirstAttempt = src.TimeFirstAttempt
	case fTotalSecondsQueued:
		dst.TotalSecondsQueued = src.TotalSecondsQueued
	case fDlvSize:
		dst.DlvSize = src.DlvSize
	case fDlvWarmup:
		dst.DlvWarmup = src.DlvWarmup
	case fRcvSourceIP, fRcvDestinationIP, fDlvSourceIP, fDlvDestinationIP, fRepSourceIP:
		*addrField(dst, f) = *addrField(src, f)
	case fHeader, fARF, fExtra:
	default:
		*stringField(dst, f) = *stringField(src, f)
	}
}

// norm returns r with times in UTC, so that reflect.DeepEqual compares instants (a
// time read as 0001-01-01 00:00:00+0000 is the zero instant in another location).
func norm(r Record) Record {
	for _, p := range []*time.Time{&r.TimeLogged, &r.TimeQueued, &r.TimeFirstAttempt} {
		*p = p.UTC()
	}
	return r
}

func sameRecords(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := norm(got[i]), norm(want[i]); !reflect.DeepEqual(g, w) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func allTypesCfg(path string) *config.AcctFile {
	return &config.AcctFile{Path: path, Records: []string{"d", "b", "t", "tq", "r", "rb", "rs", "f"},
		ISOTimes: true, MaxSize: 250 << 20, MoveInterval: 24 * time.Hour}
}

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
