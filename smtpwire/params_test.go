package smtpwire

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// Shorthands for the parameter tables: the path they use and its dump.
const (
	mailFrom = "MAIL FROM:<a@b.example> "
	rcptTo   = "RCPT TO:<a@b.example> "
	mbox     = `mailbox="a@b.example" local="a" domain="b.example"`
)

var mailParamCases = []parseCase{
	{"rfc1870 example", "MAIL FROM:<ned@thor.innosoft.com> SIZE=500000", `MAIL mailbox="ned@thor.innosoft.com" local="ned" domain="thor.innosoft.com" size=500000`, nil},
	{"rfc6152 example", "MAIL FROM:<ned@ymir.claremont.edu> BODY=8BITMIME", `MAIL mailbox="ned@ymir.claremont.edu" local="ned" domain="ymir.claremont.edu" body=8BITMIME`, nil},
	{"rfc3030 example", "MAIL FROM:<Sam@Random.com> BODY=BINARYMIME", `MAIL mailbox="Sam@Random.com" local="Sam" domain="Random.com" body=BINARYMIME`, nil},
	{"rfc4954 example", "MAIL FROM:<e=mc2@example.com> AUTH=e+3Dmc2@example.com", `MAIL mailbox="e=mc2@example.com" local="e=mc2" domain="example.com" auth="e+3Dmc2@example.com"`, nil},
	{"rfc3461 example", "MAIL FROM:<Alice@Pure-Heart.ORG> RET=HDRS ENVID=QQ314159", `MAIL mailbox="Alice@Pure-Heart.ORG" local="Alice" domain="Pure-Heart.ORG" ret=HDRS envid="QQ314159"`, nil},
	{"typical", "MAIL FROM:<bounce-123@news.example.com> SIZE=20480 BODY=8BITMIME", `MAIL mailbox="bounce-123@news.example.com" local="bounce-123" domain="news.example.com" size=20480 body=8BITMIME`, nil},
	{"all", "MAIL FROM:<a@b.example> SIZE=1 BODY=7BIT SMTPUTF8 RET=FULL ENVID=x+2By AUTH=<>", `MAIL ` + mbox + ` size=1 body=7BIT smtputf8 ret=FULL envid="x+2By" auth="<>"`, nil},
	{"any order lower case", "MAIL FROM:<a@b.example> auth=<> envid=e ret=hdrs smtputf8 body=binarymime size=2", `MAIL ` + mbox + ` size=2 body=BINARYMIME smtputf8 ret=HDRS envid="e" auth="<>"`, nil},
	{"many spaces", "MAIL FROM:<a@b.example>   SIZE=1    BODY=8BITMIME   ", `MAIL ` + mbox + ` size=1 body=8BITMIME`, nil},
	{"size zero", "MAIL FROM:<a@b.example> SIZE=0", `MAIL ` + mbox, nil},
	{"size leading zeros", "MAIL FROM:<a@b.example> SIZE=00012", `MAIL ` + mbox + ` size=12`, nil},
	{"size max int64", "MAIL FROM:<a@b.example> SIZE=9223372036854775807", `MAIL ` + mbox + ` size=9223372036854775807`, nil},
	{"size saturates", "MAIL FROM:<a@b.example> SIZE=99999999999999999999", `MAIL ` + mbox + ` size=9223372036854775807`, nil},
	{"size max minus one", "MAIL FROM:<a@b.example> SIZE=9223372036854775806", `MAIL ` + mbox + ` size=9223372036854775806`, nil},
	{"size just over", "MAIL FROM:<a@b.example> SIZE=9223372036854775808", `MAIL ` + mbox + ` size=9223372036854775807`, nil},
	{"envid 100", "MAIL FROM:<a@b.example> ENVID=" + strings.Repeat("e", 100), `MAIL ` + mbox + ` envid="` + strings.Repeat("e", 100) + `"`, nil},
	{"envid 100 encoded", "MAIL FROM:<a@b.example> ENVID=" + strings.Repeat("+2B", 100), `MAIL ` + mbox + ` envid="` + strings.Repeat("+2B", 100) + `"`, nil},
	{"envid lower hex", "MAIL FROM:<a@b.example> ENVID=a+2bb", `MAIL ` + mbox + ` envid="a+2bb"`, nil},
	{"null with all", "MAIL FROM:<> SIZE=10 RET=HDRS", `MAIL null size=10 ret=HDRS`, nil},
}

