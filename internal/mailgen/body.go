package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"strings"
)

// textWidth is the wrap width, in octets, of generated text lines.
const textWidth = 72

// body returns the message body and the MIME header fields that describe
// it (none for plain ASCII text, which needs none).
func (g *gen) body() ([]byte, []field) {
	var body string
	var content []field
	switch g.p.kind {
	case asciiText:
		body = g.edit(g.paragraphs(3+g.rng.IntN(10), false))
	case utf8Text:
		body = g.edit(g.paragraphs(4+g.rng.IntN(10), true))
		content = textContent("utf-8", "8bit")
	case alternative:
		body, content = g.alternative()
	case largeASCII:
		body = g.edit(g.largeText(false))
	case longLines:
		body = g.edit(g.longLines())
	case emptyBody:
		return nil, nil
	case largeUTF8:
		body = g.edit(g.largeText(true))
		content = textContent("utf-8", "8bit")
	case mixed:
		body, content = g.mixed()
	}
	if g.p.features.has(TrailingBlankLines) {
		body += strings.Repeat("\r\n", 1+g.rng.IntN(3))
	}
	if g.p.features.has(NoFinalCRLF) {
		body = strings.TrimSuffix(body, "\r\n")
	}
	return []byte(body), content
}

// textContent returns the header fields of a text/plain body.
func textContent(charset, cte string) []field {
	return []field{
		{"Content-Type", " text/plain; charset=" + charset},
		{"Content-Transfer-Encoding", " " + cte},
	}
}

// edit applies the plan's line edits (TrailingWhitespace, then DotLines,
// so that the "." and ".." lines stay exact) to lines and joins them, each
// ending in CRLF.
func (g *gen) edit(lines []string) string {
	if g.p.features.has(TrailingWhitespace) {
		for range 2 + g.rng.IntN(3) {
			n := g.rng.IntN(len(lines))
			lines[n] += g.pick([]string{" ", "  ", "\t", " \t", "\t \t", "   "})
		}
	}
	if g.p.features.has(DotLines) {
		for _, d := range []string{".", "..", g.pick([]string{"...", ".leading dot", "..two leading dots", ". spaced"})} {
			lines = insert(lines, g.rng.IntN(len(lines)+1), d)
		}
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// paragraphs returns n lines of wrapped text in paragraphs separated by
// empty lines; the first and last lines are text.
func (g *gen) paragraphs(n int, utf8 bool) []string {
	var lines []string
	for len(lines) < n {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, g.wrap(g.sentenceWords(15+g.rng.IntN(50), utf8))...)
	}
	return lines
}

// largeText returns paragraphs of at least 4096 octets (up to about 12 KB).
func (g *gen) largeText(utf8 bool) []string {
	want := 4096 + g.rng.IntN(8192)
	var lines []string
	size := 0
	for size < want {
		if len(lines) > 0 {
			lines = append(lines, "")
			size += 2
		}
		for _, l := range g.wrap(g.sentenceWords(20+g.rng.IntN(60), utf8)) {
			lines = append(lines, l)
			size += len(l) + 2
		}
	}
	return lines
}

// longLines returns a few wrapped lines around two or three lines of 900
// to 998 octets, RFC 5322 §2.1.1's limit.
func (g *gen) longLines() []string {
	lines := g.wrap(g.sentenceWords(10+g.rng.IntN(20), false))
	for range 2 + g.rng.IntN(2) {
		want := 900 + g.rng.IntN(99)
		var b strings.Builder
		for b.Len() < want {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(g.pick(g.pl.asciiWords))
		}
		l := b.String()[:min(b.Len(), 998)]
		lines = insert(lines, g.rng.IntN(len(lines)+1), strings.TrimRight(l, " "))
	}
	return lines
}

// sentenceWords returns n words, with UTF-8 words mixed in when utf8 is set.
func (g *gen) sentenceWords(n int, utf8 bool) []string {
	w := make([]string, n)
	for i := range w {
		if utf8 && g.rng.IntN(3) == 0 {
			w[i] = g.pick(g.pl.utf8Words)
		} else {
			w[i] = g.pick(g.pl.asciiWords)
		}
	}
	return w
}

// wrap joins words into lines of at most textWidth octets (longer only
// for a single long word), with no trailing whitespace.
func (g *gen) wrap(words []string) []string {
	var lines []string
	var cur strings.Builder
	for _, w := range words {
		if cur.Len() > 0 && cur.Len()+1+len(w) > textWidth {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(w)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// boundary returns a fresh multipart boundary (RFC 2046 §5.1.1) that the
// generated text cannot contain.
func (g *gen) boundary() string { return fmt.Sprintf("=_mailgen_%016x", g.rng.Uint64()) }

// alternative returns a multipart/alternative body: an edited 7bit
// text/plain part and a text/html part.
func (g *gen) alternative() (string, []field) {
	bnd := g.boundary()
	text := g.paragraphs(3+g.rng.IntN(8), false)
	var html strings.Builder
	html.WriteString("<!DOCTYPE html>\r\n<html><body>\r\n")
	for _, l := range g.paragraphs(2+g.rng.IntN(5), false) {
		if l != "" {
			html.WriteString("<p>" + l + "</p>\r\n")
		}
	}
	html.WriteString("</body></html>\r\n")
	var b strings.Builder
	b.WriteString("This is a multi-part message in MIME format.\r\n")
	b.WriteString("\r\n--" + bnd + "\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	b.WriteString(g.edit(text))
	b.WriteString("\r\n--" + bnd + "\r\nContent-Type: text/html; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	b.WriteString(html.String())
	b.WriteString("\r\n--" + bnd + "--\r\n")
	return b.String(), []field{{"Content-Type", " multipart/alternative; boundary=\"" + bnd + "\""}}
}

// mixed returns a multipart/mixed body: an edited 8bit UTF-8 text part, a
// quoted-printable text part and a base64 attachment.
func (g *gen) mixed() (string, []field) {
	bnd := g.boundary()
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(strings.Join(g.paragraphs(2+g.rng.IntN(3), true), "\r\n") + "\r\n"))
	w.Close()
	raw := make([]byte, 200+g.rng.IntN(700))
	for i := range raw {
		raw[i] = byte(g.rng.Uint32())
	}
	var b strings.Builder
	b.WriteString("--" + bnd + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(g.edit(g.paragraphs(3+g.rng.IntN(6), true)))
	b.WriteString("\r\n--" + bnd + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.Write(qp.Bytes())
	b.WriteString("\r\n--" + bnd + "\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n")
	b.WriteString("Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 { // RFC 2045 §6.8: at most 76 characters a line
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	b.WriteString("--" + bnd + "--\r\n")
	return b.String(), []field{
		{"Content-Type", " multipart/mixed; boundary=\"" + bnd + "\""},
		{"Content-Transfer-Encoding", " 8bit"},
	}
}
