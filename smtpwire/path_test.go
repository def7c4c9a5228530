package smtpwire

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

var pathValidCases = []parseCase{
	{"simple", "MAIL FROM:<Smith@bar.com>", `MAIL mailbox="Smith@bar.com" local="Smith" domain="bar.com"`, nil},
	{"space after colon", "MAIL FROM: <a@b.example>", `MAIL mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"spaces after colon", "RCPT TO:   <a@b.example>", `RCPT mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"lower keyword", "mail from:<a@b.example>", `MAIL mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"mixed keyword", "Rcpt To:<a@b.example>", `RCPT mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"double space after verb", "MAIL  FROM:<a@b.example>", `MAIL mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"trailing spaces", "MAIL FROM:<a@b.example>   ", `MAIL mailbox="a@b.example" local="a" domain="b.example"`, nil},
	{"null", "MAIL FROM:<>", `MAIL null`, nil},
	{"null space", "MAIL FROM: <>", `MAIL null`, nil},
	{"null params", "MAIL FROM:<> SIZE=100", `MAIL null size=100`, nil},
	{"single label", "RCPT TO:<root@localhost>", `RCPT mailbox="root@localhost" local="root" domain="localhost"`, nil},
	{"digits and hyphens", "RCPT TO:<a@1-2.3com.example>", `RCPT mailbox="a@1-2.3com.example" local="a" domain="1-2.3com.example"`, nil},
	{"dot-string", "RCPT TO:<first.m.last@x.example>", `RCPT mailbox="first.m.last@x.example" local="first.m.last" domain="x.example"`, nil},
	{"atext specials", "RCPT TO:<!#$%&'*+-/=?^_`{|}~@x.example>", "RCPT mailbox=\"!#$%&'*+-/=?^_`{|}~@x.example\" local=\"!#$%&'*+-/=?^_`{|}~\" domain=\"x.example\"", nil},
	{"quoted", `RCPT TO:<"john doe"@x.example>`, `RCPT mailbox="\"john doe\"@x.example" local="\"john doe\"" domain="x.example"`, nil},
	{"quoted pair", `RCPT TO:<"a\"b\\c"@x.example>`, `RCPT mailbox="\"a\\\"b\\\\c\"@x.example" local="\"a\\\"b\\\\c\"" domain="x.example"`, nil},
	{"quoted brackets", `RCPT TO:<"a>b<c@d"@x.example> NOTIFY=NEVER`, `RCPT mailbox="\"a>b<c@d\"@x.example" local="\"a>b<c@d\"" domain="x.example" notify=NEVER`, nil},
	{"quoted empty", `RCPT TO:<""@x.example>`, `RCPT mailbox="\"\"@x.example" local="\"\"" domain="x.example"`, nil},
	{"ipv4 literal", "RCPT TO:<a@[192.0.2.1]>", `RCPT mailbox="a@[192.0.2.1]" local="a" domain="[192.0.2.1]"`, nil},
	{"ipv6 literal", "RCPT TO:<a@[IPv6:2001:db8::1]>", `RCPT mailbox="a@[IPv6:2001:db8::1]" local="a" domain="[IPv6:2001:db8::1]"`, nil},
	{"ipv6 tag lower", "RCPT TO:<a@[ipv6:::1]>", `RCPT mailbox="a@[ipv6:::1]" local="a" domain="[ipv6:::1]"`, nil},
	{"ipv6v4 literal", "RCPT TO:<a@[IPv6:::ffff:192.0.2.1]>", `RCPT mailbox="a@[IPv6:::ffff:192.0.2.1]" local="a" domain="[IPv6:::ffff:192.0.2.1]"`, nil},
	{"source route", "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>", `RCPT mailbox="userc@d.bar.org" local="userc" domain="d.bar.org"`, nil},
	{"source route one", "MAIL FROM:<@a.example:u@b.example>", `MAIL mailbox="u@b.example" local="u" domain="b.example"`, nil},
	{"postmaster", "RCPT TO:<Postmaster>", `RCPT mailbox="Postmaster" local="Postmaster"`, nil},
	{"postmaster lower", "RCPT TO:<postmaster>", `RCPT mailbox="postmaster" local="postmaster"`, nil},
	{"postmaster domain", "RCPT TO:<Postmaster@x.example>", `RCPT mailbox="Postmaster@x.example" local="Postmaster" domain="x.example"`, nil},
	{"utf8 local", "RCPT TO:<用户@example.com>", `RCPT mailbox="用户@example.com" local="用户" domain="example.com" utf8`, nil},
	{"utf8 domain", "MAIL FROM:<info@bücher.example> SMTPUTF8", `MAIL mailbox="info@bücher.example" local="info" domain="bücher.example" utf8 smtputf8`, nil},
	{"utf8 quoted", `RCPT TO:<"José Ñ"@x.example>`, `RCPT mailbox="\"José Ñ\"@x.example" local="\"José Ñ\"" domain="x.example" utf8`, nil},
	{"local 64", "RCPT TO:<" + strings.Repeat("l", 64) + "@x.example>", `RCPT mailbox="` + strings.Repeat("l", 64) + `@x.example" local="` + strings.Repeat("l", 64) + `" domain="x.example"`, nil},
	{"label 63", "RCPT TO:<a@" + strings.Repeat("d", 63) + ".example>", `RCPT mailbox="a@` + strings.Repeat("d", 63) + `.example" local="a" domain="` + strings.Repeat("d", 63) + `.example"`, nil},
	{"path 256", "RCPT TO:<" + mailboxOfLen(254) + ">", `RCPT mailbox="` + mailboxOfLen(254) + `" local="a" domain="` + mailboxOfLen(254)[2:] + `"`, nil},
}

