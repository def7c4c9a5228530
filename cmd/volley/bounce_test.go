package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testBounce is a small DSN with two failed recipients.
const testBounce = "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
	"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n" +
	"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" +
	"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: user unknown\r\n\r\n" +
	"Final-Recipient: rfc822; full@example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n" +
	"Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n--b--\r\n"

// bounceCLI runs `bounce ARGS` with stdin and returns the exit status and output.
func bounceCLI(t *testing.T, o options, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := bounceCommand(o, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBounceClassify(t *testing.T) {
	file := writeFile(t, "bounce.eml", testBounce)
	want := "bad-mailbox\t5.1.1\thard\nquota-issues\t5.2.2\tsoft\n"
	var out, errOut bytes.Buffer
	if code := runBounce(options{}, []string{"classify", file}, &out, &errOut); code != exitOK || out.String() != want {
		t.Errorf("file: exit %d, %q %q; want %q", code, out.String(), errOut.String(), want)
	}
	if code, out, errOut := bounceCLI(t, options{}, testBounce, "classify"); code != exitOK || out != want {
		t.Errorf("stdin: exit %d, %q %q; want %q", code, out, errOut, want)
	}
	if code, out, _ := bounceCLI(t, options{}, testBounce, "classify", "-", file); code != exitOK || out != want+want {
		t.Errorf("two inputs: exit %d, %q", code, out)
	}
}

func TestBounceClassifyJSON(t *testing.T) {
	file := writeFile(t, "bounce.eml", testBounce)
	code, out, errOut := bounceCLI(t, options{json: true}, "", "classify", file)
	if code != exitOK {
		t.Fatalf("exit %d, %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	var got bounceJSON
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := bounceJSON{File: file, Recipient: "gone@example.com", Category: "bad-mailbox", Status: "5.1.1", Type: "hard",
		Diagnostic: "550 5.1.1 <gone@example.com>: user unknown"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestBounceClassifyConfig(t *testing.T) {
	file := writeFile(t, "bounce.eml", testBounce)
	conf := writeConf(t, "<bounce-category-patterns>\n/^5\\.2\\.2/ storage-full\n// other\n</bounce-category-patterns>\n")
	code, out, errOut := bounceCLI(t, options{}, "", "classify", "--config", conf, file)
	// The config's pattern names the quota bounce; its catch-all leaves the other to the built-in rules.
	if want := "bad-mailbox\t5.1.1\thard\nstorage-full\t5.2.2\tsoft\n"; code != exitOK || out != want {
		t.Errorf("exit %d, %q %q; want %q", code, out, errOut, want)
	}
	// A config without the block uses the built-in rules only.
	plain := writeConf(t, "# nothing\n")
	if code, out, _ := bounceCLI(t, options{}, "", "classify", "--config", plain, file); code != exitOK ||
		out != "bad-mailbox\t5.1.1\thard\nquota-issues\t5.2.2\tsoft\n" {
		t.Errorf("plain config: exit %d, %q", code, out)
	}
	broken := writeConf(t, "<bounce-category-patterns>\n/[/ x\n</bounce-category-patterns>\n")
	if code, _, errOut := bounceCLI(t, options{}, "", "classify", "--config", broken, file); code != exitUsage || errOut == "" {
		t.Errorf("broken config: exit %d, %q", code, errOut)
	}
}

func TestBounceClassifyProblems(t *testing.T) {
	notBounce := writeFile(t, "note.eml", "From: a@example.com\r\nSubject: lunch\r\n\r\nAt noon?\r\n")
	if code, out, errOut := bounceCLI(t, options{}, "", "classify", notBounce); code != exitProblem || out != "" ||
		!strings.Contains(errOut, "no failed recipient") {
		t.Errorf("not a bounce: exit %d, %q %q", code, out, errOut)
	}
	missing := filepath.Join(t.TempDir(), "missing.eml")
	if code, _, errOut := bounceCLI(t, options{}, "", "classify", missing); code != exitUsage || errOut == "" {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{nil, {"sort"}, {"classify", "--nope"}} {
		if code, _, _ := bounceCLI(t, options{}, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
