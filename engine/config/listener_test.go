package config

import (
	"net/netip"
	"strings"
	"testing"
)

// TestListenerBlock: the block form of smtp-listener takes source and
// immediate-tls beside the one-line form; with only a block there is no
// default port-25 listener; Dump writes the block back.
func TestListenerBlock(t *testing.T) {
	c, probs := LoadText("t.conf", []byte(`smtp-server-tls-certificate /etc/volley/cert.pem
smtp-listener 127.0.0.1:2525
<smtp-listener 0/0:465>
    immediate-tls yes
    source submission
    await-slot no
</smtp-listener>
<source submission>
    require-auth yes
</source>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	ls := c.Global.Listeners
	if len(ls) != 2 || ls[0].ImmediateTLS || !ls[1].ImmediateTLS || ls[1].Source != "submission" ||
		ls[1].Addr != netip.MustParseAddrPort("0.0.0.0:465") || ls[1].Pos.Line != 3 {
		t.Fatalf("listeners %+v", ls)
	}
	dump := c.Dump()
	if !strings.Contains(dump, "smtp-listener 127.0.0.1:2525\n") || strings.Contains(dump, "smtp-listener 0.0.0.0:465\n") ||
		!strings.Contains(dump, "<smtp-listener 0.0.0.0:465>\n    source submission\n    immediate-tls yes\n</smtp-listener>\n") {
		t.Errorf("dump:\n%s", dump)
	}
	c2, probs := LoadText("dump.conf", []byte(dump))
	if len(probs) > 0 || len(c2.Global.Listeners) != 2 || !c2.Global.Listeners[1].ImmediateTLS {
		t.Errorf("the dump loads to %+v, %v", c2.Global.Listeners, probs)
	}

	c, probs = LoadText("t.conf", []byte("<smtp-listener 127.0.0.1:2527>\nimmediate-tls yes\ntls-certificate own.pem pw\n</smtp-listener>\n"))
	if l := c.Global.Listeners; len(probs) > 0 || len(l) != 1 || l[0].TLSCertificate != "own.pem" || l[0].TLSPassword != "pw" ||
		!strings.Contains(c.Dump(), "<smtp-listener 127.0.0.1:2527>\n    immediate-tls yes\n    tls-certificate own.pem pw\n</smtp-listener>\n") {
		t.Errorf("a listener with its own certificate: %+v, %v\n%s", l, probs, c.Dump())
	}

	c, probs = LoadText("t.conf", []byte("<smtp-listener 127.0.0.1:2526>\n</smtp-listener>\n"))
	if len(probs) > 0 || len(c.Global.Listeners) != 1 || c.Global.Listeners[0].Addr.Port() != 2526 {
		t.Errorf("a block alone: %+v, %v", c.Global.Listeners, probs)
	}
}

func TestListenerBlockProblems(t *testing.T) {
	wantOneProblem(t, map[string]string{
		"<smtp-listener 0/0:465>\nimmediate-tls yes\n</smtp-listener>\n":     "t.conf:1: <smtp-listener 0/0:465>: immediate-tls needs a tls-certificate line or smtp-server-tls-certificate",
		"<smtp-listener mail.example:465>\n</smtp-listener>\n":               "t.conf:1: <smtp-listener>: ",
		"<smtp-listener>\n</smtp-listener>\n":                                "t.conf:1: <smtp-listener>: expected an address IP:PORT",
		"<smtp-listener 0/0:465>\nsource nosuch\n</smtp-listener>\n":         "t.conf:1: smtp-listener: unknown source \"nosuch\"",
		"<smtp-listener 0/0:465>\nawait-slot yes\n</smtp-listener>\n":        "t.conf:2: await-slot: not supported",
		"<smtp-listener 0/0:465>\ntls-ciphers HIGH\n</smtp-listener>\n":      "t.conf:2: unknown directive \"tls-ciphers\"",
		"<smtp-listener 0/0:465>\nimmediate-tls maybe\n</smtp-listener>\n":   "t.conf:2: immediate-tls: ",
		"<smtp-listener 0/0:465>\n<domain x>\n</domain>\n</smtp-listener>\n": "t.conf:2: block <domain> is not allowed inside <smtp-listener>",
	})
}
