package loadgen

import (
	"strconv"
	"strings"
	"time"
)

// The messages Blast sends: a small header that names the message's number
// (X-Blast-Seq) and a body of plain text lines shared by every message.

// bodyText is the text the body lines are cut from. It has no dot, so no
// line needs dot-stuffing, and no line is longer than maxBodyLine.
const bodyText = "the quick brown fox jumps over the lazy dog while volley blast " +
	"measures how many messages a server takes each second and how long each " +
	"one waits for its reply, pack my box with five dozen liquor jugs, sphinx " +
	"of black quartz judge my vow, how vexingly quick daft zebras jump "

// maxBodyLine is the longest body line before CRLF (RFC 5322 §2.1.1 asks for
// at most 78).
const maxBodyLine = 76

// textBody returns a body of exactly size bytes (a size of 1 becomes 2, the
// shortest line) of CRLF-ended text lines.
func textBody(size int) []byte {
	if size == 1 {
		size = 2
	}
	b := make([]byte, 0, size)
	pos := 0
	take := func(n int) {
		for n > 0 {
			k := min(n, len(bodyText)-pos)
			b = append(b, bodyText[pos:pos+k]...)
			pos, n = (pos+k)%len(bodyText), n-k
		}
	}
	for rem := size; rem > 0; rem = size - len(b) {
		if rem <= maxBodyLine+2 {
			take(rem - 2) // the last line fills the size exactly
		} else {
			n := maxBodyLine
			window := bodyText[pos:min(pos+n, len(bodyText))]
			if sp := strings.LastIndexByte(window, ' '); sp > maxBodyLine/2 {
				n = sp + 1 // end the line after a word
			}
			take(min(n, rem-4)) // leave at least a CRLF for the last line

		}
		b = append(b, "\r\n"...)
	}
	return b
}

// recipients returns the cycle of recipient addresses: To, plus made-up
// rcptN@domain addresses up to n when To has fewer. Message m's recipients
// are the n entries of the cycle from position m*n on, wrapping around.
func recipients(to []string, n int) []string {
	if n <= len(to) {
		return to
	}
	cycle := append([]string(nil), to...)
	domain := "sink.localhost"
	if at := strings.LastIndexByte(to[0], '@'); at >= 0 && at+1 < len(to[0]) {
		domain = to[0][at+1:]
	}
	for k := len(to) + 1; len(cycle) < n; k++ {
		cycle = append(cycle, "rcpt"+strconv.Itoa(k)+"@"+domain)
	}
	return cycle
}

// rcptsOf returns message seq's recipients, appended to dst.
func (b *blastRun) rcptsOf(dst []string, seq int) []string {
	n, c := b.o.Rcpts, b.rcpts
	for i := range n {
		dst = append(dst, c[(seq*n+i)%len(c)])
	}
	return dst
}

// appendHeader appends message seq's header section, ending with the blank
// line, to dst.
func (b *blastRun) appendHeader(dst []byte, seq int, to []string, now time.Time) []byte {
	dst = append(dst, "From: <"...)
	dst = append(dst, b.o.From...)
	dst = append(dst, ">\r\nTo: "...)
	for i, t := range to {
		if i > 0 {
			dst = append(dst, ",\r\n "...) // one address per line keeps lines short
		}
		dst = append(append(append(dst, '<'), t...), '>')
	}
	dst = append(dst, "\r\nSubject: volley blast message "...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, "\r\nDate: "...)
	dst = now.AppendFormat(dst, time.RFC1123Z)
	dst = append(dst, "\r\nMessage-ID: <"...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, '.')
	dst = append(dst, b.msgID...)
	dst = append(dst, '@')
	dst = append(dst, domainOf(b.o.From)...)
	dst = append(dst, ">\r\nX-Blast-Seq: "...)
	dst = strconv.AppendInt(dst, int64(seq), 10)
	dst = append(dst, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"...)
	return dst
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 && at+1 < len(addr) {
		return addr[at+1:]
	}
	return "blast.localhost"
}
