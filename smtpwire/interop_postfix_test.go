package smtpwire

// Interop with a private Postfix instance: its smtpd receives BDAT from the client machine
// (smtp-sink and swaks have no CHUNKING), and its smtp client, which pipelines, relays into
// the server machine. The instance lives in a temporary directory with its own config,
// queue and log, listens on 127.0.0.1 only, and is stopped when the test ends.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

type postfixInstance struct {
	dir, conf, log string
	port           int // smtpd listener on 127.0.0.1
	postfix        string
}

// startPostfix starts a private Postfix whose smtpd listens on a free loopback port. main
// holds extra main.cf lines (transports, relayhost). It needs root, as Postfix does.
func startPostfix(t *testing.T, main string) *postfixInstance {
	t.Helper()
	bin := needPeer(t, "postfix")
	if os.Geteuid() != 0 {
		if os.Getenv("VOLLEY_REQUIRE_PEERS") != "" {
			t.Fatal("a private Postfix instance needs root")
		}
		t.Skip("a private Postfix instance needs root; skipping")
	}
	dir, err := os.MkdirTemp("", "volley-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	p := &postfixInstance{dir: dir, conf: filepath.Join(dir, "conf"), log: filepath.Join(dir, "maillog"), port: freePort(t), postfix: bin}
	for _, d := range []string{p.conf, filepath.Join(dir, "queue"), filepath.Join(dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	if out, err := exec.Command("chown", "postfix", filepath.Join(dir, "data")).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	mainCF := "compatibility_level = 3.6\nqueue_directory = " + dir + "/queue\ndata_directory = " + dir + "/data\n" +
		"mail_owner = postfix\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmyhostname = postfix.test\n" +
		"mydestination =\nmynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject\n" +
		"maillog_file_prefixes = " + dir + "\nmaillog_file = " + p.log + "\n" +
		"smtp_host_lookup = native\ndisable_dns_lookups = yes\nqueue_run_delay = 1s\nminimal_backoff_time = 1s\n" + main
	master := masterCF(t, p.port)
	if err := os.WriteFile(filepath.Join(p.conf, "main.cf"), []byte(mainCF), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.conf, "master.cf"), []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runBounded(exec.Command(bin, "-c", p.conf, "start"), time.Minute); err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, p.logText())
	}
	t.Cleanup(func() {
		runBounded(exec.Command(bin, "-c", p.conf, "stop"), time.Minute)
		os.RemoveAll(dir)
	})
	dialRetry(t, "127.0.0.1:"+strconv.Itoa(p.port)).Close()
	return p
}

// masterCF is Debian's master.cf with the smtpd listener moved to port and chroot off.
func masterCF(t *testing.T, port int) string {
	base, err := os.ReadFile("/etc/postfix/master.cf")
	if err != nil {
		// Debian installs its template here even when Postfix was left unconfigured.
		if base, err = os.ReadFile("/usr/share/postfix/master.cf.dist"); err != nil {
			t.Fatalf("no master.cf to start from: %v", err)
		}
	}
	var b strings.Builder
	for _, line := range strings.Split(string(base), "\n") {
		f := strings.Fields(line)
		if len(f) >= 8 && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
			if f[0] == "smtp" && f[1] == "inet" {
				f[0] = "127.0.0.1:" + strconv.Itoa(port)
			}
			f[4] = "n" // no chroot: the instance has no chroot tree
			line = strings.Join(f, " ")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func (p *postfixInstance) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitLog waits until the log matches re count times, or fails.
func (p *postfixInstance) waitLog(t *testing.T, re *regexp.Regexp, count int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if n := len(re.FindAllStringIndex(p.logText(), -1)); n >= count {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Postfix log has %d lines matching %v, want %d:\n%s", len(re.FindAllStringIndex(p.logText(), -1)), re, count, lastLines(p.logText(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestInteropClientBDATToPostfix sends with BDAT from the client machine to Postfix's smtpd,
// which announces CHUNKING, and checks Postfix counted the BDAT commands and delivered.
func TestInteropClientBDATToPostfix(t *testing.T) {
	p := startPostfix(t, "relay_domains = sink.test\ndefault_transport = discard\nrelay_transport = discard\n")
	conn := dialRetry(t, "127.0.0.1:"+strconv.Itoa(p.port))
	defer conn.Close()
	body := []byte("Subject: chunked\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n.no stuffing in BDAT\r\nGrüße\r\n")
	tx := &Transaction{From: []byte("sender@volley.test"), Mail: MailParams{Body: Body8BitMIME},
		To: [][]byte{[]byte("a@sink.test"), []byte("b@sink.test")}, Body: body}
	const messages = 20
	c, delivered, rcptOK := deliver(t, conn, &ClientConfig{Hostname: "volley.test", UseChunking: true}, tx, messages)
	if c.Caps.Ext&ExtChunking == 0 {
		t.Fatal("Postfix did not announce CHUNKING")
	}
	if delivered != messages || rcptOK != 2*messages {
		t.Fatalf("delivered %d messages and %d recipients, want %d and %d", delivered, rcptOK, messages, 2*messages)
	}
	p.waitLog(t, regexp.MustCompile(`bdat=`+strconv.Itoa(messages)+` `), 1, 10*time.Second)
	p.waitLog(t, regexp.MustCompile(`discard\[\d+\]: \w+: to=<[ab]@sink\.test>.*status=sent`), 2*messages, 20*time.Second)
}

// TestInteropPostfixRelaysIntoServer has Postfix's smtp client, which pipelines MAIL, RCPT
// and DATA, relay messages from smtp-source into the server machine.
func TestInteropPostfixRelaysIntoServer(t *testing.T) {
	source := needPeer(t, "smtp-source")
	h := startHarness(t, interopServerConfig(), true)
	p := startPostfix(t, "relay_domains = volley.test\nrelayhost = ["+strings.Replace(h.addr(), ":", "]:", 1)+"\n"+
		"smtp_tls_security_level = none\n")
	const messages = 200
	out, err := runBounded(exec.Command(source, "-s", "5", "-m", strconv.Itoa(messages), "-r", "2", "-l", "2000",
		"-f", "sender@source.test", "-t", "rcpt@volley.test", "-M", "source.test", "127.0.0.1:"+strconv.Itoa(p.port)), 2*time.Minute)
	if err != nil {
		t.Fatalf("smtp-source: %v\n%s", err, out)
	}
	p.waitLog(t, regexp.MustCompile(`relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+.*status=sent`), 2*messages, time.Minute)
	if got := h.messages.Load(); got < messages {
		t.Fatalf("server accepted %d messages, want %d", got, messages)
	}
	if h.batches.Load() == 0 {
		t.Fatal("Postfix never pipelined MAIL and RCPT to the server")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, env := range h.envelope {
		if !strings.HasPrefix(env, "sender@source.test ") || strings.Count(env, "rcpt@volley.test") != 2 {
			t.Fatalf("message %d envelope %q", i, env)
		}
		if !bytes.Contains(h.bodies[i], []byte("Received: ")) {
			t.Fatalf("message %d lacks Postfix's Received header: %q", i, h.bodies[i])
		}
	}
}
