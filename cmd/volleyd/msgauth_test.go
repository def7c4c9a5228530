package main

// Message authentication end to end: volleyd signs and seals what it
// accepts before the commit, and an independent implementation (dkimpy)
// verifies what reaches the receiver; volleyd's inbound checks write an
// Authentication-Results header from a real DNS server's records.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/internal/dkimpy"
	"github.com/volleymta/volley/internal/loadgen"
	"github.com/volleymta/volley/internal/mailgen"
	"github.com/volleymta/volley/internal/testdns"
)

// authKeys are a test's signing keys: files for volleyd, records for DNS.
type authKeys struct {
	dir              string
	rsaPEM, edSecret []byte
	rsaTXT, edTXT    string
}

func newAuthKeys(t *testing.T) *authKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	k := &authKeys{dir: t.TempDir()}
	k.rsaPEM, k.rsaTXT = dkimpy.RSAKey(rk)
	k.edSecret, k.edTXT = dkimpy.Ed25519Key(ek)
	for name, b := range map[string][]byte{"rsa.pem": k.rsaPEM, "ed.key": k.edSecret} {
		if err := os.WriteFile(filepath.Join(k.dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func (k *authKeys) file(name string) string { return filepath.Join(k.dir, name) }

// sendAll sends each message from a@sender.test to rcpt over one session.
func sendAll(t *testing.T, addr, rcpt string, msgs [][]byte) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, m := range msgs {
		if err := c.Mail("a@sender.test"); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if err := c.Rcpt(rcpt); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if _, err := w.Write(m); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
}

// savedMessages waits for n messages in the sink's directory and returns
// them as received (the sink's X-Sink- envelope lines removed), in the
// order their Subject-independent index header says.
func savedMessages(t *testing.T, dir string, n int) [][]byte {
	t.Helper()
	var files []string
	waitFor(t, peerTimeout, fmt.Sprintf("%d messages at the sink", n), func() bool {
		files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
		return len(files) >= n
	})
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for bytes.HasPrefix(b, []byte("X-Sink-")) {
			b = b[bytes.Index(b, []byte("\r\n"))+2:]
		}
		out = append(out, b)
	}
	return out
}

var fromDomain = regexp.MustCompile(`(?im)^from:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*?@([a-z0-9.-]+)`)

// domainsOf are the From domains of msgs.
func domainsOf(msgs [][]byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range msgs {
		if g := fromDomain.FindSubmatch(m); g != nil && !seen[string(g[1])] {
			seen[string(g[1])] = true
			out = append(out, strings.ToLower(string(g[1])))
		}
	}
	return out
}

// TestDKIMSignedMessagesVerifyInDKIMPy: 100 varied messages (8-bit, long
// and folded headers, empty bodies, ...) through two vMTAs, one signing
// with RSA-2048 and one with Ed25519; dkimpy verifies every one as the
// receiver got it.
func TestDKIMSignedMessagesVerifyInDKIMPy(t *testing.T) {
	dkimpy.Require(t)
	keys := newAuthKeys(t)
	save := t.TempDir()
	host, port := serveSink(t, loadgen.NewSink(loadgen.SinkOptions{Save: save}))
	d := startVolleyd(t, "", "<source 127.0.0.1>\n always-allow-relaying yes\n process-x-virtual-mta yes\n</source>\n"+
		"<virtual-mta vr>\n domain-key rsa,*,"+keys.file("rsa.pem")+"\n</virtual-mta>\n"+
		"<virtual-mta ve>\n domain-key ed,*,"+keys.file("ed.key")+"\n</virtual-mta>\n"+
		"<domain sink.test>\n dkim-sign yes\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	msgs := mailgen.Varied(100, 11)
	for i := range msgs {
		vmta := "vr"
		if i%2 == 1 {
			vmta = "ve"
		}
		msgs[i] = append([]byte("X-Virtual-MTA: "+vmta+"\r\n"), msgs[i]...)
	}
	sendAll(t, d.addr, "r@sink.test", msgs)
	got := savedMessages(t, save, len(msgs))
	dns := dkimpy.Keys{}
	for _, dom := range domainsOf(got) {
		dns["rsa._domainkey."+dom] = keys.rsaTXT
		dns["ed._domainkey."+dom] = keys.edTXT
	}
	ok, err := dkimpy.Verify(got, dns)
	if err != nil {
		t.Fatal(err)
	}
	algs := map[string]int{}
	for i, m := range got {
		switch {
		case bytes.Contains(m, []byte("a=rsa-sha256")):
			algs["rsa"]++
		case bytes.Contains(m, []byte("a=ed25519-sha256")):
			algs["ed25519"]++
		}
		if !ok[i] {
			t.Errorf("dkimpy does not verify message %d:\n%s", i, m)
		}
		if n := bytes.Count(m, []byte("DKIM-Signature:")); n != 1 {
			t.Errorf("message %d has %d signatures", i, n)
		}
	}
	if algs["rsa"] != 50 || algs["ed25519"] != 50 {
		t.Errorf("signatures by algorithm %v, want 50 each", algs)
	}
}

// TestDKIMSecondSignatureAndOptions: PowerMTA's dkim-* options beyond the
// basics, as dkimpy sees them at the receiver: a second signature for the
// ESP's fixed identity (second-dkim-identity, i=), the customer's
// signature by the key of a parent domain (From news.customer.test, key for
// customer.test), dkim-identity-fallback for a From without a key,
// dkim-expire-after (x=), and dkim-disallow-adding-headers (a To added on
// the way breaks the signature that over-signs To, not the other).
func TestDKIMSecondSignatureAndOptions(t *testing.T) {
	dkimpy.Require(t)
	keys := newAuthKeys(t)
	save := t.TempDir()
	host, port := serveSink(t, loadgen.NewSink(loadgen.SinkOptions{Save: save}))
	d := startVolleyd(t, "", "<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"domain-key brand,customer.test,"+keys.file("ed.key")+"\n"+
		"domain-key esp,esp.test,"+keys.file("rsa.pem")+"\n"+
		"<domain sink.test>\n dkim-sign yes\n dkim-expire-after 7d\n dkim-identity-fallback @customer.test\n"+
		" dkim-disallow-adding-headers From,Subject,To\n"+
		" second-dkim-sign yes\n second-dkim-identity bounce@esp.test\n"+
		" smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	var msgs [][]byte
	for i := range 10 {
		from := "news.customer.test"
		if i%5 == 4 {
			from = "nokey.test" // signed through the fallback identity
		}
		msgs = append(msgs, fmt.Appendf(nil, "From: Shop <offers@%s>\r\nTo: r@sink.test\r\nSubject: offer %d\r\n"+
			"Message-ID: <%d@%s>\r\n\r\nBody %d\r\n.dot line\r\n", from, i, i, from, i))
	}
	sendAll(t, d.addr, "r@sink.test", msgs)
	got := savedMessages(t, save, len(msgs))
	dns := dkimpy.Keys{"brand._domainkey.customer.test": keys.edTXT, "esp._domainkey.esp.test": keys.rsaTXT}
	var tampered [][]byte
	for _, m := range got {
		tampered = append(tampered, append([]byte("To: someone-else@example.test\r\n"), m...))
	}
	res, err := dkimpy.VerifyResults(append(got, tampered...), dns)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got {
		sigs := unfoldFields(m, "DKIM-Signature")
		if len(sigs) != 2 {
			t.Fatalf("message %d has %d signatures, want 2:\n%s", i, len(sigs), m)
		}
		esp, cust := sigs[0], sigs[1] // the second signature is on top
		if !strings.Contains(esp, "d=esp.test") || !strings.Contains(esp, "i=bounce@esp.test") || strings.Contains(esp, "x=") {
			t.Errorf("message %d: ESP signature %q, want d=esp.test, i=bounce@esp.test, no x=", i, esp)
		}
		wantI := i%5 == 4 // the fallback identity is an address: i=@customer.test
		if !strings.Contains(cust, "d=customer.test") || strings.Contains(cust, "i=@customer.test") != wantI {
			t.Errorf("message %d: customer signature %q, want d=customer.test (the parent's key), i= only for the fallback", i, cust)
		}
		if tt, xx := tagInt(t, cust, "t"), tagInt(t, cust, "x"); xx-tt != 7*24*3600 {
			t.Errorf("message %d: x - t = %d s, want 7 days", i, xx-tt)
		}
		if r := res[i]; !r.OK || len(r.Signatures) != 2 {
			t.Errorf("message %d: dkimpy %+v, want both signatures to verify:\n%s\n%s", i, r.Signatures, m, r.Log)
		}
		if r := res[len(got)+i]; len(r.Signatures) != 2 || !r.Signatures[0] || r.Signatures[1] {
			t.Errorf("message %d with a To added: dkimpy %v, want the ESP's to verify and the customer's (To over-signed) to fail", i, r.Signatures)
		}
	}
}

// tagInt reads a numeric tag (t=, x=) of a signature.
func tagInt(t *testing.T, sig, tag string) int64 {
	t.Helper()
	for _, p := range strings.Split(sig, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == tag {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatalf("%s=%q: %v", tag, v, err)
			}
			return n
		}
	}
	t.Fatalf("no %s= in %q", tag, sig)
	return 0
}

// TestDKIMSignedBeforeCommit: the stored message already carries its
// signature (signed once, not per delivery attempt), and a domain-key
// line that does not fit the From domain leaves the message unsigned.
func TestDKIMSignedBeforeCommit(t *testing.T) {
	keys := newAuthKeys(t)
	d := startVolleyd(t, "", "<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"domain-key s1,origin.test,"+keys.file("ed.key")+"\n"+
		"<domain signed.test>\n dkim-sign yes\n</domain>\n")
	for _, rcpt := range []string{"a@signed.test", "b@unsigned.test"} {
		if err := sendRaw(d.addr, "s@origin.test", rcpt, "From: s@origin.test\r\nTo: "+rcpt+"\r\nSubject: x\r\n\r\nbody\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := sendRaw(d.addr, "s@other.test", "c@signed.test", "From: s@other.test\r\nSubject: y\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	stored := readSpool(t, d)
	if len(stored) != 3 {
		t.Fatalf("%d messages stored, want 3", len(stored))
	}
	for _, m := range stored {
		signed := bytes.HasPrefix(m.body, []byte("DKIM-Signature: "))
		want := m.rcpts()[0] == "a@signed.test"
		if signed != want {
			t.Errorf("message to %v: signed=%v, want %v:\n%s", m.rcpts(), signed, want, m.body)
		}
		if signed && !bytes.Contains(m.body, []byte("d=origin.test")) {
			t.Errorf("signature not for origin.test:\n%s", m.body)
		}
	}
	if !strings.Contains(d.logs.String(), "no domain-key fits other.test") {
		t.Errorf("the unsigned message is not logged:\n%s", d.logs)
	}
}

// TestInboundChecksAndARC: volleyd checks SPF, DKIM and DMARC of 100
// varied incoming messages against a real DNS server (unbound on loopback), writes
// Authentication-Results, validates the ARC chain dkimpy sealed on the
// way, and seals its own set (arc-seal yes); dkimpy then finds the chain
// valid (cv=pass) at the receiver.
func TestInboundChecksAndARC(t *testing.T) {
	dkimpy.Require(t)
	keys := newAuthKeys(t)
	edP := keys.edTXT[strings.Index(keys.edTXT, "p="):]
	ns := testdns.Start(t, testdns.Zones{"test.": "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30"}, []string{
		`sender.test. 300 IN TXT "v=spf1 ip4:127.0.0.1 -all"`,
		`_dmarc.sender.test. 300 IN TXT "v=DMARC1; p=reject"`,
		`ed._domainkey.sender.test. 300 IN TXT "v=DKIM1; k=ed25519; ` + edP + `"`,
		"fwd._domainkey.fwd.test. 300 IN TXT " + txtStrings(keys.rsaTXT),
	}, "test.")
	// 100 varied messages, signed by their author (sender.test, Ed25519);
	// half of them were sealed by a forwarder (dkimpy, RSA) on the way.
	fromLine := regexp.MustCompile(`(?im)^(from:[^\r\n]*@)[a-z0-9.-]+`)
	msgs := mailgen.Varied(100, 5)
	for i, m := range msgs {
		if !bytes.HasSuffix(m, []byte("\r\n")) { // as SMTP carries it
			m = append(m, "\r\n"...)
		}
		msgs[i] = fromLine.ReplaceAll(m, []byte("${1}sender.test"))
	}
	sigs, err := dkimpy.Sign(msgs, dkimpy.SignOptions{Selector: "ed", Domain: "sender.test", KeyPEM: keys.edSecret, Ed25519: true})
	if err != nil {
		t.Fatal(err)
	}
	var forwarded [][]byte
	for i := range msgs {
		msgs[i] = append(sigs[i], msgs[i]...)
		if i%2 == 0 {
			forwarded = append(forwarded, mailgen.WithAuthResults(msgs[i], "fwd.test"))
		}
	}
	sets, err := dkimpy.ARCSign(forwarded, dkimpy.ARCOptions{Selector: "fwd", Domain: "fwd.test", KeyPEM: keys.rsaPEM, AuthServID: "fwd.test"})
	if err != nil {
		t.Fatal(err)
	}
	for j := range forwarded {
		msgs[2*j] = append(sets[j], forwarded[j]...)
	}
	save := t.TempDir()
	host, port := serveSink(t, loadgen.NewSink(loadgen.SinkOptions{Save: save}))
	d := startVolleyd(t, "", "name-server "+ns.Addr.String()+"\n"+
		"domain-key arc,test.example,"+keys.file("rsa.pem")+"\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n check-spf-inbound yes\n check-dkim-inbound yes\n</source>\n"+
		"<domain sink.test>\n arc-seal yes\n smtp-hosts ["+host+"]:"+port+"\n</domain>\n")
	sendAll(t, d.addr, "r@sink.test", msgs)
	got := savedMessages(t, save, len(msgs))
	dns := dkimpy.Keys{"arc._domainkey.test.example": keys.rsaTXT, "fwd._domainkey.fwd.test": keys.rsaTXT,
		"ed._domainkey.sender.test": keys.edTXT}
	cvs, err := dkimpy.ARCVerify(got, dns)
	if err != nil {
		t.Fatal(err)
	}
	sealedBefore := 0
	for i, m := range got {
		if cvs[i] != "pass" {
			t.Errorf("dkimpy: message %d cv=%s:\n%s", i, cvs[i], m)
		}
		ar := unfoldField(m, "Authentication-Results")
		if !containsAll(ar, "test.example;", "spf=pass", "dkim=pass", "header.d=sender.test", "dmarc=pass") {
			t.Errorf("message %d: Authentication-Results %q", i, ar)
		}
		// Our AAR says what we found of the chain that came in.
		aar := unfoldField(m, "ARC-Authentication-Results")
		forwarded := bytes.Contains(m, []byte("i=2;"))
		if forwarded {
			sealedBefore++
		}
		switch {
		case forwarded && !strings.Contains(aar, "i=2; test.example; arc=pass"):
			t.Errorf("message %d (sealed before): our AAR %q, want arc=pass", i, aar)
		case !forwarded && !strings.Contains(aar, "i=1; test.example; arc=none"):
			t.Errorf("message %d: our AAR %q, want i=1 and arc=none", i, aar)
		}
	}
	if sealedBefore != 50 {
		t.Errorf("%d messages came with a chain, want 50", sealedBefore)
	}
	// Tampered on the way after our seal: dkimpy's cv is fail.
	bad := bytes.Replace(got[0], []byte("\r\n\r\n"), []byte("\r\n\r\nX"), 1)
	if cv, err := dkimpy.ARCVerify([][]byte{bad}, dns); err != nil || cv[0] != "fail" {
		t.Errorf("tampered body: cv=%v, %v", cv, err)
	}
}

// txtStrings writes a TXT record's text as zone-file strings of at most
// 255 octets each (RFC 1035 §3.3.14), as a 2048-bit key's record needs.
func txtStrings(s string) string {
	var parts []string
	for len(s) > 255 {
		parts = append(parts, `"`+s[:255]+`"`)
		s = s[255:]
	}
	return strings.Join(append(parts, `"`+s+`"`), " ")
}

// unfoldField is the first field named name in msg's header, unfolded.
func unfoldField(msg []byte, name string) string {
	if all := unfoldFields(msg, name); len(all) > 0 {
		return all[0]
	}
	return ""
}

// unfoldFields is every field named name in msg's header, top first,
// continuation lines joined with a space.
func unfoldFields(msg []byte, name string) []string {
	head := string(msg)
	if i := strings.Index(head, "\r\n\r\n"); i >= 0 {
		head = head[:i+2]
	}
	var out []string
	lines := strings.Split(head, "\r\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			continue
		}
		field := l
		for _, c := range lines[i+1:] {
			if c == "" || (c[0] != ' ' && c[0] != '\t') {
				break
			}
			field += " " + strings.TrimSpace(c)
		}
		out = append(out, field)
	}
	return out
}

// TestReloadChecksKeys: a reload reads the key files again; a key that
// went bad refuses the reload at its domain-key line, and the key in
// force goes on signing.
func TestReloadChecksKeys(t *testing.T) {
	keys := newAuthKeys(t)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n<source 127.0.0.1>\n always-allow-relaying yes\n</source>\n"+
		"domain-key s1,origin.test,"+keys.file("ed.key")+"\n<domain signed.test>\n dkim-sign yes\n</domain>\n")
	base := apiURL(t, d)
	if err := os.WriteFile(keys.file("ed.key"), []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := call(t, "POST", base+"/api/v1/reload", nil)
	if code != 422 || !strings.Contains(string(body), "volley.conf:") || !strings.Contains(string(body), "domain-key "+keys.file("ed.key")) {
		t.Fatalf("reload with a bad key: %d %s", code, body)
	}
	if err := sendRaw(d.addr, "s@origin.test", "a@signed.test", "From: s@origin.test\r\nSubject: x\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	stored := readSpool(t, d)
	if len(stored) != 1 || !bytes.HasPrefix(stored[0].body, []byte("DKIM-Signature: ")) {
		t.Fatalf("after the refused reload the message is not signed with the key in force")
	}
}

// slowDNS answers every DNS query NXDOMAIN, the first one only after delay:
// a name server that keeps a message's checks waiting.
func slowDNS(t *testing.T, delay time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for first := true; ; first = false {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			if first {
				time.Sleep(delay)
			}
			reply := append([]byte(nil), buf[:n]...)
			reply[2] |= 0x80                    // a response
			reply[3] = reply[3]&0x70 | 0x80 | 3 // recursion available, NXDOMAIN
			_, _ = pc.WriteTo(reply, from)
		}
	}()
	return pc.LocalAddr().String()
}

// sendData sends one message and returns the answer to its DATA (what
// says whether it was taken), whatever happens to the session after.
func sendData(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	return w.Close()
}

// TestStopDuringPreparation: SIGTERM while a message waits on its inbound
// checks: the message still gets its 250, is in the spool, and volleyd
// exits cleanly (the preparation workers outlive the stop signal until the
// sessions drain).
func TestStopDuringPreparation(t *testing.T) {
	d := startVolleyd(t, "", "name-server "+slowDNS(t, 2*time.Second)+"\n"+
		"<source 127.0.0.1>\n always-allow-relaying yes\n check-spf-inbound yes\n</source>\n")
	sent := make(chan error, 1)
	go func() {
		sent <- sendData(d.addr, "s@origin.test", "r@x.test", "From: s@origin.test\r\nSubject: x\r\n\r\nbody\r\n")
	}()
	time.Sleep(500 * time.Millisecond) // DATA is in, the SPF lookup waits
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-sent:
		if err != nil {
			t.Fatalf("the message in preparation at the stop: %v", err)
		}
	case <-time.After(peerTimeout):
		t.Fatal("no answer to the message in preparation")
	}
	stored := readSpool(t, d)
	if len(stored) != 1 {
		t.Fatalf("spool after the stop: %d messages, want 1", len(stored))
	}
	if ar := unfoldField(stored[0].body, "Authentication-Results"); !strings.Contains(ar, "test.example; spf=") {
		t.Fatalf("the stored message's Authentication-Results: %q", ar)
	}
}

// TestAPIInjectSigned: mail injected through the HTTP API is signed as SMTP
// mail is, once, before it is stored.
func TestAPIInjectSigned(t *testing.T) {
	keys := newAuthKeys(t)
	d := startVolleyd(t, "", apiConf+"http-access 127.0.0.1 admin\n"+
		"domain-key s1,origin.test,"+keys.file("rsa.pem")+"\n<domain signed.test>\n dkim-sign yes\n</domain>\n")
	post(t, "POST", apiURL(t, d)+"/api/v1/inject", api.Inject{From: "s@origin.test", To: []string{"a@signed.test"},
		Data: "From: s@origin.test\nSubject: by the API\n\nbody\n"}, nil, 200)
	stored := readSpool(t, d)
	if len(stored) != 1 || !bytes.HasPrefix(stored[0].body, []byte("DKIM-Signature: ")) ||
		!strings.Contains(unfoldField(stored[0].body, "DKIM-Signature"), "d=origin.test") {
		t.Fatalf("the injected message is not signed for origin.test: %d stored", len(stored))
	}
}

// TestIPRevInbound: check-iprev-inbound against a real DNS server (unbound
// on loopback): a client whose PTR name resolves back to it gets
// iprev=pass, one without a PTR record iprev=fail, in the stored
// message's Authentication-Results.
func TestIPRevInbound(t *testing.T) {
	ns := testdns.Start(t, testdns.Zones{
		"test.":             "test. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30",
		"127.in-addr.arpa.": "127.in-addr.arpa. 3600 IN SOA ns.test. admin.test. 1 3600 600 86400 30",
	}, []string{
		"5.0.0.127.in-addr.arpa. 300 IN PTR mail.client.test.",
		"mail.client.test. 300 IN A 127.0.0.5",
	}, "test.")
	d := startVolleyd(t, "", "name-server "+ns.Addr.String()+"\n"+
		"<source 127.0.0.0/8>\n always-allow-relaying yes\n check-iprev-inbound yes\n</source>\n")
	for _, from := range []string{"127.0.0.5", "127.0.0.6"} {
		dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		conn, err := dialer.Dial("tcp", d.addr)
		if err != nil {
			t.Fatal(err)
		}
		c, err := smtp.NewClient(conn, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Mail("a@sender.test"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("r@rcpt.test"); err != nil {
			t.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "From: a@sender.test\r\nSubject: from %s\r\n\r\nbody\r\n", from)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_ = c.Quit()
	}
	want := map[string]string{"127.0.0.5": "iprev=pass policy.iprev=127.0.0.5", "127.0.0.6": "iprev=fail policy.iprev=127.0.0.6"}
	stored := readSpool(t, d)
	if len(stored) != 2 {
		t.Fatalf("%d messages stored", len(stored))
	}
	for _, m := range stored {
		ar := unfoldField(m.body, "Authentication-Results")
		from := strings.TrimPrefix(strings.TrimSpace(unfoldField(m.body, "Subject")), "Subject: from ")
		if w, ok := want[from]; !ok || !strings.Contains(ar, w) {
			t.Errorf("message from %q: %q, want %q", from, ar, w)
		}
	}
}