func TestMailParams(t *testing.T) { runParseCases(t, mailParamCases) }

var mailParamErrorCases = []parseCase{
	{"unknown", mailFrom + "XYZ=1", "", ErrUnknownParam},
	{"unknown no value", mailFrom + "XYZ", "", ErrUnknownParam},
	{"unknown utf8 value", mailFrom + "X-FOO=é", "", ErrUnknownParam},
	{"notify on mail", mailFrom + "NOTIFY=NEVER", "", ErrUnknownParam},
	{"unknown after good", mailFrom + "SIZE=1 X-Y", "", ErrUnknownParam},
	{"no keyword", mailFrom + "=1", "", ErrParamSyntax},
	{"empty value", mailFrom + "SIZE=", "", ErrParamSyntax},
	{"double equals", mailFrom + "SIZE==1", "", ErrParamSyntax},
	{"equals in value", mailFrom + "ENVID=a=b", "", ErrParamSyntax},
	{"hyphen first", mailFrom + "-X=1", "", ErrParamSyntax},
	{"underscore keyword", mailFrom + "X_Y=1", "", ErrParamSyntax},
	{"size word", mailFrom + "SIZE=big", "", ErrBadSize},
	{"size negative", mailFrom + "SIZE=-1", "", ErrBadSize},
	{"size no value", mailFrom + "SIZE", "", ErrBadSize},
	{"size 21 digits", mailFrom + "SIZE=100000000000000000000", "", ErrBadSize},
	{"size dup", mailFrom + "SIZE=1 SIZE=2", "", ErrDuplicateParam},
	{"size dup case", mailFrom + "SIZE=1 size=1", "", ErrDuplicateParam},
	{"body foo", mailFrom + "BODY=foo", "", ErrBadBody},
	{"body no value", mailFrom + "BODY", "", ErrBadBody},
	{"body dup", mailFrom + "BODY=7BIT BODY=8BITMIME", "", ErrDuplicateParam},
	{"smtputf8 value", mailFrom + "SMTPUTF8=yes", "", ErrBadSMTPUTF8},
	{"smtputf8 dup", mailFrom + "SMTPUTF8 SMTPUTF8", "", ErrDuplicateParam},
	{"ret foo", mailFrom + "RET=foo", "", ErrBadRet},
	{"ret no value", mailFrom + "RET", "", ErrBadRet},
	{"ret dup", mailFrom + "RET=FULL RET=HDRS", "", ErrDuplicateParam},
	{"envid bad plus", mailFrom + "ENVID=a+2", "", ErrBadEnvID},
	{"envid bad hex", mailFrom + "ENVID=a+ZZ", "", ErrBadEnvID},
	{"envid utf8", mailFrom + "ENVID=é", "", ErrBadEnvID},
	{"envid no value", mailFrom + "ENVID", "", ErrBadEnvID},
	{"envid 101", mailFrom + "ENVID=" + strings.Repeat("e", 101), "", ErrBadEnvID},
	{"envid dup", mailFrom + "ENVID=a ENVID=b", "", ErrDuplicateParam},
	{"auth bad xtext", mailFrom + "AUTH=a+", "", ErrBadAuthParam},
	{"auth no value", mailFrom + "AUTH", "", ErrBadAuthParam},
	{"auth dup", mailFrom + "AUTH=<> AUTH=<>", "", ErrDuplicateParam},
	{"no space before params", "MAIL FROM:<a@b.example>SIZE=1", "", ErrSyntaxMailFrom},
}

func TestMailParamErrors(t *testing.T) { runParseCases(t, mailParamErrorCases) }

