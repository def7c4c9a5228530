package smtpwire

import (
	"testing"
)

// ehloParseCases pair EHLO replies, most as real servers send them, with the
// capabilities ParseEHLO must find; the fuzz target is seeded from them.
var ehloParseCases = []struct {
	name string
	in   string
	want Capabilities
}{
	{"rfc5321 D.1", "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
		Capabilities{Ext: Ext8BitMIME | ExtSize | ExtDSN}},
	{"postfix",
		"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
			"250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n" +
			"250-SMTPUTF8\r\n250 CHUNKING\r\n",
		Capabilities{Ext: ExtPipelining | ExtSize | ExtStartTLS | ExtAuth | ExtEnhancedStatusCodes | Ext8BitMIME |
			ExtDSN | ExtSMTPUTF8 | ExtChunking, MaxSize: 10240000, Auth: AuthPlain | AuthLogin}},
	{"gmail",
		"250-smtp.gmail.com at your service, [192.0.2.1]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n" +
			"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
		Capabilities{Ext: ExtSize | Ext8BitMIME | ExtStartTLS | ExtEnhancedStatusCodes | ExtPipelining | ExtChunking |
			ExtSMTPUTF8, MaxSize: 35882577}},
	{"exchange online",
		"250-BN8NAM12FT011.mail.protection.outlook.com Hello [192.0.2.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n" +
			"250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n",
		Capabilities{Ext: ExtSize | ExtPipelining | ExtDSN | ExtEnhancedStatusCodes | ExtStartTLS | Ext8BitMIME |
			ExtBinaryMIME | ExtChunking | ExtSMTPUTF8, MaxSize: 157286400}},
	{"submission after STARTTLS",
		"250-smtp.example.net\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250-REQUIRETLS\r\n250 SIZE 0\r\n",
		Capabilities{Ext: ExtAuth | ExtRequireTLS | ExtSize, Auth: AuthLogin | AuthPlain | AuthXOAUTH2 | AuthOAuthBearer}},
	{"lower case", "250-mx\r\n250-pipelining\r\n250-size 1000\r\n250-StartTLS\r\n250 auth plain cram-md5 scram-sha-1 Scram-Sha-256\r\n",
		Capabilities{Ext: ExtPipelining | ExtSize | ExtStartTLS | ExtAuth, MaxSize: 1000,
			Auth: AuthPlain | AuthCramMD5 | AuthScramSHA1 | AuthScramSHA256}},
	{"old auth form only", "250-mx\r\n250 AUTH=LOGIN\r\n", Capabilities{Ext: ExtAuth, Auth: AuthLogin}},
	{"both auth forms add up", "250-mx\r\n250-AUTH PLAIN\r\n250 AUTH=LOGIN\r\n", Capabilities{Ext: ExtAuth, Auth: AuthPlain | AuthLogin}},
	{"auth without mechanisms", "250-mx\r\n250 AUTH\r\n", Capabilities{Ext: ExtAuth}},
	{"unknown mechanisms", "250-mx\r\n250 AUTH GSSAPI NTLM  PLAIN\r\n", Capabilities{Ext: ExtAuth, Auth: AuthPlain}},
	{"tabs", "250-mx\r\n250 AUTH\tPLAIN\tLOGIN\r\n", Capabilities{Ext: ExtAuth, Auth: AuthPlain | AuthLogin}},
	{"equals only for auth", "250-mx\r\n250 SIZE=1000\r\n", Capabilities{}},
	{"size not a number", "250-mx\r\n250 SIZE abc\r\n", Capabilities{Ext: ExtSize}},
	{"size signed", "250-mx\r\n250 SIZE +100\r\n", Capabilities{Ext: ExtSize}},
	{"size largest", "250-mx\r\n250 SIZE 9223372036854775807\r\n", Capabilities{Ext: ExtSize, MaxSize: 9223372036854775807}},
	{"size overflows", "250-mx\r\n250 SIZE 9223372036854775808\r\n", Capabilities{Ext: ExtSize}},
	{"size extra params", "250-mx\r\n250 SIZE  5000 junk\r\n", Capabilities{Ext: ExtSize, MaxSize: 5000}},
	{"keyword prefix is not keyword", "250-mx\r\n250-SIZEX 10\r\n250-PIPELINING2\r\n250 DSNX\r\n", Capabilities{}},
	{"leading space", "250-mx\r\n250  PIPELINING\r\n", Capabilities{Ext: ExtPipelining}},
	{"enhanced codes on EHLO lines", "250-2.0.0 mx\r\n250-2.0.0 PIPELINING\r\n250 2.0.0 SIZE 100\r\n",
		Capabilities{Ext: ExtPipelining | ExtSize, MaxSize: 100}},
	{"greeting line ignored", "250 PIPELINING\r\n", Capabilities{}},
	{"not 250", "502 5.5.2 Error: command not recognized\r\n", Capabilities{}},
	{"non-ASCII fold not applied", "250-mx\r\n250 \u017fize 10\r\n", Capabilities{}},
}

