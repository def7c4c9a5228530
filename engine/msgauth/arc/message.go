package arc

// Message splitting and header field indexing. Everything here works on
// sub-slices of the caller's message; nothing is copied except when a
// message with bare LF line ends has to be turned into CRLF form.

import (
	"bytes"
	"slices"
)

// field is one header field. Its slices point into the message being
// processed and live as long as it does.
type field struct {
	raw   []byte // name, colon, value and the CRLF that ends the field (absent on an unterminated last line)
	name  []byte // the field name as written, without whitespace before the colon
	value []byte // everything after the colon, folds included, without the final CRLF
}

// message is a message split into header fields and body.
type message struct {
	fields []field
	body   []byte // after the blank line; nil when there is none

	// byName holds the indices of fields sorted by lower-cased name and,
	// within a name, from the bottom of the header up: the order in which
	// RFC 6376 §5.4.2 selects repeated fields. Built on first use.
	byName []int32
}

// toCRLF returns msg with every bare LF turned into CRLF. A message that
// has none is returned as is, so the common case costs one scan.
func toCRLF(msg []byte) []byte {
	bare := 0
	for i := 0; ; {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			break
		}
		i += j
		if i == 0 || msg[i-1] != '\r' {
			bare++
		}
		i++
	}
	if bare == 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)+bare)
	for i, c := range msg {
		if c == '\n' && (i == 0 || msg[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// mayHaveARC reports whether a line of msg's header starts with "ARC-"
// (in any case): a filter that lets a message without a chain, the
// common case, cost one pass over its header and nothing else. It reads
// LF and CRLF alike and stops at the first empty line.
func mayHaveARC(msg []byte) bool {
	for len(msg) > 0 {
		if msg[0] == '\n' || msg[0] == '\r' && len(msg) > 1 && msg[1] == '\n' {
			return false // end of header
		}
		if len(msg) >= 4 && lower(msg[0]) == 'a' && lower(msg[1]) == 'r' && lower(msg[2]) == 'c' && msg[3] == '-' {
			return true
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			return false
		}
		msg = msg[i+1:]
	}
	return false
}

// parseMessage splits msg (CRLF line ends) at the first empty line and
// parses the header fields above it. A message without an empty line is
// all header (RFC 5322 §3.5 makes the body optional).
func parseMessage(msg []byte) *message {
	m := &message{}
	var header []byte
	switch {
	case bytes.HasPrefix(msg, crlf):
		m.body = msg[2:]
	default:
		if i := bytes.Index(msg, crlfcrlf); i >= 0 {
			header, m.body = msg[:i+2], msg[i+4:]
		} else {
			header = msg
		}
	}
	m.fields = parseFields(header)
	return m
}

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
)

// parseFields splits a header block into fields. A line starting with
// whitespace continues the field above it (RFC 5322 §2.2.3). A line with
// no colon becomes a field whose name is the whole line; it can never
// match a real field name, and keeping it preserves what is hashed.
func parseFields(h []byte) []field {
	fields := make([]field, 0, 16+bytes.Count(h, crlf)/4)
	for len(h) > 0 {
		var raw []byte
		raw, h = nextField(h)
		if len(fields) == 0 && (raw[0] == ' ' || raw[0] == '\t') {
			continue // a continuation with nothing to continue
		}
		fields = append(fields, newField(raw))
	}
	return fields
}

// nextField splits the first field, its continuation lines and its final
// CRLF included, off a non-empty header block.
func nextField(h []byte) (raw, rest []byte) {
	end := 0
	for {
		i := bytes.Index(h[end:], crlf)
		if i < 0 {
			return h, nil
		}
		end += i + 2
		if end >= len(h) || (h[end] != ' ' && h[end] != '\t') {
			return h[:end], h[end:]
		}
	}
}

// EachField calls fn with the name and value (folds included, the final
// CRLF not) of each field of the header block h, top to bottom, until fn
// returns false. It splits fields as the ARC hashes do, so DKIM signing
// and the identity that picks its key read the header the same way.
func EachField(h []byte, fn func(name, value []byte) bool) {
	for len(h) > 0 {
		var raw []byte
		raw, h = nextField(h)
		if f := newField(raw); !fn(f.name, f.value) {
			return
		}
	}
}

func newField(raw []byte) field {
	body := bytes.TrimSuffix(raw, crlf)
	colon := bytes.IndexByte(body, ':')
	if colon < 0 {
		return field{raw: raw, name: body}
	}
	return field{raw: raw, name: trimWSPRight(body[:colon]), value: body[colon+1:]}
}

// index builds byName once.
func (m *message) index() {
	if m.byName != nil || len(m.fields) == 0 {
		return
	}
	m.byName = make([]int32, len(m.fields))
	for i := range m.byName {
		m.byName[i] = int32(i)
	}
	slices.SortFunc(m.byName, func(a, b int32) int {
		if c := compareFold(m.fields[a].name, m.fields[b].name); c != 0 {
			return c
		}
		return int(b - a) // bottom first
	})
}

// nameRange returns the run of byName holding the fields called name.
func (m *message) nameRange(name []byte) []int32 {
	m.index()
	lo, _ := slices.BinarySearchFunc(m.byName, name, func(i int32, n []byte) int {
		return compareFold(m.fields[i].name, n)
	})
	hi := lo
	for hi < len(m.byName) && compareFold(m.fields[m.byName[hi]].name, name) == 0 {
		hi++
	}
	return m.byName[lo:hi]
}

// selectFields resolves an h= list into field indices, -1 for a name
// listed more often than the message has it (which then hashes as
// nothing, RFC 6376 §5.4.2). The k-th mention of a name takes the k-th
// field of that name counting from the bottom. names are compared without
// regard to ASCII case. The cost is O((n+h) log) rather than a scan of the
// header per name, so that a hostile h= with thousands of names stays
// cheap.
func (m *message) selectFields(names [][]byte, dst []int32) []int32 {
	dst = slices.Grow(dst[:0], len(names))[:len(names)]
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareFold(names[a], names[b]) })
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && compareFold(names[order[i]], names[order[j]]) == 0 {
			j++
		}
		var have []int32
		if len(names[order[i]]) > 0 { // an empty name (h=a::b) selects nothing
			have = m.nameRange(names[order[i]])
		}
		for k := i; k < j; k++ {
			if k-i < len(have) {
				dst[order[k]] = have[k-i]
			} else {
				dst[order[k]] = -1
			}
		}
		i = j
	}
	return dst
}

// compareFold orders a and b as if both were lower-cased (ASCII only).
func compareFold(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func equalFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func trimWSPRight(b []byte) []byte {
	for len(b) > 0 && isWSP(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
