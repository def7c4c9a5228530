package main

import (
	"bytes"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/volleymta/volley/spool"
)

// TestPatternListChoosesVMTA: a <source>'s pattern-list picks each
// recipient's vMTA by its envelope or a header field, first match wins;
// X-Virtual-MTA comes before it; a message whose recipients fall to
// different vMTAs is stored as one message per vMTA, answered once.
func TestPatternListChoosesVMTA(t *testing.T) {
	d := startVolleyd(t, "", "<virtual-mta yahoo>\n</virtual-mta>\n<virtual-mta brand1>\n</virtual-mta>\n"+
		"<virtual-mta promo>\n</virtual-mta>\n<virtual-mta rest>\n</virtual-mta>\n"+
		"<pattern-list select>\n"+
		" header X-Campaign /^promo-/ virtual-mta=promo\n"+
		" mail-from /@brand1\\.test$/ virtual-mta=brand1\n"+
		" rcpt-to /@(yahoo|ymail)\\.test$/ virtual-mta=yahoo\n"+
		"</pattern-list>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n"+
		" default-virtual-mta rest\n pattern-list select\n</source>\n")
	send := func(from string, rcpts []string, msg string) {
		t.Helper()
		c, err := smtp.Dial(d.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Mail(from); err != nil {
			t.Fatal(err)
		}
		for _, r := range rcpts {
			if err := c.Rcpt(r); err != nil {
				t.Fatal(err)
			}
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		_ = c.Quit()
	}
	// A real client sees one 250 for the message stored as two.
	r := swaks(t, d.addr, "Subject: mixed\r\n\r\n1\r\n", "--to", "a@yahoo.test,b@gmail.test,c@ymail.test")
	if r.code != 0 || !strings.Contains(r.out, " and 1 more, one per virtual-mta") {
		t.Errorf("swaks exited %d:\n%s", r.code, r.out)
	}
	send("news@brand1.test", []string{"d@yahoo.test"}, "Subject: brand\r\n\r\n2\r\n")
	send("s@shop.test", []string{"e@yahoo.test"}, "X-Campaign: promo-december\r\nSubject: promo\r\n\r\n3\r\n")
	send("s@shop.test", []string{"f@gmail.test"}, "X-Virtual-MTA: brand1\r\nSubject: named\r\n\r\n4\r\n")
	got := map[string][]string{} // recipients by vMTA, one entry per stored message
	for _, m := range readSpool(t, d) {
		rc := m.rcpts()
		slices.Sort(rc)
		got[m.VMTA] = append(got[m.VMTA], strings.Join(rc, ","))
	}
	for _, l := range got {
		slices.Sort(l)
	}
	want := map[string][]string{
		"yahoo":  {"a@yahoo.test,c@ymail.test"},    // the rcpt-to entry, split from b
		"rest":   {"b@gmail.test"},                 // no entry: default-virtual-mta
		"brand1": {"d@yahoo.test", "f@gmail.test"}, // mail-from before rcpt-to; X-Virtual-MTA
		"promo":  {"e@yahoo.test"},                 // the header entry comes first
	}
	for v, w := range want {
		if !slices.Equal(got[v], w) {
			t.Errorf("virtual-mta %s: messages %v, want %v (all: %v)", v, got[v], w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("stored by vMTA %v, want %v", got, want)
	}
}

// TestSourceBCC: a source's bcc address gets every message from it as one
// more recipient (an archive), with NOTIFY=NEVER: no DSN about the copy.
func TestSourceBCC(t *testing.T) {
	d := startVolleyd(t, "", "<source 127.0.0.1>\n always-allow-relaying yes\n bcc archive@archive.test\n</source>\n")
	if err := sendRaw(d.addr, "s@shop.test", "r@rcpt.test", "Subject: x\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	got := readSpool(t, d)
	if len(got) != 1 {
		t.Fatalf("stored %d messages, want 1", len(got))
	}
	if rc := got[0].rcpts(); !slices.Equal(rc, []string{"r@rcpt.test", "archive@archive.test"}) {
		t.Fatalf("recipients %v", rc)
	}
	if n := got[0].Recipients[1].Notify; n != spool.NotifyNever {
		t.Errorf("the copy's NOTIFY is %v, want NEVER", n)
	}
}

// TestPickupSourcePolicy: the pickup directory's mail is stored under
// <source {pickup}>: its default-virtual-mta, X-Virtual-MTA (taken out of
// the message) and the job header where it processes them, and its
// pattern-list, which splits a file whose recipients go to two vMTAs.
func TestPickupSourcePolicy(t *testing.T) {
	dir := t.TempDir()
	pick, bad := filepath.Join(dir, "pickup"), filepath.Join(dir, "bad")
	if err := os.MkdirAll(pick, 0o755); err != nil {
		t.Fatal(err)
	}
	d := startVolleyd(t, "", "pickup "+pick+" "+bad+"\n"+
		"<virtual-mta yahoo>\n</virtual-mta>\n<virtual-mta brand1>\n</virtual-mta>\n<virtual-mta rest>\n</virtual-mta>\n"+
		"<pattern-list select>\n rcpt-to /@yahoo\\.test$/ virtual-mta=yahoo\n</pattern-list>\n"+
		"<source {pickup}>\n process-x-virtual-mta yes\n process-x-job yes\n default-virtual-mta rest\n pattern-list select\n</source>\n")
	files := map[string]string{
		"named.eml": "x-sender: s@shop.test\r\nx-receiver: a@yahoo.test\r\nX-Virtual-MTA: brand1\r\nX-Job: spring\r\nSubject: named\r\n\r\n1\r\n",
		"split.eml": "x-sender: s@shop.test\r\nx-receiver: b@yahoo.test\r\nx-receiver: c@gmail.test\r\nSubject: split\r\n\r\n2\r\n",
	}
	for name, text := range files {
		tmp := filepath.Join(dir, name)
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(pick, name)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "the pickup files to be taken", func() bool {
		left, _ := os.ReadDir(pick)
		return len(left) == 0
	})
	got := map[string]string{} // recipients -> vmta/job
	for _, m := range readSpool(t, d) {
		got[strings.Join(m.rcpts(), ",")] = m.VMTA + "/" + m.Job
		if bytes.Contains(m.body, []byte("X-Virtual-MTA")) || bytes.Contains(m.body, []byte("X-Job")) {
			t.Errorf("headers left in:\n%s", m.body)
		}
	}
	want := map[string]string{"a@yahoo.test": "brand1/spring", "b@yahoo.test": "yahoo/", "c@gmail.test": "rest/"}
	if len(got) != len(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	for rc, w := range want {
		if got[rc] != w {
			t.Errorf("%s: vmta/job %q, want %q (all: %v)", rc, got[rc], w, got)
		}
	}
}

// TestPatternListPartsSignedByTheirVMTA: the messages a pattern-list split
// makes are prepared apart, each signed with the domain-key of its own
// vMTA (the key choice reads the part's vMTA, not the original's).
func TestPatternListPartsSignedByTheirVMTA(t *testing.T) {
	keys := newAuthKeys(t)
	d := startVolleyd(t, "", "<virtual-mta va>\n domain-key a,*,"+keys.file("ed.key")+"\n</virtual-mta>\n"+
		"<virtual-mta vb>\n domain-key b,*,"+keys.file("rsa.pem")+"\n</virtual-mta>\n"+
		"<pattern-list p>\n rcpt-to /@a\\.test$/ virtual-mta=va\n * virtual-mta=vb\n</pattern-list>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n pattern-list p\n</source>\n"+
		"<domain *>\n dkim-sign yes\n</domain>\n")
	r := swaks(t, d.addr, "From: s@shop.test\r\nSubject: two keys\r\n\r\nbody\r\n", "--to", "x@a.test,y@b.test")
	if r.code != 0 {
		t.Fatalf("swaks exited %d:\n%s", r.code, r.out)
	}
	stored := readSpool(t, d)
	if len(stored) != 2 {
		t.Fatalf("%d messages stored, want 2", len(stored))
	}
	for _, m := range stored {
		sig := unfoldField(m.body, "DKIM-Signature")
		want := map[string]string{"va": "s=a;", "vb": "s=b;"}[m.VMTA]
		if want == "" || !strings.Contains(strings.ReplaceAll(sig, " ", ""), want) {
			t.Errorf("message for %v through %q: signature %q, want %s", m.rcpts(), m.VMTA, sig, want)
		}
	}
}
