package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/acct"
	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/loadgen"
)

// TestSuppression checks suppression at injection (config lists named by
// the source, hashed and domain entries, the runtime list the API
// changes), before delivery (an entry added while the recipient waits),
// and the automatic addition of a hard bounce, each with its b record
// (queueMode empty at injection, the queue's mode before delivery) and
// its count in volley_suppressed_recipients_total by stage.
func TestSuppression(t *testing.T) {
	dir := t.TempDir()
	hashed := sha256.Sum256([]byte("hashed@x.test"))
	hashFile := filepath.Join(dir, "hashed.txt")
	if err := os.WriteFile(hashFile, []byte(hex.EncodeToString(hashed[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A receiver that refuses every recipient as unknown: a hard bounce.
	rule, err := loadgen.ParseRule("rcpt:*=550 5.1.1 no such user")
	if err != nil {
		t.Fatal(err)
	}
	sink := loadgen.NewSink(loadgen.SinkOptions{Replies: []loadgen.Rule{rule}})
	host, port := serveSink(t, sink)

	acctPath := filepath.Join(dir, "acct.csv")
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"<acct-file "+acctPath+">\n records b\n</acct-file>\n"+
		"<address-list blocked>\n address listed@x.test\n domain blocked.test\n hashed-address-file "+hashFile+" sha256\n</address-list>\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n suppression-lists blocked\n</source>\n"+
		"<domain gone.test>\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	base := apiURL(t, d)

	var res api.Result
	post(t, "POST", base+"/api/v1/suppressions", api.SuppressionEntries{Entries: []string{"Runtime@X.test"}}, &res, 200)
	if res.Count != 1 {
		t.Fatalf("add: %+v", res)
	}
	post(t, "POST", base+"/api/v1/suppressions", api.SuppressionEntries{Entries: []string{"not an entry"}}, nil, 400)
	sendMail(t, d, "s@origin.test", []string{"ok@x.test", "runtime@x.test", "listed@x.test", "a@blocked.test", "hashed@x.test"}, "")
	waitFor(t, peerTimeout, "four suppressed b records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), ",suppressed,") == 4
	})
	if v := metricValue(t, base, `volley_suppressed_recipients_total{stage="injection"}`); v != 4 {
		t.Errorf("suppressed at injection: %v, want 4", v)
	}
	for _, r := range acctRecords(t, acctPath) {
		if r.QueueMode != "" || r.DlvWarmup != 0 {
			t.Errorf("b record of %s suppressed at injection: queueMode %q, dlvWarmup %v", r.Rcpt, r.QueueMode, r.DlvWarmup)
		}
	}
	var qs []api.Queue
	get(t, base+"/api/v1/queues?pattern=x.test", &qs)
	if len(qs) != 1 || qs[0].Recipients != 1 {
		t.Fatalf("x.test/ should hold ok@x.test only: %+v", qs)
	}

	// Suppressed while waiting: dropped at the next attempt.
	post(t, "POST", base+"/api/v1/suppressions", api.SuppressionEntries{Entries: []string{"ok@x.test"}}, nil, 200)
	post(t, "POST", base+"/api/v1/queues/x.test/_/schedule", nil, nil, 200)
	waitFor(t, peerTimeout, "the waiting recipient dropped", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), ",suppressed,") == 5 && strings.Contains(string(b), "ok@x.test")
	})
	if r, _ := recordOf(acctRecords(t, acctPath), acct.Bounced, "ok@x.test"); r.QueueMode != "normal" || r.BounceCat != "suppressed" {
		t.Errorf("b record of ok@x.test, suppressed before delivery: %+v", r)
	}
	if v := metricValue(t, base, `volley_suppressed_recipients_total{stage="delivery"}`); v != 1 {
		t.Errorf("suppressed at delivery: %v, want 1", v)
	}

	// A hard bounce puts the recipient on the runtime list.
	sendMail(t, d, "s@origin.test", []string{"nobody@gone.test"}, "")
	var c api.SuppressionCheck
	waitFor(t, peerTimeout, "the hard-bounced recipient on the runtime list", func() bool {
		get(t, base+"/api/v1/suppressions/check?address=nobody@gone.test", &c)
		return c.Suppressed
	})
	if c.List != "runtime" || c.Kind != "address" {
		t.Fatalf("check: %+v", c)
	}
	get(t, base+"/api/v1/suppressions/check?address=hashed@x.test", &c)
	if !c.Suppressed || c.List != "blocked" || c.Kind != "sha256" {
		t.Fatalf("hashed check: %+v", c)
	}

	// Import, export, lists, remove.
	var imp api.SuppressionImport
	code, body := call(t, "POST", base+"/api/v1/suppressions/import?format=list", nil)
	if code != 200 {
		t.Fatalf("empty import: %d %s", code, body)
	}
	reqBody := "a1@imp.test\n@imp2.test\nbad line\n"
	code, body = callText(t, "POST", base+"/api/v1/suppressions/import", reqBody)
	if code != 200 || jsonInto(t, body, &imp) != nil || imp.Added != 2 || imp.Bad != 1 || len(imp.Errors) != 1 || !strings.Contains(imp.Errors[0], "line 3") {
		t.Fatalf("import: %d %s", code, body)
	}
	code, body = call(t, "GET", base+"/api/v1/suppressions/export", nil)
	if code != 200 || !containsAll(string(body), "runtime@x.test", "a1@imp.test", "@imp2.test", "nobody@gone.test") {
		t.Fatalf("export: %d %s", code, body)
	}
	var lists []api.SuppressionList
	get(t, base+"/api/v1/suppressions", &lists)
	if len(lists) != 2 || lists[0].Name != "runtime" || lists[1].Name != "blocked" || lists[1].Entries != 3 {
		t.Fatalf("lists: %+v", lists)
	}
	post(t, "DELETE", base+"/api/v1/suppressions", api.SuppressionEntries{Entries: []string{"runtime@x.test"}}, &res, 200)
	get(t, base+"/api/v1/suppressions/check?address=runtime@x.test", &c)
	if res.Count != 1 || c.Suppressed {
		t.Fatalf("after remove: %+v %+v", res, c)
	}

	// A reload naming a list that does not exist is refused.
	conf := filepath.Join(filepath.Dir(d.spool), "volley.conf")
	text, _ := os.ReadFile(conf)
	if err := os.WriteFile(conf, []byte(strings.Replace(string(text), "suppression-lists blocked", "suppression-lists blocked,nosuch", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	var rl api.Reload
	post(t, "POST", base+"/api/v1/reload", nil, &rl, 422)
	if rl.OK || len(rl.Problems) == 0 || !strings.Contains(rl.Problems[0], "nosuch") {
		t.Fatalf("reload with an unknown list: %+v", rl)
	}
}

// TestPickupSuppression: a pickup file's recipients on <source {pickup}>'s
// suppression-lists or on the runtime list are bounced at injection with
// their b record, as over SMTP; the others are queued.
func TestPickupSuppression(t *testing.T) {
	dir := t.TempDir()
	pick, acctPath := filepath.Join(dir, "pickup"), filepath.Join(dir, "acct.csv")
	if err := os.MkdirAll(pick, 0o755); err != nil {
		t.Fatal(err)
	}
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"pickup "+pick+" "+filepath.Join(dir, "bad")+"\n"+
		"<acct-file "+acctPath+">\n records b\n</acct-file>\n"+
		"<address-list blocked>\n address listed@x.test\n</address-list>\n"+
		"<source {pickup}>\n suppression-lists blocked\n</source>\n")
	base := apiURL(t, d)
	post(t, "POST", base+"/api/v1/suppressions", api.SuppressionEntries{Entries: []string{"runtime@x.test"}}, nil, 200)
	file := "x-sender: s@origin.test\r\nx-receiver: ok@x.test\r\nx-receiver: runtime@x.test\r\nx-receiver: listed@x.test\r\n" +
		"Subject: picked\r\n\r\nbody\r\n"
	tmp := filepath.Join(dir, "m.eml")
	if err := os.WriteFile(tmp, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(pick, "m.eml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, peerTimeout, "two suppressed b records", func() bool {
		b, _ := os.ReadFile(acctPath)
		return strings.Count(string(b), ",suppressed,") == 2
	})
	if v := metricValue(t, base, `volley_suppressed_recipients_total{stage="injection"}`); v != 2 {
		t.Errorf("suppressed at injection: %v, want 2", v)
	}
	stored := readSpool(t, d)
	if len(stored) != 1 || !slices.Equal(stored[0].rcpts(), []string{"ok@x.test"}) {
		var left [][]string
		for _, m := range stored {
			left = append(left, m.rcpts())
		}
		t.Errorf("left in the spool: %v, want [[ok@x.test]]", left)
	}
}
