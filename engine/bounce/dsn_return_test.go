package bounce

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"

	"github.com/volleymta/volley/spool"
)

// TestBuildRet checks which part RET, DefaultRet and MaxFull choose.
func TestBuildRet(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ret, def   spool.Ret
		maxFull    int
		wantType   string
		wantInText string
	}{
		{"RET=HDRS", spool.RetHdrs, 0, 0, "text/rfc822-headers", "headers of your message are attached"},
		{"RET=FULL", spool.RetFull, 0, 0, "message/rfc822", "copy of your message is attached"},
		{"absent: headers, as PowerMTA", spool.RetDefault, 0, 0, "text/rfc822-headers", "headers of your message"},
		{"absent, default full", spool.RetDefault, spool.RetFull, 0, "message/rfc822", "copy of your message"},
		{"absent, default headers", spool.RetDefault, spool.RetHdrs, 0, "text/rfc822-headers", "headers of your message"},
		{"RET=HDRS beats default full", spool.RetHdrs, spool.RetFull, 0, "text/rfc822-headers", "headers of your message"},
		{"RET=FULL, never full", spool.RetFull, 0, -1, "text/rfc822-headers", "headers of your message"},
		{"RET=FULL, too big", spool.RetFull, 0, len(testOriginal) - 1, "text/rfc822-headers", "larger than 226 bytes"},
		{"RET=FULL, just fits", spool.RetFull, 0, len(testOriginal), "message/rfc822", "copy of your message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			p.Message.Ret, p.DefaultRet, p.MaxFull = tc.ret, tc.def, tc.maxFull
			d := mustParse(t, first(mustBuild(t, p)))
			if len(d.parts) != 3 || d.parts[2].contentType() != tc.wantType {
				t.Fatalf("parts %v, want %s third", d.types(), tc.wantType)
			}
			if !strings.Contains(string(d.parts[0].body), tc.wantInText) {
				t.Errorf("text lacks %q:\n%s", tc.wantInText, d.parts[0].body)
			}
			body := d.parts[2].body
			if tc.wantType == "message/rfc822" {
				if !bytes.Equal(body, []byte(testOriginal)) {
					t.Errorf("returned message differs:\n%q", body)
				}
				inner, err := mail.ReadMessage(bytes.NewReader(body))
				if err != nil || inner.Header.Get("Subject") != "Quarterly report" {
					t.Errorf("returned message: %v %v", err, inner)
				}
			} else if want := testOriginal[:strings.Index(testOriginal, "\r\n\r\n")+2]; string(body) != want {
				t.Errorf("returned headers\n%q\nwant\n%q", body, want)
			}
		})
	}
}

// TestBuildTruncation returns a big original's headers only, and cuts
// over-long headers at a field boundary.
func TestBuildTruncation(t *testing.T) {
	p := testParams()
	p.Message.Ret = spool.RetFull
	p.Original = []byte(testOriginal + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 3000)) // 150 KB
	d := mustParse(t, first(mustBuild(t, p)))
	if d.parts[2].contentType() != "text/rfc822-headers" || bytes.Contains(d.parts[2].body, []byte("0123456789")) {
		t.Fatalf("big original: %v, %d bytes returned", d.types(), len(d.parts[2].body))
	}
	if !strings.Contains(string(d.parts[0].body), "larger than 102400 bytes") {
		t.Errorf("text:\n%s", d.parts[0].body)
	}

	// Headers longer than the limit: cut before the field that passes it.
	p = testParams()
	p.MaxFull = 200
	p.Original = []byte("Subject: one\r\nX-Long: " + strings.Repeat("a ", 50) + "\r\n\tfolded\r\nX-Next: " +
		strings.Repeat("b", 300) + "\r\n\r\nbody\r\n")
	d = mustParse(t, first(mustBuild(t, p)))
	got := string(d.parts[2].body)
	if !strings.HasSuffix(got, "\tfolded\r\n") || strings.Contains(got, "X-Next") {
		t.Errorf("cut headers:\n%q", got)
	}
	if !strings.Contains(string(d.parts[0].body), "cut short") {
		t.Errorf("text does not say the headers were cut:\n%s", d.parts[0].body)
	}
}

