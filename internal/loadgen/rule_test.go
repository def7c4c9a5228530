package loadgen

import (
	"strconv"
	"strings"
	"testing"
)

// ruleCases are the table of TestParseRule and the seeds of FuzzParseRule.
var ruleCases = []struct {
	in   string
	want string // Rule.String of the result; empty: an error containing err
	err  string
}{
	{in: "5%=451 4.7.1 try later", want: "data:5%=451 4.7.1 try later"},
	{in: "rcpt:/^bad/=550 5.1.1 no such user", want: "rcpt:/^bad/=550 5.1.1 no such user"},
	{in: "data:after:100=421 4.7.0 [TSS04] try later", want: "data:after:100=421 4.7.0 [TSS04] try later"},
	{in: "connect:every:3=421 4.7.0 too many connections", want: "connect:every:3=421 4.7.0 too many connections"},
	{in: "mail:*=550 5.7.1 go away", want: "mail:*=550 5.7.1 go away"},
	{in: "EHLO:/^bad\\.example$/=550", want: "ehlo:/^bad\\.example$/=550"},
	{in: "  12.5% = 452 4.2.2 mailbox full  ", want: "data:12.5%=452 4.2.2 mailbox full"},
	{in: "0%=451 never", want: "data:0%=451 never"},
	{in: "100%=250 2.0.0 taken", want: "data:100%=250 2.0.0 taken"},
	{in: "rcpt:/a=b\\/c/=550 5.1.1 slash and equals", want: "rcpt:/a=b\\/c/=550 5.1.1 slash and equals"},
	{in: "data:/(?m)^Subject: spam/=554 5.7.1 spam", want: "data:/(?m)^Subject: spam/=554 5.7.1 spam"},
	{in: "after:0=421 4.7.28 rate limited", want: "data:after:0=421 4.7.28 rate limited"},
	{in: "connect:*=220 welcome", want: "connect:*=220 welcome"},
	{in: "connect:/^127\\./=554 5.7.1 no", want: "connect:/^127\\./=554 5.7.1 no"},
	{in: "rcpt: /^bad/ =550 5.1.1 space after the stage", want: "rcpt:/^bad/=550 5.1.1 space after the stage"},

	{in: "", err: "want SELECTOR=CODE TEXT"},
	{in: "5%", err: "want SELECTOR=CODE TEXT"},
	{in: "rcpt:/^bad=550 x", err: "no closing /"},
	{in: "rcpt:/^bad/550 x", err: "want = and a reply"},
	{in: "data: /=250", err: "no closing /"},
	{in: "data: /abc=250", err: "no closing /"},
	{in: "rcpt:/(/=550 x", err: "bad regular expression"},
	{in: "101%=451 x", err: "bad share"},
	{in: "-1%=451 x", err: "bad share"},
	{in: "NaN%=451 x", err: "bad share"},
	{in: "after:-1=421 x", err: "after:N with N >= 0"},
	{in: "every:0=421 x", err: "every:N with N >= 1"},
	{in: "every:x=421 x", err: "every:N with N >= 1"},
	{in: "sometimes=451 x", err: "unknown selector"},
	{in: "quit:*=451 x", err: "unknown selector"},
	{in: "*=45 x", err: "want three digits"},
	{in: "*=4511 x", err: "want three digits"},
	{in: "*=abc x", err: "want three digits"},
	{in: "*=", err: "want three digits"},
	{in: "*=354 go ahead", err: "want 2xx, 4xx or 5xx"},
	{in: "*=651 x", err: "want 2xx, 4xx or 5xx"},
	{in: "*=199 x", err: "want 2xx, 4xx or 5xx"},
	{in: "*=471 x", err: "last two digits"},
	{in: "connect:*=250 hi", err: "a greeting is 220"},
	{in: "*=451 5.7.1 wrong class", err: "does not match the reply's class 4xx"},
	{in: "*=451 4.7 short", err: "want class.subject.detail"},
	{in: "*=451 4.7.1234 long", err: "subject and detail have 1 to 3 digits"},
	{in: "*=451 tab\there", err: "control character"},
}

func TestParseRule(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRule(tc.in)
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRule(%q) = %v, %v; want an error containing %q", tc.in, r, err, tc.err)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
					t.Errorf("error %q does not name the rule", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tc.in, err)
			}
			if got := r.String(); got != tc.want {
				t.Errorf("ParseRule(%q).String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseRuleFields(t *testing.T) {
	r, err := ParseRule("rcpt:/^bad/=550 5.1.1 no such user")
	if err != nil {
		t.Fatal(err)
	}
	if r.Stage != StageRcpt || r.Select != SelectRegexp || r.Code != 550 || r.Text != "5.1.1 no such user" ||
		string(r.line) != "550 5.1.1 no such user\r\n" {
		t.Errorf("got %+v line %q", r, r.line)
	}
	if !r.Regexp.MatchString("bad@x.test") || r.Regexp.MatchString("good@x.test") {
		t.Error("regexp does not select bad@ only")
	}
	r, err = ParseRule("after:100=421 4.7.0 [TSS04] try later")
	if err != nil || r.Stage != StageData || r.Select != SelectAfter || r.N != 100 || r.Code != 421 {
		t.Errorf("after rule: %+v, %v", r, err)
	}
	r, err = ParseRule("2.5%=451")
	if err != nil || r.Select != SelectPercent || r.Percent != 2.5 || r.Text != "" || string(r.line) != "451\r\n" {
		t.Errorf("percent rule: %+v line %q, %v", r, r.line, err)
	}
}

// TestRuleMatch checks which event numbers each selector picks.
func TestRuleMatch(t *testing.T) {
	pick := func(rule string, events int) []int64 {
		t.Helper()
		r, err := ParseRule(rule)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for i := range int64(events) {
			if r.match(i, nil, 7, 0) {
				got = append(got, i)
			}
		}
		return got
	}
	if got := pick("after:3=421", 6); len(got) != 3 || got[0] != 3 {
		t.Errorf("after:3 picked %v, want [3 4 5]", got)
	}
	if got := pick("every:3=421", 10); len(got) != 3 || got[0] != 2 || got[1] != 5 || got[2] != 8 {
		t.Errorf("every:3 picked %v, want [2 5 8] (the 3rd, 6th, 9th)", got)
	}
	if got := pick("*=421", 4); len(got) != 4 {
		t.Errorf("* picked %v, want all 4", got)
	}
	if got := pick("0%=451", 1000); len(got) != 0 {
		t.Errorf("0%% picked %d", len(got))
	}
	if got := pick("100%=451", 1000); len(got) != 1000 {
		t.Errorf("100%% picked %d, want 1000", len(got))
	}
	// 10% of 100,000 draws: within 4 standard deviations (95) of 10,000.
	if got := len(pick("10%=451", 100000)); got < 9620 || got > 10380 {
		t.Errorf("10%% picked %d of 100000", got)
	}
	// The same seed picks the same events; another seed others.
	a, b := draw(1, 0, 5), draw(1, 0, 5)
	if a != b || draw(2, 0, 5) == a || draw(1, 1, 5) == a {
		t.Error("draw is not a function of seed, rule and position alone")
	}
}