func TestParseEHLO(t *testing.T) {
	for _, tc := range ehloParseCases {
		t.Run(tc.name, func(t *testing.T) {
			var r ParsedReply
			if _, err := ParseReply([]byte(tc.in), &r); err != nil {
				t.Fatal(err)
			}
			caps := Capabilities{Ext: ExtRequireTLS, MaxSize: 7, Auth: AuthLogin} // must be replaced
			ParseEHLO(&r, &caps)
			if caps != tc.want {
				t.Fatalf("ParseEHLO = {%v %d %v}, want {%v %d %v}",
					caps.Ext, caps.MaxSize, caps.Auth, tc.want.Ext, tc.want.MaxSize, tc.want.Auth)
			}
		})
	}
}

// ehloNormalize returns what AppendEHLOReply can express of c: known bits
// only, MaxSize only with ExtSize and above 0, Auth only with ExtAuth.
func ehloNormalize(c Capabilities) Capabilities {
	c.Ext &= extensionAll
	c.Auth &= authMechAll
	if c.Ext&ExtSize == 0 || c.MaxSize < 0 {
		c.MaxSize = 0
	}
	if c.Ext&ExtAuth == 0 {
		c.Auth = 0
	}
	return c
}

func TestAppendEHLOReply(t *testing.T) {
	cases := []struct {
		name            string
		host, greeting  string
		caps            Capabilities
		wire            string
		roundTripTarget Capabilities
	}{
		{"none", "mx.example.com", "Volley", Capabilities{}, "250 mx.example.com Volley\r\n", Capabilities{}},
		{"no greeting", "mx.example.com", "", Capabilities{Ext: ExtPipelining}, "250-mx.example.com\r\n250 PIPELINING\r\n",
			Capabilities{Ext: ExtPipelining}},
		{"all", "mx.example.com", "at your service",
			Capabilities{Ext: extensionAll, MaxSize: 52428800, Auth: authMechAll},
			"250-mx.example.com at your service\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n" +
				"250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-DSN\r\n250-STARTTLS\r\n" +
				"250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER SCRAM-SHA-1 SCRAM-SHA-256\r\n250 REQUIRETLS\r\n",
			Capabilities{Ext: extensionAll, MaxSize: 52428800, Auth: authMechAll}},
		{"size without limit, auth without mechanisms", "mx", "", Capabilities{Ext: ExtSize | ExtAuth},
			"250-mx\r\n250-SIZE\r\n250 AUTH\r\n", Capabilities{Ext: ExtSize | ExtAuth}},
		{"values without their extension", "mx", "", Capabilities{Ext: ExtDSN, MaxSize: 10, Auth: AuthPlain},
			"250-mx\r\n250 DSN\r\n", Capabilities{Ext: ExtDSN}},
		{"unknown bits dropped", "mx", "", Capabilities{Ext: ExtDSN | 1<<30, Auth: 1 << 7},
			"250-mx\r\n250 DSN\r\n", Capabilities{Ext: ExtDSN}},
		{"line breaks in config dropped", "mx.\r\nexample", "hi\n250 there", Capabilities{},
			"250 mx.example hi250 there\r\n", Capabilities{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wire := AppendEHLOReply([]byte("pre"), tc.host, tc.greeting, &tc.caps)
			if string(wire) != "pre"+tc.wire {
				t.Fatalf("AppendEHLOReply = %q, want %q", wire[3:], tc.wire)
			}
			var r ParsedReply
			if n, err := ParseReply(wire[3:], &r); err != nil || n != len(tc.wire) {
				t.Fatalf("ParseReply = %d, %v", n, err)
			}
			var caps Capabilities
			ParseEHLO(&r, &caps)
			if caps != tc.roundTripTarget || caps != ehloNormalize(tc.caps) {
				t.Fatalf("round trip = %+v, want %+v", caps, tc.roundTripTarget)
			}
		})
	}
}