var rcptParamCases = []parseCase{
	{"rfc3461 bob", "RCPT TO:<Bob@Big-Box.COM> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Big-Box.COM", `RCPT mailbox="Bob@Big-Box.COM" local="Bob" domain="Big-Box.COM" notify=SUCCESS orcpttype="rfc822" orcpt="Bob@Big-Box.COM"`, nil},
	{"rfc3461 dana", "RCPT TO:<Dana@Ivory.EDU> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU", `RCPT mailbox="Dana@Ivory.EDU" local="Dana" domain="Ivory.EDU" notify=SUCCESS,FAILURE orcpttype="rfc822" orcpt="Dana@Ivory.EDU"`, nil},
	{"rfc3461 fred", "RCPT TO:<Fred@Bombs.AF.MIL> NOTIFY=NEVER", `RCPT mailbox="Fred@Bombs.AF.MIL" local="Fred" domain="Bombs.AF.MIL" notify=NEVER`, nil},
	{"typical", "RCPT TO:<user@example.org> NOTIFY=FAILURE ORCPT=rfc822;user@example.org", `RCPT mailbox="user@example.org" local="user" domain="example.org" notify=FAILURE orcpttype="rfc822" orcpt="user@example.org"`, nil},
	{"notify success", rcptTo + "NOTIFY=SUCCESS", `RCPT ` + mbox + ` notify=SUCCESS`, nil},
	{"notify failure", rcptTo + "NOTIFY=FAILURE", `RCPT ` + mbox + ` notify=FAILURE`, nil},
	{"notify delay", rcptTo + "NOTIFY=DELAY", `RCPT ` + mbox + ` notify=DELAY`, nil},
	{"notify all", rcptTo + "NOTIFY=DELAY,FAILURE,SUCCESS", `RCPT ` + mbox + ` notify=SUCCESS,FAILURE,DELAY`, nil},
	{"notify lower", rcptTo + "notify=success,delay", `RCPT ` + mbox + ` notify=SUCCESS,DELAY`, nil},
	{"notify never lower", rcptTo + "NOTIFY=never", `RCPT ` + mbox + ` notify=NEVER`, nil},
	{"notify repeated", rcptTo + "NOTIFY=FAILURE,FAILURE", `RCPT ` + mbox + ` notify=FAILURE`, nil},
	{"orcpt xtext", rcptTo + "ORCPT=rfc822;joe+2Bsmith+3Dx@example.com", `RCPT ` + mbox + ` orcpttype="rfc822" orcpt="joe+2Bsmith+3Dx@example.com"`, nil},
	{"orcpt upper type", rcptTo + "ORCPT=RFC822;x@y", `RCPT ` + mbox + ` orcpttype="RFC822" orcpt="x@y"`, nil},
	{"orcpt utf-8 type", rcptTo + "ORCPT=utf-8;\\x{00E9}t\\x{00E9}@example.com", `RCPT ` + mbox + ` orcpttype="utf-8" orcpt="\\x{00E9}t\\x{00E9}@example.com"`, nil},
	{"orcpt empty address", rcptTo + "ORCPT=rfc822;", `RCPT ` + mbox + ` orcpttype="rfc822" orcpt=""`, nil},
	{"orcpt semicolon in xtext", rcptTo + "ORCPT=x400;a;b", `RCPT ` + mbox + ` orcpttype="x400" orcpt="a;b"`, nil},
	{"orcpt 500", rcptTo + "ORCPT=rfc822;" + strings.Repeat("o", 500), `RCPT ` + mbox + ` orcpttype="rfc822" orcpt="` + strings.Repeat("o", 500) + `"`, nil},
	{"both reversed", rcptTo + "ORCPT=rfc822;a@b.example NOTIFY=DELAY", `RCPT ` + mbox + ` notify=DELAY orcpttype="rfc822" orcpt="a@b.example"`, nil},
	{"postmaster params", "RCPT TO:<Postmaster> NOTIFY=NEVER", `RCPT mailbox="Postmaster" local="Postmaster" notify=NEVER`, nil},
}

func TestRcptParams(t *testing.T) { runParseCases(t, rcptParamCases) }