// TestBuild8Bit declares 8-bit content and keeps undeclared 8-bit octets out.
func TestBuild8Bit(t *testing.T) {
	orig8 := "From: Jöran <sender@example.org>\r\nSubject: Grüße\r\n\r\nCafé crème\r\n"
	for _, tc := range []struct {
		name     string
		body     spool.BodyType
		ret      spool.Ret
		wantType string
		wantCTE  string // of the returned part and the whole
		wantBody spool.BodyType
		wantSubj string
	}{
		{"8BITMIME, full", spool.Body8BitMIME, spool.RetFull, "message/rfc822", "8bit", spool.Body8BitMIME, "Subject: Grüße"},
		{"8BITMIME, headers", spool.Body8BitMIME, spool.RetHdrs, "text/rfc822-headers", "8bit", spool.Body8BitMIME, "Subject: Grüße"},
		{"7BIT envelope, full asked", spool.Body7Bit, spool.RetFull, "text/rfc822-headers", "", spool.Body7Bit, "Subject: Gr??e"},
		{"7BIT envelope, headers", spool.Body7Bit, spool.RetHdrs, "text/rfc822-headers", "", spool.Body7Bit, "Subject: Gr??e"},
		{"BINARYMIME, full asked", spool.BodyBinaryMIME, spool.RetFull, "text/rfc822-headers", "8bit", spool.Body8BitMIME, "Subject: Grüße"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			p.Message.Body, p.Message.Ret = tc.body, tc.ret
			p.Original = []byte(orig8)
			out, ml := mustBuild(t, p)
			d := mustParse(t, out)
			part := d.parts[2]
			if part.contentType() != tc.wantType {
				t.Fatalf("returned part %s, want %s", part.contentType(), tc.wantType)
			}
			if got := part.header.Get("Content-Transfer-Encoding"); got != tc.wantCTE {
				t.Errorf("part Content-Transfer-Encoding %q, want %q", got, tc.wantCTE)
			}
			if got := d.header.Get("Content-Transfer-Encoding"); got != tc.wantCTE {
				t.Errorf("top Content-Transfer-Encoding %q, want %q", got, tc.wantCTE)
			}
			if ml.Body != tc.wantBody || ml.SMTPUTF8 {
				t.Errorf("Mail %+v, want body %v", ml, tc.wantBody)
			}
			if tc.wantBody == spool.Body7Bit && !ascii(out) {
				t.Error("7-bit DSN has 8-bit octets")
			}
			if !bytes.Contains(part.body, []byte(tc.wantSubj)) {
				t.Errorf("returned part lacks %q:\n%s", tc.wantSubj, part.body)
			}
		})
	}
}

func TestReturnDefault(t *testing.T) {
	for in, want := range map[string]spool.Ret{"full": spool.RetFull, "headers": spool.RetHdrs, "system": spool.RetDefault, "": spool.RetDefault} {
		if got := ReturnDefault(in); got != want {
			t.Errorf("ReturnDefault(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHeaderSection(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
		cut   bool
	}{
		{"A: 1\r\nB: 2\r\n\r\nbody", 100, "A: 1\r\nB: 2\r\n", false},
		{"A: 1\nB: 2\n\nbody", 100, "A: 1\nB: 2\n", false},
		{"A: 1\r\nB: 2\r\n", 100, "A: 1\r\nB: 2\r\n", false},
		{"A: 1", 100, "A: 1", false},
		{"\r\nbody", 100, "", false},
		{"A: 1\r\nB: 2\r\n\r\n", 8, "A: 1\r\n", true},
		{"A: 1\r\n x\r\nB: 2\r\n\r\n", 12, "A: 1\r\n x\r\n", true},
		{"A: 12345678901234567890\r\n\r\n", 10, "A: 1234567", true},
	} {
		got, cut := headerSection([]byte(tc.in), tc.limit)
		if string(got) != tc.want || cut != tc.cut {
			t.Errorf("headerSection(%q, %d) = %q, %v; want %q, %v", tc.in, tc.limit, got, cut, tc.want, tc.cut)
		}
	}
}

func TestScanBody(t *testing.T) {
	for _, tc := range []struct {
		in        string
		eight, ok bool
	}{
		{"a\r\nb\r\n", false, true},
		{"a\nb\n", false, true},
		{"é\r\n", true, true},
		{"a\rb\r\n", false, false},
		{"a\r", false, false},
		{"a\x00b", false, false},
		{strings.Repeat("x", 998) + "\r\n", false, true},
		{strings.Repeat("x", 999) + "\r\n", false, false},
		{strings.Repeat("x", 998) + "\n" + strings.Repeat("y", 998), false, true},
	} {
		eight, ok := scanBody([]byte(tc.in))
		if eight != tc.eight || ok != tc.ok {
			t.Errorf("scanBody(%.20q) = %v, %v; want %v, %v", tc.in, eight, ok, tc.eight, tc.ok)
		}
	}
}

func TestAppendHeaderLines(t *testing.T) {
	for _, tc := range []struct {
		in     string
		allow8 bool
		want   string
	}{
		{"A: 1\r\nB: 2\r\n", false, "A: 1\r\nB: 2\r\n"},
		{"A: 1\nB: 2", false, "A: 1\r\nB: 2\r\n"},
		{"A: x\ry\r\n", false, "A: x y\r\n"},
		{"A: \x00é\xff\r\n", false, "A: ???\r\n"},
		{"A: é\r\n", true, "A: é\r\n"},
	} {
		if got := string(appendHeaderLines(nil, []byte(tc.in), tc.allow8)); got != tc.want {
			t.Errorf("appendHeaderLines(%q, %v) = %q, want %q", tc.in, tc.allow8, got, tc.want)
		}
	}
	long := appendHeaderLines(nil, []byte("X: "+strings.Repeat("z", 2500)+"\r\n"), false)
	if p := wireProblem(long); p != "" || strings.Count(string(long), "\r\n ") != 2 {
		t.Errorf("long header line: %s, %d folds", p, strings.Count(string(long), "\r\n "))
	}
}
