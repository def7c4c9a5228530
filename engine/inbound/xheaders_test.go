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