func TestParsePathValid(t *testing.T) { runParseCases(t, pathValidCases) }

var pathInvalidCases = []parseCase{
	{"leading dot", "MAIL FROM:<.a@b.example>", "", ErrBadSenderAddress},
	{"trailing dot", "MAIL FROM:<a.@b.example>", "", ErrBadSenderAddress},
	{"double dot", "RCPT TO:<a..b@b.example>", "", ErrBadRecipientAddress},
	{"no local", "RCPT TO:<@b.example>", "", ErrBadRecipientAddress},
	{"no at", "RCPT TO:<ab.example>", "", ErrBadRecipientAddress},
	{"no domain", "RCPT TO:<a@>", "", ErrBadRecipientAddress},
	{"two ats", "RCPT TO:<a@b@c.example>", "", ErrBadRecipientAddress},
	{"special in local", "RCPT TO:<a(b)@c.example>", "", ErrBadRecipientAddress},
	{"comma in local", "RCPT TO:<a,b@c.example>", "", ErrBadRecipientAddress},
	{"space in local", "MAIL FROM:<a b@c.example>", "", ErrBadSenderAddress},
	{"leading hyphen", "RCPT TO:<a@-b.example>", "", ErrBadRecipientAddress},
	{"trailing hyphen", "RCPT TO:<a@b-.example>", "", ErrBadRecipientAddress},
	{"empty label", "RCPT TO:<a@b..example>", "", ErrBadRecipientAddress},
	{"trailing dot domain", "RCPT TO:<a@b.example.>", "", ErrBadRecipientAddress},
	{"leading dot domain", "RCPT TO:<a@.example>", "", ErrBadRecipientAddress},
	{"underscore domain", "RCPT TO:<a@b_c.example>", "", ErrBadRecipientAddress},
	{"label 64", "RCPT TO:<a@" + strings.Repeat("d", 64) + ".example>", "", ErrBadRecipientAddress},
	{"unterminated quote", `RCPT TO:<"abc@b.example>`, "", ErrBadRecipientAddress},
	{"quote then junk", `RCPT TO:<"a"b@c.example>`, "", ErrBadRecipientAddress},
	{"quoted pair utf8", "RCPT TO:<\"a\\\xc3\xa9\"@c.example>", "", ErrBadRecipientAddress},
	{"bad utf8", "RCPT TO:<a\xff@c.example>", "", ErrBadRecipientAddress},
	{"bad utf8 domain", "MAIL FROM:<a@c\xc3.example>", "", ErrBadSenderAddress},
	{"ipv4 256", "RCPT TO:<a@[256.1.1.1]>", "", ErrBadRecipientAddress},
	{"ipv4 three", "RCPT TO:<a@[1.2.3]>", "", ErrBadRecipientAddress},
	{"ipv4 five", "RCPT TO:<a@[1.2.3.4.5]>", "", ErrBadRecipientAddress},
	{"ipv4 space", "RCPT TO:<a@[1.2.3.4 ]>", "", ErrBadRecipientAddress},
	{"literal unclosed", "RCPT TO:<a@[1.2.3.4>", "", ErrBadRecipientAddress},
	{"literal junk after", "RCPT TO:<a@[1.2.3.4]x>", "", ErrBadRecipientAddress},
	{"general literal", "RCPT TO:<a@[x400:c=us]>", "", ErrBadRecipientAddress},
	{"ipv6 no tag", "RCPT TO:<a@[2001:db8::1]>", "", ErrBadRecipientAddress},
	{"ipv6 bad", "RCPT TO:<a@[IPv6:1::2::3]>", "", ErrBadRecipientAddress},
	{"route no colon", "RCPT TO:<@a.example>", "", ErrBadRecipientAddress},
	{"route empty", "RCPT TO:<@:a@b.example>", "", ErrBadRecipientAddress},
	{"route missing at", "RCPT TO:<@a.example,b.example:u@c.example>", "", ErrBadRecipientAddress},
	{"route bad sep", "RCPT TO:<@a.example;u@c.example>", "", ErrBadRecipientAddress},
	{"postmaster on mail", "MAIL FROM:<Postmaster>", "", ErrBadSenderAddress},
	{"postmaster at", "RCPT TO:<Postmaster@>", "", ErrBadRecipientAddress},
	{"null rcpt", "RCPT TO:<>", "", ErrNullRecipient},
	{"null rcpt space", "RCPT TO: <> NOTIFY=NEVER", "", ErrNullRecipient},
	{"local 65", "RCPT TO:<" + strings.Repeat("l", 65) + "@x.example>", "", ErrRecipientTooLong},
	{"local 65 sender", "MAIL FROM:<" + strings.Repeat("l", 65) + "@x.example>", "", ErrSenderTooLong},
	{"domain 256", "RCPT TO:<a@" + mailboxOfLen(258)[2:] + ">", "", ErrRecipientTooLong},
	{"path 257", "MAIL FROM:<" + mailboxOfLen(255) + ">", "", ErrSenderTooLong},
	{"path 257 route", "RCPT TO:<@r.example:" + mailboxOfLen(244) + ">", "", ErrRecipientTooLong},
}

