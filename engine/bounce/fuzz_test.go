package bounce

import (
	"errors"
	"testing"

	"github.com/volleymta/volley/spool"
)

// FuzzBuild builds DSNs from arbitrary remote text and originals and checks
// the properties every DSN keeps: CRLF lines of at most 998 octets, a
// multipart/report that the standard library reads back with one status
// block per recipient, and no 8-bit octet when Mail says 7bit.
func FuzzBuild(f *testing.F) {
	f.Add("smtp; 550 5.1.1 user unknown", "user@example.com", "rfc822;User@Example.com", "mx.example.com", "ENV1",
		[]byte(testOriginal), uint8(0))
	f.Add("451 4.7.1 try\r\nlater", "usér@example.com", "utf-8;us\\x{E9}r@example.com", "dns; mx", "",
		[]byte("Subject: x\n\nbody\n"), uint8(0xff))
	f.Add("--=_volley_dsn_", "a@b", "", "", "\x00", []byte("X: --=_volley_dsn_\r\n\r\n--=_volley_dsn_"), uint8(0x15))
	f.Fuzz(func(t *testing.T, diag, addr, orcpt, remote, envid string, orig []byte, flags uint8) {
		p := testParams()
		m := p.Message
		m.EnvID, m.SMTPUTF8 = envid, flags&1 != 0
		m.Ret = spool.Ret(flags >> 1 & 3 % 3)
		m.Body = spool.BodyType(flags >> 3 & 3 % 3)
		p.MaxFull = int(flags>>5) * 40 // 0 (default) to 280 bytes
		p.Original = orig
		o := &p.Outcomes[0]
		o.Action = Action(flags%5) + ActionFailed
		o.Diagnostic, o.RemoteMTA, o.Recipient.Addr, o.Recipient.ORCPT = diag, remote, addr, orcpt
		p.Outcomes = append(p.Outcomes, Outcome{Recipient: spool.Recipient{Addr: "second@example.com"},
			Action: ActionDelayed, Diagnostic: diag, WillRetryUntil: tUntil})

		out, ml, err := Build(nil, p)
		if addr == "" {
			if !errors.Is(err, ErrNoRecipient) {
				t.Fatalf("empty address: err %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		if prob := wireProblem(out); prob != "" {
			t.Fatalf("%s\n%q", prob, out)
		}
		d, err := parseDSN(out)
		if err != nil {
			t.Fatalf("parse: %v\n%q", err, out)
		}
		if bad := checkStructure(d); len(bad) > 0 {
			t.Fatalf("structure: %v\n%q", bad, out)
		}
		if len(d.perRcpt) != 2 || len(d.parts) != 2+btoi(len(orig) > 0) {
			t.Fatalf("%d recipient blocks, parts %v\n%q", len(d.perRcpt), d.types(), out)
		}
		if ml.Body == spool.Body7Bit && !ascii(out) {
			t.Fatalf("Mail says 7bit, DSN has 8-bit octets\n%q", out)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzClassify reads arbitrary messages as bounces and checks what every
// verdict keeps: a category, a valid status, hard only with a permanent
// status, a bounded diagnostic. The same input is also classified as a
// lone SMTP reply. Seeds are in testdata/fuzz/FuzzClassify.
func FuzzClassify(f *testing.F) {
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, c := range append(Classify(msg, nil), ClassifyReply(string(msg), nil)) {
			if c.Category == "" || !validStatus(c.Status) || c.Status[0] == '2' {
				t.Fatalf("bad verdict %+v", c)
			}
			if c.Hard && c.Status[0] != '5' {
				t.Fatalf("hard with status %s", c.Status)
			}
			if len(c.Diagnostic) > 4*maxDiag {
				t.Fatalf("diagnostic of %d bytes", len(c.Diagnostic))
			}
		}
	})
}
