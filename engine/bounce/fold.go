package bounce

import (
	"time"
	"unicode/utf8"
)

// hardMax is the column after which lineWriter breaks even inside a word,
// well below RFC 5322 §2.1.1's 998 so that a short closing text still fits.
const hardMax = 900

// lineWriter appends text made of words to b, breaking lines before a word
// that would pass width. For header fields indent is " ": the break then
// stands for the space it replaces and unfolds back to it (RFC 5322 §2.2.3).
// For the text part indent is the continuation's indentation.
//
// Untrusted text goes through words or word: control characters (CR and LF
// among them) separate words, so they can never start a line; non-ASCII
// text is kept only when utf8 is set and is valid UTF-8, and is '?'
// otherwise.
type lineWriter struct {
	b      []byte
	col    int // octets on the current line
	width  int
	indent string
	utf8   bool
	sep    bool // a word was written last: the next one needs a space or a break
}

// str appends trusted ASCII text without breaking it.
func (w *lineWriter) str(s string) {
	w.b = append(w.b, s...)
	w.col += len(s)
	w.sep = false
}

// crlf ends the line.
func (w *lineWriter) crlf() {
	w.b = append(w.b, "\r\n"...)
	w.col, w.sep = 0, false
}

// date appends t in RFC 5322 §3.3 form.
func (w *lineWriter) date(t time.Time) {
	n := len(w.b)
	w.b = t.AppendFormat(w.b, time.RFC1123Z)
	w.col += len(w.b) - n
	w.sep = false
}

// breakLine starts a continuation line.
func (w *lineWriter) breakLine() {
	w.b = append(w.b, "\r\n"...)
	w.b = append(w.b, w.indent...)
	w.col = len(w.indent)
}

// words appends the words of s, separated by single spaces or line breaks.
func (w *lineWriter) words(s string) {
	for i := 0; i < len(s); {
		for i < len(s) && isSep(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSep(s[j]) {
			j++
		}
		if j > i {
			w.word(s[i:j])
		}
		i = j
	}
}

// isSep reports whether c separates words: white space and every control.
func isSep(c byte) bool { return c <= ' ' || c == 0x7f }

// word appends one word (no separator inside), after a space or a line
// break when a word came before it, and breaks it past hardMax.
func (w *lineWriter) word(s string) {
	if w.sep {
		if w.col+1+len(s) > w.width {
			w.breakLine()
		} else {
			w.b = append(w.b, ' ')
			w.col++
		}
	}
	for i := 0; i < len(s); {
		if w.col >= hardMax {
			w.breakLine()
		}
		c := s[i]
		if c < 0x80 {
			w.b = append(w.b, c)
			w.col++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if w.utf8 && (r != utf8.RuneError || size > 1) {
			w.b = append(w.b, s[i:i+size]...)
			w.col += size
		} else {
			w.b = append(w.b, '?')
			w.col++
		}
		i += size
	}
	w.sep = true
}

// piece appends a vetted fragment of a longer token (no control, no
// non-ASCII unless utf8), breaking the line first past hardMax.
func (w *lineWriter) piece(s string) {
	if w.col >= hardMax {
		w.breakLine()
	}
	w.b = append(w.b, s...)
	w.col += len(s)
	w.sep = true
}
