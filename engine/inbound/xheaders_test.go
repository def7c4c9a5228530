package inbound

import (
	"strings"
	"testing"

	"github.com/volleymta/volley/engine/config"
	"github.com/volleymta/volley/spool"
)

func TestNextFieldFolding(t *testing.T) {
	h := []byte("X-Job: a\r\n b\r\nSubject: s\r\n\r\nbody")
	f, rest, ok := nextField(h)
	if !ok || string(f.name) != "X-Job" || f.value() != "a b" || string(f.raw) != "X-Job: a\r\n b\r\n" {
		t.Fatalf("folded field: %q %q %q", f.name, f.value(), f.raw)
	}
	f, rest, ok = nextField(rest)
	if !ok || string(f.name) != "Subject" {
		t.Fatalf("second field: %q", f.name)
	}
	if _, rest, ok = nextField(rest); ok || string(rest) != "\r\nbody" {
		t.Fatalf("end of headers: %v %q", ok, rest)
	}
}

// TestXVirtualMTAAndJob: X-Virtual-MTA and X-Job choose the vMTA and the job
// and are removed; an unknown vMTA is refused with 550 5.7.0.
func TestXVirtualMTAAndJob(t *testing.T) {
	sp := memSpool(t)
	cfg := "<virtual-mta mta1>\n    smtp-source-host 192.0.2.10 mta1.example.net\n</virtual-mta>\n" +
		baseConfig + "    process-x-virtual-mta yes\n    process-x-job yes\n</source>\n"
	_, addr := serve(t, cfg, sp)
	cl := dial(t, addr)
	send := func(hdrs string) string {
		cl.send("HELO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
		cl.expect("250 ")
		cl.expect("250 ")
		cl.expect("250 ")
		cl.expect("354 ")
		cl.send(hdrs + "Subject: s\r\n\r\nbody\r\n.\r\n")
		line, _ := cl.br.ReadString('\n')
		return line
	}
	if got := send("X-Virtual-MTA: mta1\r\nx-job: spring-sale\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("with a known vMTA: %q", got)
	}
	if got := send("X-Virtual-MTA: nosuch\r\n"); !strings.HasPrefix(got, "550 5.7.0") {
		t.Fatalf("with an unknown vMTA: %q, want 550 5.7.0", got)
	}
	var msgs []*spool.Message
	_ = sp.Scan(func(m *spool.Message) error { msgs = append(msgs, m); return nil })
	if len(msgs) != 1 || msgs[0].VMTA != "mta1" || msgs[0].Job != "spring-sale" {
		t.Fatalf("spooled: %+v", msgs)
	}
	b, _ := sp.Body(msgs[0].ID)
	if strings.Contains(strings.ToLower(string(b)), "x-virtual-mta") || strings.Contains(strings.ToLower(string(b)), "x-job") {
		t.Fatalf("routing headers kept:\n%s", b)
	}
}

// TestRoutedNoAllocs: scanning headers for X-Virtual-MTA and the job header
// allocates nothing for fields it does not take.
func TestRoutedNoAllocs(t *testing.T) {
	ss := &session{src: &config.SourceSettings{ProcessXVirtualMTA: true, ProcessXJob: true}}
	msg := []byte("Subject: s\r\nFrom: a@b\r\nTo: c@d\r\n folded\r\n\r\nbody\r\n")
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { dst, _ = appendRouted(dst[:0], msg, ss.src, ss.src.AddDateHeader == "override") }); n != 0 {
		t.Fatalf("%v allocs per message", n)
	}
	if string(dst) != string(msg) {
		t.Fatalf("message changed: %q", dst)
	}
}

// TestSourceHeaderRules: remove-header drops the fields it names;
// process-x-envid takes the DSN envelope ID from X-EnvId and drops it;
// jobid-prefix goes before the job's name; hide-message-source leaves the
// client out of the Received field; past max-message-hops Received fields
// the message is refused with 554 5.4.6 and the session goes on.
func TestSourceHeaderRules(t *testing.T) {
	sp := memSpool(t)
	cfg := baseConfig + `    remove-header X-Mailer,X-Internal-Id
    process-x-envid yes
    process-x-job yes
    jobid-prefix acme-
    hide-message-source yes
    max-message-hops 3
</source>
`
	_, addr := serve(t, cfg, sp)
	cl := dial(t, addr)
	send := func(hdrs string) string {
		cl.send("HELO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
		for _, want := range []string{"250 ", "250 ", "250 ", "354 "} {
			cl.expect(want)
		}
		cl.send(hdrs + "Subject: s\r\n\r\nbody\r\n.\r\n")
		line, _ := cl.br.ReadString('\n')
		return line
	}
	hop := "Received: from a by b; Mon, 7 Dec 2026 10:00:00 +0000\r\n"
	if got := send(strings.Repeat(hop, 4)); !strings.HasPrefix(got, "554 5.4.6 ") {
		t.Fatalf("four Received fields past max-message-hops 3: %q", got)
	}
	if got := send(strings.Repeat(hop, 3) + "X-Mailer: m\r\nx-internal-id: 7\r\nX-EnvId: env-42\r\nX-Job: spring\r\nX-Kept: k\r\n"); !strings.HasPrefix(got, "250 ") {
		t.Fatalf("three hops: %q", got)
	}
	var msgs []*spool.Message
	_ = sp.Scan(func(m *spool.Message) error { msgs = append(msgs, m); return nil })
	if len(msgs) != 1 || msgs[0].EnvID != "env-42" || msgs[0].Job != "acme-spring" {
		t.Fatalf("spooled: %+v", msgs)
	}
	b, _ := sp.Body(msgs[0].ID)
	body := strings.ToLower(string(b))
	for _, gone := range []string{"x-mailer", "x-internal-id", "x-envid", "[127.0.0.1]", "received: from c"} {
		if strings.Contains(body, gone) {
			t.Errorf("%q is in the stored message:\n%s", gone, b)
		}
	}
	if !strings.HasPrefix(body, "received: by mx.volley.test (volley) with esmtp") || !strings.Contains(body, "x-kept: k\r\n") {
		t.Errorf("stored message:\n%s", b)
	}
}

func TestJobPrefixAuth(t *testing.T) {
	ss := &session{src: &config.SourceSettings{JobIDPrefix: "{auth}"}, authUser: "alice"}
	if p := ss.jobPrefix(); p != "alice" {
		t.Errorf("{auth} prefix %q, want the user's name", p)
	}
	ss.src.JobIDPrefix = "fixed-"
	if p := ss.jobPrefix(); p != "fixed-" {
		t.Errorf("prefix %q", p)
	}
}