func TestParsePathInvalid(t *testing.T) { runParseCases(t, pathInvalidCases) }

// mailboxOfLen returns "a@" and a domain of 9- and 10-octet labels, n
// octets in all.
func mailboxOfLen(n int) string {
	d := strings.Repeat("ddddddddd.", n/10+1)[:n-2]
	if strings.HasSuffix(d, ".") {
		d = d[:len(d)-1] + "d"
	}
	return "a@" + d
}

func TestValidIPv6(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2001:db8::1", true}, {"::", true}, {"::1", true}, {"1::", true},
		{"1:2:3:4:5:6:7:8", true}, {"1:2:3:4:5:6:7::", true}, {"::2:3:4:5:6:7:8", true},
		{"ABCD:ef01::", true}, {"fe80::1:2", true}, {"0:0:0:0:0:0:0:0", true},
		{"::ffff:192.0.2.1", true}, {"1:2:3:4:5:6:1.2.3.4", true}, {"::1.2.3.4", true},
		{"1::1.2.3.4", true},
		{"", false}, {":", false}, {":::", false}, {"1:2:3:4:5:6:7", false},
		{"1:2:3:4:5:6:7:8:9", false}, {"1::2::3", false}, {"12345::", false},
		{"g::", false}, {"1:", false}, {":1", false}, {"1:2:3:4:5:6:7:8::", false},
		{"::1:2:3:4:5:6:7:8", false}, {"::1.2.3", false}, {"1.2.3.4", false},
		{"::1.2.3.4:5", false}, {"1:2:3:4:5:6:7:1.2.3.4", false}, {"::256.1.1.1", false},
		{"1:2:3:4:5:6::1.2.3.4", false}, {"::ffff:1.2.3.4.", false}, {"1::2:", false},
		{"::%eth0", false}, {"ab.1.2.3::", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := validIPv6([]byte(tc.in)); got != tc.ok {
				t.Errorf("validIPv6(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
}

// TestValidIPv6Netip cross-checks validIPv6 against net/netip on random
// sequences of hex groups and colons (netip is allowed in tests; the
// package itself may not import net).
func TestValidIPv6Netip(t *testing.T) {
	tokens := []string{"0", "1f", "abc", "ABCD", "12345", "g", ":", ":", ":", "::"}
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 0, 96)
	valid := 0
	for range 200000 {
		b = b[:0]
		for n := r.IntN(18); n > 0; n-- {
			b = append(b, tokens[r.IntN(len(tokens))]...)
		}
		a, err := netip.ParseAddr(string(b))
		want := err == nil && a.Is6()
		if got := validIPv6(b); got != want {
			t.Fatalf("validIPv6(%q) = %v, netip says %v (%v)", b, got, want, err)
		}
		if want {
			valid++
		}
	}
	if valid < 1000 {
		t.Fatalf("only %d valid addresses generated; the generator is too weak", valid)
	}
}

func TestValidIPv4(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0.0.0.0", true}, {"255.255.255.255", true}, {"192.0.2.1", true}, {"010.1.1.1", true},
		{"", false}, {"1.2.3", false}, {"1.2.3.4.", false}, {".1.2.3.4", false},
		{"256.0.0.0", false}, {"1.2.3.1000", false}, {"0001.1.1.1", false}, {"a.b.c.d", false},
		{"1..2.3", false}, {"1.2.3.-4", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := validIPv4([]byte(tc.in)); got != tc.ok {
				t.Errorf("validIPv4(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
}

func TestValidHelloArg(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"mail.example.com", true}, {"localhost", true}, {"[192.0.2.1]", true},
		{"[IPv6:2001:db8::1]", true}, {"a-b.c", true},
		{"", false}, {"bad_name", false}, {"my host", false}, {"192.0.2.1]", false},
		{"[192.0.2.1", false}, {"host.", false}, {"-host", false}, {"bücher.example", false},
		{"[2001:db8::1]", false}, {strings.Repeat("a.", 128) + "a", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := ValidHelloArg([]byte(tc.in)); got != tc.ok {
				t.Errorf("ValidHelloArg(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
}
