package config

import (
	"strings"
	"testing"
)

func TestTransmissionsBlocks(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	c, probs := LoadText("t.conf", []byte(`<transmissions-api>
    api-key `+key+`
    log-requests yes
    log-data no
</transmissions-api>
<transmissions-api-listener 0/0:8443>
    tls-certificate /etc/volley/api.pem s3cret
</transmissions-api-listener>
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if ta := c.TransmissionsAPI; len(ta.APIKeys) != 1 || ta.APIKeys[0] != key || !ta.LogRequests {
		t.Errorf("transmissions-api %+v", ta)
	}
	ls := c.TransmissionsListeners
	if len(ls) != 1 || ls[0].Addr.String() != "0.0.0.0:8443" || ls[0].TLSCertificate != "/etc/volley/api.pem" || ls[0].TLSPassword != "s3cret" {
		t.Fatalf("listeners %+v", ls)
	}
	dump := c.Dump()
	for _, want := range []string{"<transmissions-api>\n    api-key " + key + "\n    log-requests yes\n</transmissions-api>\n",
		"<transmissions-api-listener 0.0.0.0:8443>\n    tls-certificate /etc/volley/api.pem s3cret\n</transmissions-api-listener>\n"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if _, probs := LoadText("d.conf", []byte(dump)); len(probs) > 0 {
		t.Errorf("the dump does not load: %v", probs)
	}
	wantOneProblem(t, map[string]string{
		"<transmissions-api-listener 0/0:8443>\ntls-certificate x.pem\n</transmissions-api-listener>\n":                                          "t.conf:1: <transmissions-api-listener>: no client could use it",
		"<transmissions-api>\napi-key " + key + "\n</transmissions-api>\n<transmissions-api-listener 0/0:8443>\n</transmissions-api-listener>\n": "t.conf:4: <transmissions-api-listener 0/0:8443>: expected a tls-certificate line",
		"<transmissions-api>\napi-key short\n</transmissions-api>\n":                                                                             "t.conf:2: api-key: expected a key of 32 to 128 characters",
		"<transmissions-api>\nlog-data yes\n</transmissions-api>\n":                                                                              "t.conf:2: log-data: not supported",
		"<transmissions-api x>\n</transmissions-api>\n":                                                                                          "t.conf:1: <transmissions-api> takes no argument",
		"<transmissions-api-listener>\n</transmissions-api-listener>\n":                                                                          "t.conf:1: <transmissions-api-listener>: expected an address IP:PORT",
	})
}
