package loadgen

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Stage is the SMTP event a scripted reply answers.
type Stage uint8

const (
	StageConnect Stage = iota // the greeting; argument: the client's IP
	StageEHLO                 // EHLO or HELO; argument: the name given
	StageMail                 // MAIL FROM; argument: the address
	StageRcpt                 // RCPT TO; argument: the address
	StageData                 // the reply after the message; argument: its header section
	stageCount
)

var stageNames = [stageCount]string{"connect", "ehlo", "mail", "rcpt", "data"}

func (s Stage) String() string {
	if s < stageCount {
		return stageNames[s]
	}
	return "invalid"
}

// Selector is the kind of test a rule applies to an event.
type Selector uint8

const (
	SelectPercent Selector = iota // N%: a seeded share of the events
	SelectRegexp                  // /RE/: the event's argument matches
	SelectAfter                   // after:N: every event after the first N
	SelectEvery                   // every:N: each Nth event
	SelectAlways                  // *: every event
	selectorCount
)

var selectorNames = [selectorCount]string{"percent", "regexp", "after", "every", "always"}

func (s Selector) String() string {
	if s < selectorCount {
		return selectorNames[s]
	}
	return "invalid"
}

// Rule is one scripted reply, parsed by ParseRule. The package doc gives the
// syntax; String writes it back.
type Rule struct {
	Stage   Stage
	Select  Selector
	Percent float64        // SelectPercent: 0 to 100
	Regexp  *regexp.Regexp // SelectRegexp
	N       int64          // SelectAfter (N >= 0), SelectEvery (N >= 1)
	Code    int            // 200-259, 400-599
	Text    string         // the rest of the reply line, may be empty

	line []byte // the reply as sent, with CRLF
}

// ParseRule parses `[STAGE:]SELECTOR=CODE [TEXT]`; its error names the rule.
func ParseRule(s string) (Rule, error) {
	r, err := parseRule(s)
	if err != nil {
		return Rule{}, fmt.Errorf("loadgen: reply rule %q: %w", s, err)
	}
	return r, nil
}

func parseRule(s string) (Rule, error) {
	var r Rule
	rest := strings.TrimSpace(s)
	r.Stage, rest = cutStage(rest)
	sel, reply, err := cutSelector(rest)
	if err != nil {
		return r, err
	}
	if err := r.parseSelector(sel); err != nil {
		return r, err
	}
	if err := r.parseReply(reply); err != nil {
		return r, err
	}
	return r, nil
}

// cutStage removes a leading "STAGE:"; without one the stage is data.
func cutStage(s string) (Stage, string) {
	name, rest, ok := strings.Cut(s, ":")
	if ok {
		for st, n := range stageNames {
			if strings.EqualFold(name, n) {
				return Stage(st), strings.TrimSpace(rest)
			}
		}
	}
	return StageData, s
}

// cutSelector splits "SELECTOR=REPLY". A /RE/ selector ends at its closing
// slash (a backslash escapes the next character), so RE may hold '='.
func cutSelector(s string) (sel, reply string, err error) {
	end := -1
	if strings.HasPrefix(s, "/") {
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '/' {
				end = i + 1
				break
			}
		}
		if end < 0 {
			return "", "", errors.New("regular expression has no closing /")
		}
		for end < len(s) && s[end] == ' ' {
			end++
		}
		if end == len(s) || s[end] != '=' {
			return "", "", errors.New("want = and a reply after /RE/")
		}
	} else if end = strings.IndexByte(s, '='); end < 0 {
		return "", "", errors.New("want SELECTOR=CODE TEXT")
	}
	return strings.TrimSpace(s[:end]), strings.TrimSpace(s[end+1:]), nil
}

func (r *Rule) parseSelector(sel string) error {
	switch {
	case sel == "*":
		r.Select = SelectAlways
	case strings.HasPrefix(sel, "/"):
		if len(sel) < 2 || !strings.HasSuffix(sel, "/") {
			return fmt.Errorf("regular expression %q has no closing /", sel)
		}
		re, err := regexp.Compile(sel[1 : len(sel)-1])
		if err != nil {
			return fmt.Errorf("bad regular expression: %w", err)
		}
		r.Select, r.Regexp = SelectRegexp, re
	case strings.HasSuffix(sel, "%"):
		p, err := strconv.ParseFloat(strings.TrimSpace(sel[:len(sel)-1]), 64)
		if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
			return fmt.Errorf("bad share %q: want a number from 0 to 100 before %%", sel)
		}
		r.Select, r.Percent = SelectPercent, p
	case hasPrefixFold(sel, "after:"):
		n, err := strconv.ParseInt(strings.TrimSpace(sel[6:]), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("bad count in %q: want after:N with N >= 0", sel)
		}
		r.Select, r.N = SelectAfter, n
	case hasPrefixFold(sel, "every:"):
		n, err := strconv.ParseInt(strings.TrimSpace(sel[6:]), 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("bad count in %q: want every:N with N >= 1", sel)
		}
		r.Select, r.N = SelectEvery, n
	default:
		return fmt.Errorf("unknown selector %q: want N%%, /RE/, after:N, every:N or *", sel)
	}
	return nil
}