var rcptParamErrorCases = []parseCase{
	{"unknown", rcptTo + "XYZ=1", "", ErrUnknownParam},
	{"size on rcpt", rcptTo + "SIZE=1", "", ErrUnknownParam},
	{"bad syntax", rcptTo + "NOTIFY=", "", ErrParamSyntax},
	{"notify never success", rcptTo + "NOTIFY=NEVER,SUCCESS", "", ErrBadNotify},
	{"notify success never", rcptTo + "NOTIFY=SUCCESS,NEVER", "", ErrBadNotify},
	{"notify trailing comma", rcptTo + "NOTIFY=SUCCESS,", "", ErrBadNotify},
	{"notify leading comma", rcptTo + "NOTIFY=,SUCCESS", "", ErrBadNotify},
	{"notify double comma", rcptTo + "NOTIFY=SUCCESS,,DELAY", "", ErrBadNotify},
	{"notify foo", rcptTo + "NOTIFY=FOO", "", ErrBadNotify},
	{"notify no value", rcptTo + "NOTIFY", "", ErrBadNotify},
	{"notify dup", rcptTo + "NOTIFY=NEVER NOTIFY=NEVER", "", ErrDuplicateParam},
	{"orcpt no semicolon", rcptTo + "ORCPT=rfc822", "", ErrBadORCPT},
	{"orcpt no type", rcptTo + "ORCPT=;a@b", "", ErrBadORCPT},
	{"orcpt bad type", rcptTo + "ORCPT=rf(c;a@b", "", ErrBadORCPT},
	{"orcpt bad xtext", rcptTo + "ORCPT=rfc822;a+4", "", ErrBadORCPT},
	{"orcpt utf8", rcptTo + "ORCPT=rfc822;é@b", "", ErrBadORCPT},
	{"orcpt no value", rcptTo + "ORCPT", "", ErrBadORCPT},
	{"orcpt 501", rcptTo + "ORCPT=rfc822;" + strings.Repeat("o", 501), "", ErrBadORCPT},
	{"orcpt dup", rcptTo + "ORCPT=rfc822;a ORCPT=rfc822;b", "", ErrDuplicateParam},
	{"no space before params", "RCPT TO:<a@b.example>NOTIFY=NEVER", "", ErrSyntaxRcptTo},
}

func TestRcptParamErrors(t *testing.T) { runParseCases(t, rcptParamErrorCases) }

func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{BodyUnset.String(), ""}, {Body7Bit.String(), "7BIT"}, {Body8BitMIME.String(), "8BITMIME"},
		{BodyBinaryMIME.String(), "BINARYMIME"}, {bodyCount.String(), "INVALID"},
		{RetUnset.String(), ""}, {RetFull.String(), "FULL"}, {RetHdrs.String(), "HDRS"}, {retCount.String(), "INVALID"},
		{Notify(0).String(), ""}, {NotifyNever.String(), "NEVER"},
		{(NotifySuccess | NotifyFailure | NotifyDelay).String(), "SUCCESS,FAILURE,DELAY"},
		{(NotifyDelay | NotifySuccess).String(), "SUCCESS,DELAY"},
	} {
		if tc.got != tc.want {
			t.Errorf("String() = %q, want %q", tc.got, tc.want)
		}
	}
}

func TestXtext(t *testing.T) {
	for _, tc := range []struct{ name, raw, enc string }{
		{"empty", "", ""},
		{"plain", "user@example.org", "user@example.org"},
		{"plus and equals", "a+b=c", "a+2Bb+3Dc"},
		{"rfc4954 example", "e=mc2@example.com", "e+3Dmc2@example.com"},
		{"space", "a b", "a+20b"},
		{"controls and 8bit", "\x00\r\n\x7f\xff", "+00+0D+0A+7F+FF"},
		{"printable edges", "!~<>", "!~<>"},
		{"utf8", "é", "+C3+A9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := AppendXtext(nil, []byte(tc.raw)); string(got) != tc.enc {
				t.Errorf("AppendXtext(%q) = %q, want %q", tc.raw, got, tc.enc)
			}
			got, err := DecodeXtext([]byte("keep"), []byte(tc.enc))
			if err != nil || string(got) != "keep"+tc.raw {
				t.Errorf("DecodeXtext(%q) = %q, %v; want %q", tc.enc, got, err, "keep"+tc.raw)
			}
		})
	}
}

func TestDecodeXtextLenient(t *testing.T) {
	got, err := DecodeXtext(nil, []byte("a+2bb+3d"))
	if err != nil || string(got) != "a+b=" {
		t.Errorf("lower-case hex: got %q, %v", got, err)
	}
}

func TestDecodeXtextErrors(t *testing.T) {
	for _, in := range []string{"+", "+2", "a+2G", "+G2", "a=b", "a b", "\xff", "+ 2", "+2\x00", "x\x00"} {
		t.Run(in, func(t *testing.T) {
			dst := []byte("keep")
			got, err := DecodeXtext(dst, []byte(in))
			if !errors.Is(err, ErrBadXtext) || string(got) != "keep" {
				t.Errorf("DecodeXtext(%q) = %q, %v; want dst unchanged, ErrBadXtext", in, got, err)
			}
		})
	}
}

