package mailgen

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// split returns msg's header section (without the empty line) and body.
func split(t *testing.T, msg []byte) (header, body []byte) {
	t.Helper()
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("no empty line after the header:\n%q", msg)
	}
	return msg[:i+2], msg[i+4:]
}

// headerFields returns the names and unfolded values of header's fields, in order.
func headerFields(header []byte) (names []string, values []string) {
	for _, line := range strings.Split(strings.TrimSuffix(string(header), "\r\n"), "\r\n") {
		if line[0] == ' ' || line[0] == '\t' {
			values[len(values)-1] += line
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		names, values = append(names, name), append(values, value)
	}
	return names, values
}

// detect returns the features msg shows, judged from its bytes alone.
func detect(t *testing.T, msg []byte) map[Feature]bool {
	t.Helper()
	header, body := split(t, msg)
	names, values := headerFields(header)
	hlines := strings.Split(strings.TrimSuffix(string(header), "\r\n"), "\r\n")
	blines := strings.Split(string(body), "\r\n")
	lowerMsg := strings.ToLower(string(msg))
	got := map[Feature]bool{}

	got[EightBitBody] = hasHigh(body) && strings.Contains(lowerMsg, "content-transfer-encoding: 8bit")
	seen := map[string]bool{}
	for i, n := range names {
		if n == strings.ToLower(n) || n == strings.ToUpper(n) {
			got[OddCaseNames] = true
		}
		if seen[strings.ToLower(n)] {
			got[DuplicateHeaders] = true
		}
		seen[strings.ToLower(n)] = true
		if strings.Contains(values[i], "=?") {
			dec, err := new(mime.WordDecoder).DecodeHeader(values[i])
			got[EncodedWords] = got[EncodedWords] || err == nil && dec != values[i]
		}
		if strings.EqualFold(n, "Subject") && hasHigh([]byte(values[i])) {
			got[UTF8Header] = true
		}
	}
	for _, l := range hlines {
		got[LongHeader] = got[LongHeader] || len(l) > 200
		if l[0] == '\t' || strings.HasPrefix(l, "  ") {
			got[FoldedHeader] = true
		}
	}
	got[EmptyBody] = len(body) == 0
	got[NoFinalCRLF] = len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n"))
	got[TrailingBlankLines] = bytes.HasSuffix(body, []byte("\r\n\r\n"))
	got[LargeBody] = len(body) >= 4096
	dot, dotdot := false, false
	for _, l := range blines {
		got[TrailingWhitespace] = got[TrailingWhitespace] || strings.HasSuffix(l, " ") || strings.HasSuffix(l, "\t")
		got[LongBodyLines] = got[LongBodyLines] || len(l) >= 900
		dot, dotdot = dot || l == ".", dotdot || l == ".."
	}
	got[DotLines] = dot && dotdot
	got[Multipart] = strings.Contains(lowerMsg, "content-type: multipart/")
	return got
}

func hasHigh(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// TestVariedFeatures checks 100 messages: each parses with net/mail, has
// the required fields and sane lines, shows exactly the features Features
// reports, and every feature appears in several messages.
func TestVariedFeatures(t *testing.T) {
	msgs := Varied(100, 1)
	count := map[Feature]int{}
	for i, msg := range msgs {
		checkWellFormed(t, i, msg)
		want := map[Feature]bool{}
		for _, f := range Features(i) {
			want[f] = true
			count[f]++
			if !Has(i, f) {
				t.Errorf("message %d: Features lists %v but Has says no", i, f)
			}
		}
		got := detect(t, msg)
		for _, f := range AllFeatures() {
			if got[f] != want[f] {
				t.Errorf("message %d: %v detected=%v, Features says %v\n%s", i, f, got[f], want[f], excerpt(msg))
			}
		}
	}
	for _, f := range AllFeatures() {
		if count[f] < 10 {
			t.Errorf("%v appears in %d of 100 messages, want at least 10", f, count[f])
		}
	}
}

// checkWellFormed checks the rules every message keeps: CRLF only, lines
// of at most 998 octets, the required fields, a parse by net/mail, and a
// multipart body that mime/multipart reads to the end.
func checkWellFormed(t *testing.T, i int, msg []byte) {
	t.Helper()
	for n, line := range bytes.Split(msg, []byte("\r\n")) {
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("message %d line %d: bare CR or LF: %q", i, n, line)
		}
		if len(line) > 998 {
			t.Errorf("message %d line %d: %d octets, over RFC 5322's 998", i, n, len(line))
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("message %d: net/mail: %v\n%s", i, err, excerpt(msg))
	}
	for _, name := range []string{"From", "To", "Subject", "Date", "Message-Id"} {
		if m.Header.Get(name) == "" {
			t.Errorf("message %d: no %s", i, name)
		}
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("message %d: Date: %v", i, err)
	}
	if _, err := m.Header.AddressList("From"); err != nil {
		t.Errorf("message %d: From %q: %v", i, m.Header.Get("From"), err)
	}
	if _, err := m.Header.AddressList("To"); err != nil {
		t.Errorf("message %d: To %q: %v", i, m.Header.Get("To"), err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		return
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	parts := 0
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("message %d: part %d: %v", i, parts, err)
		}
		if _, err := io.Copy(io.Discard, p); err != nil {
			t.Fatalf("message %d: part %d: %v", i, parts, err)
		}
		parts++
	}
	if parts < 2 {
		t.Errorf("message %d: %d MIME parts, want 2 or more", i, parts)
	}
}

// excerpt returns the start of msg for a failure message.
func excerpt(msg []byte) string {
	if len(msg) > 1500 {
		return string(msg[:1500]) + "..."
	}
	return string(msg)
}

func TestVariedDeterministic(t *testing.T) {
	a, b := Varied(100, 7), Varied(40, 7)
	for i := range b {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("message %d differs between Varied(100, 7) and Varied(40, 7)", i)
		}
	}
	c := Varied(100, 8)
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same != 0 {
		t.Errorf("%d messages equal across seeds 7 and 8", same)
	}
	if len(Varied(0, 1)) != 0 {
		t.Error("Varied(0, 1) is not empty")
	}
}

func TestWithAuthResults(t *testing.T) {
	for i, msg := range Varied(30, 3) {
		orig := bytes.Clone(msg)
		out := WithAuthResults(msg, "mx.example.org")
		if !bytes.Equal(msg, orig) {
			t.Fatalf("message %d: WithAuthResults changed its input", i)
		}
		m, err := mail.ReadMessage(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		from, _ := m.Header.AddressList("From")
		want := "mx.example.org; spf=pass smtp.mailfrom=" + from[0].Address
		if got := m.Header.Get("Authentication-Results"); got != want {
			t.Errorf("message %d: Authentication-Results %q, want %q", i, got, want)
		}
		if !bytes.HasPrefix(out, []byte("Authentication-Results: ")) || !bytes.HasSuffix(out, msg) {
			t.Errorf("message %d: field not prepended to the unchanged message", i)
		}
	}
}

func TestFeatureString(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range AllFeatures() {
		s := f.String()
		if s == "feature?" || seen[s] {
			t.Errorf("feature %d: name %q missing or repeated", f, s)
		}
		seen[s] = true
	}
	if featureCount.String() != "feature?" {
		t.Errorf("featureCount.String() = %q", featureCount.String())
	}
}
