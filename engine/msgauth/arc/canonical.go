package arc

// Canonicalization, RFC 6376 §3.4. Header forms are appended to a caller's
// scratch buffer; body forms stream straight into a hash, so the canonical
// body is never held in memory.

import (
	"bytes"
	"hash"
)

// canon is one canonicalization algorithm.
type canon uint8

const (
	canonSimple canon = iota
	canonRelaxed
	canonCount
)

var canonNames = [canonCount]string{"simple", "relaxed"}

func (c canon) String() string {
	if c < canonCount {
		return canonNames[c]
	}
	return "canon(?)"
}

// parseCanon reads c= (RFC 6376 §3.5): "header/body", the body part
// defaulting to simple. A missing c= is handled by the caller.
func parseCanon(v []byte) (head, body canon, ok bool) {
	h, b, found := bytes.Cut(v, []byte{'/'})
	if head, ok = canonByName(h); !ok {
		return 0, 0, false
	}
	if !found {
		return head, canonSimple, true
	}
	body, ok = canonByName(b)
	return head, body, ok
}

func canonByName(v []byte) (canon, bool) {
	switch string(v) {
	case "simple":
		return canonSimple, true
	case "relaxed":
		return canonRelaxed, true
	}
	return 0, false
}

// appendHeader appends field f in canonical form c, CRLF-terminated.
func appendHeader(dst []byte, c canon, f field) []byte {
	if c == canonSimple {
		// RFC 6376 §3.4.1: unchanged.
		dst = append(dst, f.raw...)
		if !bytes.HasSuffix(f.raw, crlf) {
			dst = append(dst, crlf...)
		}
		return dst
	}
	dst = appendRelaxedHeader(dst, f.name, f.value)
	return append(dst, crlf...)
}

// appendRelaxedHeader appends name:value in relaxed form without CRLF
// (RFC 6376 §3.4.2): the name lower-cased, the value unfolded, runs of
// WSP turned into one SP, WSP removed at both ends of the value and
// around the colon.
func appendRelaxedHeader(dst, name, value []byte) []byte {
	for _, c := range trimWSPRight(name) {
		dst = append(dst, lower(c))
	}
	dst = append(dst, ':')
	space, started := false, false
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '\r' && i+1 < len(value) && value[i+1] == '\n':
			i++ // unfold: CRLF disappears, the WSP after it stays
		case isWSP(c):
			space = started
		default:
			if space {
				dst = append(dst, ' ')
				space = false
			}
			dst = append(dst, c)
			started = true
		}
	}
	return dst
}

// bodyHasher writes a canonical body into a hash through a small buffer,
// stopping after limit bytes when limit >= 0 (the l= tag). n counts every
// canonical byte produced, hashed or not, so that l= can be checked
// against the real length.
type bodyHasher struct {
	h     hash.Hash
	limit int64
	n     int64
	buf   []byte
}

func (w *bodyHasher) write(p []byte) {
	w.buf = append(w.buf, p...)
	if len(w.buf) >= 4096 {
		w.flush()
	}
}

func (w *bodyHasher) writeByte(c byte) {
	w.buf = append(w.buf, c)
	if len(w.buf) >= 4096 {
		w.flush()
	}
}

func (w *bodyHasher) flush() {
	w.h.Write(clip(w.buf, w.limit, w.n))
	w.n += int64(len(w.buf))
	w.buf = w.buf[:0]
}

// hashBody streams body in canonical form c into w and flushes it.
func hashBody(w *bodyHasher, c canon, body []byte) {
	if c == canonSimple {
		simpleBody(w, body)
	} else {
		relaxedBody(w, body)
	}
	w.flush()
}

// simpleBody is RFC 6376 §3.4.3: trailing empty lines removed, and an
// empty body becomes a single CRLF.
func simpleBody(w *bodyHasher, body []byte) {
	end := len(body)
	for end >= 2 && body[end-2] == '\r' && body[end-1] == '\n' {
		end -= 2
	}
	if end > 0 {
		// Hand the bulk straight to the hash; the buffer only batches small
		// writes and would add a copy here.
		w.flush()
		w.h.Write(clip(body[:end], w.limit, w.n))
		w.n += int64(end)
	}
	w.write(crlf)
}

// clip trims p, about to be written after n bytes, to what limit allows.
func clip(p []byte, limit, n int64) []byte {
	if limit < 0 {
		return p
	}
	if n >= limit {
		return nil
	}
	if n+int64(len(p)) > limit {
		return p[:limit-n]
	}
	return p
}

// relaxedBody is RFC 6376 §3.4.4: WSP at line ends removed, WSP runs
// inside lines turned into one SP, empty lines at the end removed, and a
// missing final CRLF added to a non-empty body. Empty lines are counted
// rather than written, and emitted only when a non-empty line follows.
func relaxedBody(w *bodyHasher, body []byte) {
	empty := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = bytes.TrimSuffix(body[:i], []byte{'\r'}), body[i+1:]
		} else {
			body = nil
		}
		line = trimWSPRight(line)
		if len(line) == 0 {
			empty++
			continue
		}
		for ; empty > 0; empty-- {
			w.write(crlf)
		}
		relaxedLine(w, line)
		w.write(crlf)
	}
}

// relaxedLine writes one line (no trailing WSP) with WSP runs reduced.
// Text whose spaces are already single SPs, most of any body, is written
// in one piece; only a tab or a run of two or more WSP splits it.
func relaxedLine(w *bodyHasher, line []byte) {
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != ' ' && c != '\t' {
			continue
		}
		if c == ' ' && (i+1 == len(line) || !isWSP(line[i+1])) {
			continue // a single SP stays as it is
		}
		w.write(line[start:i])
		w.writeByte(' ')
		for i+1 < len(line) && isWSP(line[i+1]) {
			i++
		}
		start = i + 1
	}
	w.write(line[start:])
}
