package bounce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/spool"
)

// Fixed inputs so that outputs can be compared byte for byte.
var (
	tArrival = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	tAttempt = time.Date(2025, 3, 1, 10, 0, 5, 0, time.UTC)
	tNow     = time.Date(2025, 3, 1, 10, 0, 6, 0, time.UTC)
	tUntil   = time.Date(2025, 3, 5, 22, 0, 0, 0, time.UTC)
)

const testOriginal = "Return-Path: <sender@example.org>\r\n" +
	"From: Sender <sender@example.org>\r\n" +
	"To: user@example.com\r\n" +
	"Subject: Quarterly report\r\n" +
	"Message-ID: <orig.1@example.org>\r\n" +
	"Date: Sat, 01 Mar 2025 09:59:59 +0000\r\n" +
	"\r\n" +
	"Hello,\r\nthe report is attached.\r\n"

// testParams returns a DSN for one failed recipient with pinned clock and ID.
func testParams() *Params {
	return &Params{
		ReportingMTA: "mta1.example.net",
		Message: &spool.Message{From: "sender@example.org", EnvID: "QQ314159", Received: tArrival,
			Recipients: []spool.Recipient{{Addr: "user@example.com"}}},
		Outcomes: []Outcome{{
			Recipient:   spool.Recipient{Addr: "user@example.com", ORCPT: "rfc822;User@Example.com"},
			Action:      ActionFailed,
			Status:      "5.1.1",
			RemoteMTA:   "mx.example.com",
			Diagnostic:  "smtp; 550 5.1.1 <user@example.com>: Recipient address rejected: User unknown",
			LastAttempt: tAttempt,
		}},
		Original: []byte(testOriginal),
		Now:      func() time.Time { return tNow },
		NewID:    func() string { return "20250301100006.dsn1" },
	}
}

// mustBuild builds p or fails t.
func mustBuild(t testing.TB, p *Params) ([]byte, Mail) {
	t.Helper()
	out, m, err := Build(nil, p)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return out, m
}

// dsnPart is one body part of a parsed DSN, its body undecoded.
type dsnPart struct {
	header textproto.MIMEHeader
	body   []byte
}

// contentType returns the part's media type, text/plain when absent (RFC 2045 §5.2).
func (p dsnPart) contentType() string {
	v := p.header.Get("Content-Type")
	if v == "" {
		return "text/plain"
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return "invalid:" + v
	}
	return mt
}

// parsedDSN is a DSN read back with the standard library.
type parsedDSN struct {
	header  mail.Header
	params  map[string]string // the top Content-Type's parameters
	parts   []dsnPart
	perMsg  textproto.MIMEHeader
	perRcpt []textproto.MIMEHeader
}

// types lists the parts' media types.
func (d *parsedDSN) types() []string {
	var ts []string
	for _, p := range d.parts {
		ts = append(ts, p.contentType())
	}
	return ts
}

// parseDSN reads raw with net/mail, mime/multipart and net/textproto; it
// returns an error where raw is not a multipart/report with a status part.
func parseDSN(raw []byte) (*parsedDSN, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("net/mail: %w", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("top Content-Type: %w", err)
	}
	if mt != "multipart/report" {
		return nil, fmt.Errorf("top Content-Type %q", mt)
	}
	d := &parsedDSN{header: msg.Header, params: params}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", len(d.parts), err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", len(d.parts), err)
		}
		d.parts = append(d.parts, dsnPart{header: p.Header, body: body})
	}
	for _, p := range d.parts {
		if ct := p.contentType(); ct == "message/delivery-status" || ct == "message/global-delivery-status" {
			blocks, err := statusBlocks(p.body)
			if err != nil {
				return nil, err
			}
			if len(blocks) < 2 {
				return nil, fmt.Errorf("status part has %d blocks", len(blocks))
			}
			d.perMsg, d.perRcpt = blocks[0], blocks[1:]
			return d, nil
		}
	}
	return nil, fmt.Errorf("no delivery-status part among %v", d.types())
}