// equalMail and equalRcpt compare parameter sets field by field.
func equalMail(a, b *MailParams) bool {
	return a.Size == b.Size && a.Body == b.Body && a.SMTPUTF8 == b.SMTPUTF8 && a.Ret == b.Ret &&
		bytes.Equal(a.EnvID, b.EnvID) && bytes.Equal(a.Auth, b.Auth)
}

func equalRcpt(a, b *RcptParams) bool {
	return a.Notify == b.Notify && bytes.Equal(a.ORCPTType, b.ORCPTType) && bytes.Equal(a.ORCPT, b.ORCPT)
}

func TestAppendMailFrom(t *testing.T) {
	for _, tc := range []struct {
		name string
		from string
		p    *MailParams
		want string
	}{
		{"plain", "a@b.example", nil, "MAIL FROM:<a@b.example>\r\n"},
		{"null", "", nil, "MAIL FROM:<>\r\n"},
		{"empty params", "a@b.example", &MailParams{}, "MAIL FROM:<a@b.example>\r\n"},
		{"typical", "bounce-123@news.example.com", &MailParams{Size: 20480, Body: Body8BitMIME},
			"MAIL FROM:<bounce-123@news.example.com> SIZE=20480 BODY=8BITMIME\r\n"},
		{"all", "", &MailParams{Size: math.MaxInt64, Body: BodyBinaryMIME, SMTPUTF8: true, Ret: RetHdrs,
			EnvID: []byte("QQ314159"), Auth: []byte("<>")},
			"MAIL FROM:<> SIZE=9223372036854775807 BODY=BINARYMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<>\r\n"},
		{"invalid enums skipped", "a@b", &MailParams{Size: -1, Body: bodyCount, Ret: retCount}, "MAIL FROM:<a@b>\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire := AppendMailFrom(nil, []byte(tc.from), tc.p)
			if string(wire) != tc.want {
				t.Fatalf("got %q, want %q", wire, tc.want)
			}
			var c Command
			if err := ParseCommand(wire[:len(wire)-2], &c); err != nil {
				t.Fatalf("reparse: %v", err)
			}
			want := MailParams{}
			if tc.p != nil && tc.name != "invalid enums skipped" {
				want = *tc.p
			}
			if string(c.Path.Mailbox) != tc.from || c.Path.Null != (tc.from == "") || !equalMail(&c.Mail, &want) {
				t.Errorf("reparse = %s, want from %q params %+v", dump(&c), tc.from, want)
			}
		})
	}
}

func TestAppendRcptTo(t *testing.T) {
	for _, tc := range []struct {
		name  string
		to    string
		p     *RcptParams
		want  string
		parse RcptParams // what ParseCommand gives back
	}{
		{"plain", "a@b.example", nil, "RCPT TO:<a@b.example>\r\n", RcptParams{}},
		{"typical", "user@example.org", &RcptParams{Notify: NotifyFailure, ORCPTType: []byte("rfc822"), ORCPT: []byte("user@example.org")},
			"RCPT TO:<user@example.org> NOTIFY=FAILURE ORCPT=rfc822;user@example.org\r\n",
			RcptParams{Notify: NotifyFailure, ORCPTType: []byte("rfc822"), ORCPT: []byte("user@example.org")}},
		{"never", "a@b", &RcptParams{Notify: NotifyNever}, "RCPT TO:<a@b> NOTIFY=NEVER\r\n", RcptParams{Notify: NotifyNever}},
		{"default type", "a@b", &RcptParams{ORCPT: []byte("x+2By@z")}, "RCPT TO:<a@b> ORCPT=rfc822;x+2By@z\r\n",
			RcptParams{ORCPTType: []byte("rfc822"), ORCPT: []byte("x+2By@z")}},
		{"postmaster", "Postmaster", nil, "RCPT TO:<Postmaster>\r\n", RcptParams{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire := AppendRcptTo(nil, []byte(tc.to), tc.p)
			if string(wire) != tc.want {
				t.Fatalf("got %q, want %q", wire, tc.want)
			}
			var c Command
			if err := ParseCommand(wire[:len(wire)-2], &c); err != nil {
				t.Fatalf("reparse: %v", err)
			}
			if string(c.Path.Mailbox) != tc.to || !equalRcpt(&c.Rcpt, &tc.parse) {
				t.Errorf("reparse = %s, want to %q params %+v", dump(&c), tc.to, tc.parse)
			}
		})
	}
}
