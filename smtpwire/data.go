package smtpwire

import (
	"bytes"
	"slices"
	"strconv"
)

// LineEndingPolicy says what the Unstuffer does with a bare LF (one not preceded by CR) or a
// bare CR (one not followed by LF) in message data. Bare endings are how SMTP smuggling works:
// a sender hides a second message behind "\n.\n", which this hop does not take as the end of
// data but a later hop might, so Volley rejects or rewrites them unless told otherwise.
type LineEndingPolicy uint8

// Line ending policies. BareReject is the zero value, so UnstuffOptions{} is the safe default.
const (
	// BareReject sets the sticky error ErrBareLineEnding at the first bare CR or LF; Decode
	// still scans on to the end-of-data line so the session stays in sync with the client.
	BareReject LineEndingPolicy = iota
	// BareNormalize writes each bare LF and each bare CR as CRLF, so the stored message has
	// only CRLF line endings and a later hop cannot read a different line structure into it.
	BareNormalize
	// BareAllow passes bare CR and LF through unchanged (for legacy local injection).
	BareAllow
	lineEndingPolicyCount
)

var lineEndingPolicyNames = [lineEndingPolicyCount]string{"reject", "normalize", "allow"}

// String returns "reject", "normalize" or "allow", the words used in configuration and logs.
func (p LineEndingPolicy) String() string {
	if p < lineEndingPolicyCount {
		return lineEndingPolicyNames[p]
	}
	return "LineEndingPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Errors that Unstuffer.Err reports. Each carries the reply the server sends after the
// end-of-data line; the session continues after any of them (RFC 5321 §4.1.1.4: the
// transaction fails, the connection does not).
var (
	// ErrDataLineTooLong reports a line over UnstuffOptions.MaxLine (RFC 5321 §4.5.3.1.6).
	ErrDataLineTooLong = newError(C554TransactionFailed, E560MediaOther,
		"Message line too long", "message line too long")
	// ErrMessageTooBig reports a message over UnstuffOptions.MaxSize (RFC 5321 §4.5.3.1.9).
	ErrMessageTooBig = newError(C552StorageExceeded, E534MessageTooBig,
		"Message too big for system", "message too big")
	// ErrBareLineEnding reports a bare CR or LF under BareReject (RFC 5321 §2.3.8).
	ErrBareLineEnding = newError(C554TransactionFailed, E560MediaOther,
		"Bare CR or LF not allowed in message", "bare CR or LF in message")
)

// UnstuffOptions configures an Unstuffer. The zero value means no limits and BareReject.
type UnstuffOptions struct {
	// MaxLine is the largest line the message may hold, in octets of the unstuffed output line
	// including its line ending: the stuffing dot is not counted (RFC 5321 §4.5.3.1.6), and
	// under BareNormalize a bare ending counts as the two octets of the CRLF it becomes.
	// Under BareAllow only LF ends a line. Senders must keep lines to 1000 octets, so a
	// receiver should not set less. Zero or less means no limit (the default).
	MaxLine int
	// MaxSize is the largest message, in octets of unstuffed output (RFC 5321 §4.5.3.1.7).
	// Zero or less means no limit (the default).
	MaxSize int64
	// Bare says what to do with a bare CR or LF. The default is BareReject.
	Bare LineEndingPolicy
}

// dataState is where the Unstuffer stands in the byte stream between two Decode calls.
type dataState uint8

const (
	dsLineStartCRLF dataState = iota // line start after CRLF or at data start: ".\r\n" here ends the data
	dsLineStart                      // line start after a bare ending: a dot here is dropped, never ends the data
	dsMid                            // inside a line, nothing held back
	dsCR                             // a CR was read and not written: the next byte makes it CRLF or bare
	dsDot                            // "." at a dsLineStartCRLF line start: dropped, maybe the end of data
	dsDotCR                          // ".\r" at a dsLineStartCRLF line start
	dsDiscard                        // after an error: only looking for the end of data (Unstuffer.m)
	dsDone                           // the end-of-data line has been consumed
)

// dataEndLine is the end of mail data, counting the CRLF that ends the last line (RFC 5321 §4.1.1.4).
const dataEndLine = "\r\n.\r\n"

// dataEndMatched maps each state to the number of octets of dataEndLine that the input read so
// far ends with, which is where the error-time scan (Unstuffer.discard) starts. dsMid maps to 0
// even right after a bare CR: that CR is followed by a non-LF, which resets the match anyway.
var dataEndMatched = [...]uint8{
	dsLineStartCRLF: 2, dsLineStart: 0, dsMid: 0, dsCR: 1, dsDot: 3, dsDotCR: 4,
}

var (
	dataCRLF = []byte("\r\n")
	dataCR   = dataCRLF[:1]
	dataLF   = dataCRLF[1:]
)

// Unstuffer decodes the DATA stream a client sends after "354": it finds the end-of-data line,
// removes the transparency dots and applies the line ending policy and the limits (RFC 5321
// §4.1.1.4, §4.5.2). The zero value is ready to use with UnstuffOptions{}.
//
// Where the data ends is decided by the client's bytes alone: the first "\r\n.\r\n" in the
// stream, with the data start counting as a CRLF. The policy and the limits never change that,
// so the server and every later hop agree on message boundaries. "\n.\n", "\r\n.\n",
// "\n.\r\n" and "\r.\r\n" never end the data (the 2023 SMTP smuggling attacks rely on hops
// that disagree about them).
//
// Decode is built for speed because every message passes through it. In the common state, at
// a line start, lines finds each LF with bytes.IndexByte (SIMD), checks the line in place, and
// leaves it in a span of src that is appended to dst only when a dot must be dropped or the
// call ends, so a clean body costs two IndexByte scans per line and a few large copies.
// Everything else (a chunk boundary inside a line, a bare ending, a limit, the end of data)
// goes through step, a byte state machine that carries state across calls. A byte-at-a-time
// machine alone (go-smtp's dataReader) runs at a few hundred MB/s, and net/textproto's
// DotReader, besides reading through bufio, ends the data at "\n.\n", the smuggling bug.
//
// After the first violation Decode appends nothing more and discard only looks for the end of
// data, so an oversize message costs neither memory nor much CPU.
type Unstuffer struct {
	o       UnstuffOptions
	err     error // first violation; sticky until Reset
	size    int64 // octets appended to dst by Decode since Reset
	lineLen int   // octets of the current output line appended so far
	st      dataState
	m       uint8 // in dsDiscard: octets of dataEndLine that the input read so far ends with
}

// Reset readies u for a new message with options o. Values of o.Bare out of range act as
// BareReject.
func (u *Unstuffer) Reset(o UnstuffOptions) { *u = Unstuffer{o: o} }

// Err returns the first violation seen since Reset: ErrDataLineTooLong, ErrMessageTooBig,
// ErrBareLineEnding, or nil. It is sticky. Output stops at the violation: dst holds exactly
// the octets produced before the first octet that broke a limit, or before the bare ending.
func (u *Unstuffer) Err() error { return u.err }

// Size returns the octets Decode has appended to dst since Reset. It stops growing at the first
// violation, so after ErrMessageTooBig it equals MaxSize, not the size the client sent.
func (u *Unstuffer) Size() int64 { return u.size }

// Decode unstuffs src and appends the message octets to dst. It returns the extended dst, the
// number of src octets consumed, and done=true once the end-of-data line "CRLF.CRLF" has been
// consumed (RFC 5321 §4.1.1.4). Before done, Decode consumes all of src: octets it cannot yet
// decide on (a CR, or a dot that may start the end-of-data line) are held in u. Octets after
// the end-of-data line are not consumed: they are the next pipelined command (RFC 2920 §3.1).
// Once done, Decode returns dst, 0, true until Reset.
//
// The message excludes the final ".CRLF" but keeps the CRLF of its last line. Decode never
// keeps a reference to src or dst; it allocates only when dst lacks capacity.
func (u *Unstuffer) Decode(dst, src []byte) (out []byte, n int, done bool) {
	i := 0
	for i < len(src) && u.st != dsDone {
		if u.err != nil {
			i = u.discard(src, i)
			break
		}
		if u.st <= dsLineStart {
			if dst, i = u.lines(dst, src, i); i == len(src) {
				break
			}
		}
		dst, i = u.step(dst, src, i)
	}
	return dst, i, u.st == dsDone
}

// lines is the fast path of Decode. Starting at a line start src[i], it takes whole lines that
// end in src, have only the line endings the policy lets through unchanged, and fit the limits.
// It returns at the first line it cannot take whole, leaving it to step: then u.st is dsMid at
// the returned index, or dsLineStartCRLF at a dot that may end the data. The octets it takes
// are appended to dst before it returns.
func (u *Unstuffer) lines(dst, src []byte, i int) ([]byte, int) {
	maxLine, maxSize := u.o.MaxLine, u.o.MaxSize
	strict := u.o.Bare != BareAllow
	st, size, span := u.st, u.size, i // src[span:i] is taken but not yet appended
	for i < len(src) {
		start := i
		if src[i] == '.' {
			if st == dsLineStartCRLF && (len(src)-i < 3 || src[i+1] == '\r' && src[i+2] == '\n') {
				break // maybe the end of data (RFC 5321 §4.1.1.4): step decides
			}
			dst = append(dst, src[span:i]...) // RFC 5321 §4.5.2: drop the first dot of a line
			start, span, st = i+1, i+1, dsMid
		}
		j := bytes.IndexByte(src[start:], '\n')
		if j < 0 {
			i = start
			break
		}
		end := start + j // the LF
		isCRLF := j > 0 && src[end-1] == '\r'
		if strict && (!isCRLF || bytes.IndexByte(src[start:end-1], '\r') >= 0) {
			i, st = start, dsMid // a bare CR or LF: step applies the policy
			break
		}
		n := j + 1
		if maxLine > 0 && n > maxLine || maxSize > 0 && size+int64(n) > maxSize {
			i, st = start, dsMid // step writes up to the limit
			break
		}
		size += int64(n)
		i, st = end+1, dsLineStart
		if isCRLF {
			st = dsLineStartCRLF
		}
	}
	u.st, u.size = st, size
	return append(dst, src[span:i]...), i
}

// step makes one move of the byte state machine at src[i]. It returns the index of the next
// octet to read, which is i itself when the move only changed the state.
func (u *Unstuffer) step(dst, src []byte, i int) ([]byte, int) {
	c := src[i]
	switch u.st {
	case dsLineStartCRLF:
		if c == '.' {
			u.st = dsDot // RFC 5321 §4.5.2 stuffing dot, or §4.1.1.4 end of data
			return dst, i + 1
		}
		u.st = dsMid
	case dsLineStart:
		u.st = dsMid
		if c == '.' {
			return dst, i + 1 // RFC 5321 §4.5.2: drop the first dot of a line
		}
	case dsMid:
		return u.mid(dst, src, i)
	case dsCR:
		if c != '\n' {
			return u.bareCR(dst), i
		}
		dst = u.put(dst, dataCRLF)
		u.st, u.lineLen = dsLineStartCRLF, 0
		return dst, i + 1
	case dsDot:
		if c == '\r' {
			u.st = dsDotCR
			return dst, i + 1
		}
		u.st = dsMid // the dot was stuffing
	case dsDotCR:
		if c == '\n' {
			u.st = dsDone // RFC 5321 §4.1.1.4 end of mail data
			return dst, i + 1
		}
		u.st = dsCR // the dot was stuffing and the CR is bare
	}
	return dst, i
}

// mid handles src[i] inside a line: it writes the run of octets up to the next CR or LF, holds
// back a CR, or applies the policy to a bare LF.
func (u *Unstuffer) mid(dst, src []byte, i int) ([]byte, int) {
	rest := src[i:]
	k := bytes.IndexByte(rest, '\n')
	if k < 0 {
		k = len(rest)
	}
	if c := bytes.IndexByte(rest[:k], '\r'); c >= 0 {
		k = c
	}
	switch {
	case k > 0:
		return u.put(dst, rest[:k]), i + k
	case rest[0] == '\r':
		u.st = dsCR
		return dst, i + 1
	}
	switch u.o.Bare { // a bare LF (RFC 5321 §2.3.8)
	case BareAllow:
		dst = u.put(dst, dataLF)
	case BareNormalize:
		dst = u.put(dst, dataCRLF)
	default:
		u.err = ErrBareLineEnding
		return dst, i + 1
	}
	u.st, u.lineLen = dsLineStart, 0
	return dst, i + 1
}

// bareCR applies the policy to a held-back CR that the next octet showed to be bare
// (RFC 5321 §2.3.8). That next octet is left for the caller to read.
func (u *Unstuffer) bareCR(dst []byte) []byte {
	switch u.o.Bare {
	case BareAllow:
		dst = u.put(dst, dataCR)
		u.st = dsMid // only LF starts a line under BareAllow
	case BareNormalize:
		dst = u.put(dst, dataCRLF)
		u.st, u.lineLen = dsLineStart, 0
	default:
		u.err = ErrBareLineEnding
	}
	return dst
}

// put appends b to dst, or the part of b that fits both limits; on a shortfall it sets the
// error of the limit that broke first (the line limit when both break at the same octet).
func (u *Unstuffer) put(dst, b []byte) []byte {
	n := len(b)
	if lim := u.o.MaxLine; lim > 0 && u.lineLen+n > lim {
		n, u.err = lim-u.lineLen, ErrDataLineTooLong // RFC 5321 §4.5.3.1.6
	}
	if lim := u.o.MaxSize; lim > 0 && u.size+int64(n) > lim {
		n, u.err = int(lim-u.size), ErrMessageTooBig
	}
	u.size += int64(n)
	u.lineLen += n
	return append(dst, b[:n]...)
}

// discard consumes src from i after a violation, looking only for the end of data, and returns
// the index after it, or len(src). It matches dataEndLine with u.m as the count of octets
// matched so far, skipping from LF to LF while no match is under way.
func (u *Unstuffer) discard(src []byte, i int) int {
	if u.st != dsDiscard {
		u.m, u.st = dataEndMatched[u.st], dsDiscard
	}
	m := u.m
	for i < len(src) {
		if m < 2 { // a match can only start with the CRLF that ends a line
			k := bytes.IndexByte(src[i:], '\n')
			if k < 0 {
				m, i = 0, len(src)
				if src[i-1] == '\r' {
					m = 1
				}
				break
			}
			afterCR := k > 0 && src[i+k-1] == '\r' || k == 0 && m == 1
			m, i = 0, i+k+1
			if afterCR {
				m = 2
			}
			continue
		}
		c := src[i]
		i++
		switch {
		case c == dataEndLine[m]:
			m++
		case c == '\r':
			m = 1
		default:
			m = 0
		}
		if int(m) == len(dataEndLine) {
			u.st = dsDone // RFC 5321 §4.1.1.4 end of mail data
			break
		}
	}
	u.m = m
	return i
}

// Stuffer encodes message data for the DATA command: it doubles a dot at the start of every
// line (RFC 5321 §4.5.2) and, in AppendEnd, writes the end-of-data line (RFC 5321 §4.1.1.4).
// A line starts at the start of the data and after every LF, which is also where Unstuffer,
// under any policy, drops a line's first dot, so a bare LF in the data cannot form an
// end-of-data line downstream. Line endings are not rewritten. The zero value is ready to use.
type Stuffer struct {
	tail stuffTail // how the data appended since Reset ends
}

// stuffTail is how the data appended so far ends, which is all Append and AppendEnd need.
type stuffTail uint8

const (
	tailEmpty stuffTail = iota // nothing yet: a line start
	tailCRLF                   // CRLF: a line start
	tailLF                     // a bare LF: a line start
	tailCR                     // CR: the next LF makes a CRLF
	tailOther                  // anything else
)

// Reset readies s for a new message.
func (s *Stuffer) Reset() { s.tail = tailEmpty }

// Append appends src to dst with a '.' doubled at the start of every line (RFC 5321 §4.5.2)
// and returns the extended dst. The data may be split across calls at any octet. Append
// allocates only when dst lacks capacity, which is at most len(src) plus one per line.
func (s *Stuffer) Append(dst, src []byte) []byte {
	if len(src) == 0 {
		return dst
	}
	if s.tail <= tailLF && src[0] == '.' {
		dst = append(dst, '.') // RFC 5321 §4.5.2
	}
	span := 0 // src[span:] is not yet appended
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		if i < len(src) && src[i] == '.' {
			dst = append(dst, src[span:i+1]...) // RFC 5321 §4.5.2: the dot goes out twice
			span = i
		}
	}
	dst = append(dst, src[span:]...)
	switch last := src[len(src)-1]; {
	case last == '\r':
		s.tail = tailCR
	case last != '\n':
		s.tail = tailOther
	case len(src) >= 2 && src[len(src)-2] == '\r' || len(src) == 1 && s.tail == tailCR:
		s.tail = tailCRLF
	default:
		s.tail = tailLF
	}
	return dst
}

// AppendEnd appends the end of data: a CRLF to end the last line unless the data is empty or
// already ends with CRLF, then ".\r\n" (RFC 5321 §4.1.1.4). It leaves s Reset for the next
// message.
func (s *Stuffer) AppendEnd(dst []byte) []byte {
	if s.tail != tailEmpty && s.tail != tailCRLF {
		dst = append(dst, dataCRLF...)
	}
	s.tail = tailEmpty
	return append(dst, ".\r\n"...)
}

// AppendStuffed appends the whole message msg to dst, dot-stuffed and followed by the end of
// data, as Reset, Append and AppendEnd would. It returns the extended dst.
func AppendStuffed(dst, msg []byte) []byte {
	dst = slices.Grow(dst, len(msg)+len(dataEndLine))
	var s Stuffer
	return s.AppendEnd(s.Append(dst, msg))
}