// statusBlocks reads the header blocks of a delivery-status body.
func statusBlocks(body []byte) ([]textproto.MIMEHeader, error) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(bytes.TrimLeft(body, "\r\n"), "\r\n\r\n"...))))
	var blocks []textproto.MIMEHeader
	for {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 {
			blocks = append(blocks, h)
		}
		if errors.Is(err, io.EOF) {
			return blocks, nil
		}
		if err != nil {
			return nil, fmt.Errorf("status block %d: %w", len(blocks), err)
		}
		// Skip any further blank lines between blocks.
		for {
			b, err := r.R.Peek(1)
			if err != nil || (b[0] != '\r' && b[0] != '\n') {
				break
			}
			r.R.ReadByte()
		}
	}
}

var (
	statusRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)
	actions  = map[string]bool{"failed": true, "delayed": true, "delivered": true, "relayed": true, "expanded": true}
)

// checkStructure lists where d breaks RFC 3464 / RFC 6522's structure:
// report-type, the part order, the required fields.
func checkStructure(d *parsedDSN) []string {
	var bad []string
	rt := strings.ToLower(d.params["report-type"])
	if rt != "delivery-status" && rt != "global-delivery-status" {
		bad = append(bad, "report-type "+rt)
	}
	ts := d.types()
	if len(ts) < 2 || len(ts) > 3 {
		bad = append(bad, fmt.Sprintf("%d parts", len(ts)))
		return bad
	}
	if !strings.HasPrefix(ts[0], "text/") && !strings.HasPrefix(ts[0], "multipart/alternative") {
		bad = append(bad, "first part "+ts[0])
	}
	if ts[1] != "message/"+rt {
		bad = append(bad, "second part "+ts[1])
	}
	if len(ts) == 3 {
		switch ts[2] {
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
		default:
			bad = append(bad, "third part "+ts[2])
		}
	}
	if d.perMsg.Get("Reporting-MTA") == "" {
		bad = append(bad, "no Reporting-MTA")
	}
	for i, r := range d.perRcpt {
		if r.Get("Final-Recipient") == "" {
			bad = append(bad, fmt.Sprintf("recipient %d: no Final-Recipient", i))
		}
		if a := strings.ToLower(strings.TrimSpace(r.Get("Action"))); !actions[a] {
			bad = append(bad, fmt.Sprintf("recipient %d: Action %q", i, a))
		}
		if s := strings.TrimSpace(r.Get("Status")); !statusRE.MatchString(s) {
			bad = append(bad, fmt.Sprintf("recipient %d: Status %q", i, s))
		}
	}
	return bad
}

// mustParse parses a DSN built by Build and checks its structure.
func mustParse(t testing.TB, raw []byte) *parsedDSN {
	t.Helper()
	checkWire(t, raw)
	d, err := parseDSN(raw)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, raw)
	}
	if bad := checkStructure(d); len(bad) > 0 {
		t.Fatalf("structure: %v\n%s", bad, raw)
	}
	return d
}

// checkWire fails t on a bare CR or LF or a line over 998 octets (RFC 5322 §2.1.1, §2.3).
func checkWire(t testing.TB, raw []byte) {
	t.Helper()
	if err := wireProblem(raw); err != "" {
		t.Fatal(err)
	}
}

func wireProblem(raw []byte) string {
	line := 1
	col := 0
	for i, c := range raw {
		switch {
		case c == '\r':
			if i+1 >= len(raw) || raw[i+1] != '\n' {
				return fmt.Sprintf("line %d: bare CR", line)
			}
		case c == '\n':
			if i == 0 || raw[i-1] != '\r' {
				return fmt.Sprintf("line %d: bare LF", line)
			}
			line++
			col = 0
		default:
			if col++; col > 998 {
				return fmt.Sprintf("line %d: over 998 octets", line)
			}
		}
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		return "no final CRLF"
	}
	return ""
}