// parseReply parses "CODE [TEXT]". A 3xx is refused: it would ask the
// client to go on with a command no stage here continues.
func (r *Rule) parseReply(reply string) error {
	code, text, _ := strings.Cut(reply, " ")
	if len(code) != 3 || !isDigits(code) {
		return fmt.Errorf("bad reply code %q: want three digits", code)
	}
	r.Code, _ = strconv.Atoi(code)
	class := r.Code / 100
	if class < 2 || class > 5 || class == 3 {
		return fmt.Errorf("reply code %d: want 2xx, 4xx or 5xx", r.Code)
	}
	if r.Code%100 > 59 {
		return fmt.Errorf("reply code %d: the last two digits go up to 59 (RFC 5321 §4.2)", r.Code)
	}
	if r.Stage == StageConnect && class == 2 && r.Code != 220 {
		return fmt.Errorf("reply code %d: a greeting is 220, 421 or 554 (RFC 5321 §3.1)", r.Code)
	}
	r.Text = strings.TrimSpace(text)
	for i := 0; i < len(r.Text); i++ {
		if c := r.Text[i]; c < ' ' || c == 0x7f {
			return fmt.Errorf("reply text has control character %#x", c)
		}
	}
	if len(r.Text) > 500 {
		return errors.New("reply text longer than 500 bytes (RFC 5321 §4.5.3.1.5 limits the line to 512)")
	}
	if enh, _, _ := strings.Cut(r.Text, " "); looksEnhanced(enh) {
		if err := checkEnhanced(enh, class); err != nil {
			return err
		}
	}
	r.line = r.replyLine()
	return nil
}

// replyLine is the reply as the sink sends it.
func (r *Rule) replyLine() []byte {
	b := strconv.AppendInt(nil, int64(r.Code), 10)
	if r.Text != "" {
		b = append(append(b, ' '), r.Text...)
	}
	return append(b, "\r\n"...)
}

// looksEnhanced reports whether the first word of a reply text is meant as
// an enhanced status code: digits and at least one dot, nothing else.
func looksEnhanced(w string) bool {
	return strings.Contains(w, ".") && strings.Trim(w, "0123456789.") == "" && w[0] != '.'
}

// checkEnhanced checks class.subject.detail (RFC 3463 §2) against the reply
// code's class.
func checkEnhanced(enh string, class int) error {
	parts := strings.Split(enh, ".")
	if len(parts) != 3 || len(parts[0]) != 1 {
		return fmt.Errorf("bad enhanced status code %q: want class.subject.detail", enh)
	}
	for _, p := range parts[1:] {
		if len(p) < 1 || len(p) > 3 {
			return fmt.Errorf("bad enhanced status code %q: subject and detail have 1 to 3 digits", enh)
		}
	}
	if int(parts[0][0]-'0') != class {
		return fmt.Errorf("enhanced status code %q does not match the reply's class %dxx", enh, class)
	}
	return nil
}

// String writes the rule in the syntax ParseRule reads.
func (r Rule) String() string {
	var sel string
	switch r.Select {
	case SelectPercent:
		sel = strconv.FormatFloat(r.Percent, 'g', -1, 64) + "%"
	case SelectRegexp:
		if r.Regexp != nil {
			sel = "/" + escapeSlash(r.Regexp.String()) + "/"
		}
	case SelectAfter:
		sel = "after:" + strconv.FormatInt(r.N, 10)
	case SelectEvery:
		sel = "every:" + strconv.FormatInt(r.N, 10)
	case SelectAlways:
		sel = "*"
	}
	reply := strconv.Itoa(r.Code)
	if r.Text != "" {
		reply += " " + r.Text
	}
	return r.Stage.String() + ":" + sel + "=" + reply
}

// escapeSlash writes each unescaped '/' of a regular expression as \/.
func escapeSlash(re string) string {
	var b strings.Builder
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\' && i+1 < len(re):
			b.WriteByte(c)
			i++
			b.WriteByte(re[i])
		case c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// match reports whether the rule picks event number i (from 0) of its
// stage, whose argument is arg. idx is the rule's place in the list and
// seed the sink's seed; together with i they make the percent draw.
func (r *Rule) match(i int64, arg []byte, seed uint64, idx int) bool {
	switch r.Select {
	case SelectPercent:
		return draw(seed, uint64(idx), uint64(i))*100 < r.Percent
	case SelectRegexp:
		return r.Regexp.Match(arg)
	case SelectAfter:
		return i >= r.N
	case SelectEvery:
		return (i+1)%r.N == 0
	default:
		return true
	}
}

// draw returns a number in [0, 1) that depends only on its inputs: a
// splitmix64 generator seeded with seed and the rule, at position i. A
// shared sequential generator would give events to rules in the order the
// connections happen to reach it; this keeps a seed's picks reproducible.
func draw(seed, rule, i uint64) float64 {
	x := seed ^ (rule+1)*0x9e3779b97f4a7c15
	x += (i + 1) * 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