// TestEHLORoundTrip checks AppendEHLOReply then ParseReply and ParseEHLO
// against every single extension and mechanism and a spread of sizes.
func TestEHLORoundTrip(t *testing.T) {
	var all []Capabilities
	for bit := 0; bit < extensionCount; bit++ {
		all = append(all, Capabilities{Ext: Extension(1) << bit})
	}
	for bit := 0; bit < authMechCount; bit++ {
		all = append(all, Capabilities{Ext: ExtAuth | ExtPipelining, Auth: AuthMech(1) << bit})
	}
	for _, size := range []int64{1, 10, 35882577, 1 << 40, 9223372036854775807} {
		all = append(all, Capabilities{Ext: ExtSize | ExtChunking, MaxSize: size})
	}
	for _, want := range all {
		wire := AppendEHLOReply(nil, "mx.example.com", "hello", &want)
		var r ParsedReply
		if _, err := ParseReply(wire, &r); err != nil {
			t.Fatalf("%q: %v", wire, err)
		}
		var got Capabilities
		ParseEHLO(&r, &got)
		if got != want {
			t.Errorf("%q: got %+v, want %+v", wire, got, want)
		}
	}
}

func TestExtensionString(t *testing.T) {
	cases := []struct {
		got, want string
	}{
		{Extension(0).String(), "0"},
		{ExtStartTLS.String(), "STARTTLS"},
		{Ext8BitMIME.String(), "8BITMIME"},
		{(ExtPipelining | ExtSize).String(), "PIPELINING|SIZE"},
		{(ExtRequireTLS | 1<<20).String(), "REQUIRETLS|0x100000"},
		{Extension(1 << 31).String(), "0x80000000"},
		{AuthMech(0).String(), "0"},
		{(AuthPlain | AuthScramSHA256).String(), "PLAIN|SCRAM-SHA-256"},
		{AuthMech(1 << 7).String(), "0x80"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("String = %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// TestEHLOTables checks that the name tables have one upper-case entry per bit,
// as the enums' Count sentinels promise.
func TestEHLOTables(t *testing.T) {
	if len(ehloKeywords) != extensionCount || ExtRequireTLS != 1<<(extensionCount-1) {
		t.Errorf("ehloKeywords has %d entries for %d extensions", len(ehloKeywords), extensionCount)
	}
	if len(authMechNames) != authMechCount || AuthScramSHA256 != 1<<(authMechCount-1) {
		t.Errorf("authMechNames has %d entries for %d mechanisms", len(authMechNames), authMechCount)
	}
	for _, names := range [][]string{ehloKeywords[:], authMechNames[:]} {
		for _, name := range names {
			if !ehloEqualFold([]byte(name), name) {
				t.Errorf("%q is not upper case", name)
			}
			for _, c := range []byte(name) {
				if c >= 'a' && c <= 'z' {
					t.Errorf("%q is not upper case", name)
				}
			}
		}
	}
}

func TestEHLOAllocs(t *testing.T) {
	var r ParsedReply
	if _, err := ParseReply([]byte(ehloParseCases[1].in), &r); err != nil {
		t.Fatal(err)
	}
	var caps Capabilities
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { ParseEHLO(&r, &caps) }); n != 0 {
		t.Errorf("ParseEHLO: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		buf = AppendEHLOReply(buf[:0], "mx.example.com", "hello", &caps)
	}); n != 0 {
		t.Errorf("AppendEHLOReply: %v allocs, want 0", n)
	}
}
