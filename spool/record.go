package spool

import (
	"encoding/binary"
	"time"
)

// Key prefixes (see doc.go for the schema).
const (
	prefixQueue byte = 'q' // 'q' ID 0x00 = meta; 'q' ID 0x01 INDEX = recipient
	prefixBody  byte = 'b' // 'b' ID = compressed body
	kindMeta    byte = 0x00
	kindRcpt    byte = 0x01
	recordV1    byte = 1
)

const (
	metaKeyLen = 1 + 16 + 1
	rcptKeyLen = 1 + 16 + 1 + 2
	bodyKeyLen = 1 + 16
)

func metaKey(dst []byte, id ID) []byte {
	dst = append(dst, prefixQueue)
	dst = append(dst, id[:]...)
	return append(dst, kindMeta)
}

func rcptKey(dst []byte, id ID, idx uint16) []byte {
	dst = append(dst, prefixQueue)
	dst = append(dst, id[:]...)
	dst = append(dst, kindRcpt)
	return binary.BigEndian.AppendUint16(dst, idx)
}

func bodyKey(dst []byte, id ID) []byte {
	dst = append(dst, prefixBody)
	return append(dst, id[:]...)
}

// messageRange returns the bounds of every queue key of id (meta and recipients).
func messageRange(id ID) (lo, hi []byte) {
	lo = append([]byte{prefixQueue}, id[:]...)
	hi = append([]byte{prefixQueue}, id[:]...)
	hi = append(hi, 0xff)
	return lo, hi
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendTime appends t in Unix nanoseconds; zero means no time, and so do
// times at or before the Unix epoch (which decoding has always read back
// as zero), so that every encoding decodes.
func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() || t.UnixNano() <= 0 {
		return binary.AppendUvarint(dst, 0)
	}
	return binary.AppendUvarint(dst, uint64(t.UnixNano()))
}

// encodeMeta appends m's envelope record (recipients are separate records).
//
//	version(1) flags(1: bit0 SMTPUTF8) ret(1) body(1) received(uvarint ns)
//	size(uvarint) recipients(uvarint) from envid job vmta origin (uvarint length + bytes each)
func encodeMeta(dst []byte, m *Message) []byte {
	var flags byte
	if m.SMTPUTF8 {
		flags |= 1
	}
	dst = append(dst, recordV1, flags, byte(m.Ret), byte(m.Body))
	dst = appendTime(dst, m.Received)
	dst = binary.AppendUvarint(dst, uint64(m.Size))
	dst = binary.AppendUvarint(dst, uint64(len(m.Recipients)))
	for _, s := range [...]string{m.From, m.EnvID, m.Job, m.VMTA, m.Origin} {
		dst = appendString(dst, s)
	}
	return dst
}

// encodeRcpt appends r's record.
//
//	version(1) notify(1) attempts(uvarint) next(uvarint ns, 0 none) addr orcpt lastReply
func encodeRcpt(dst []byte, r *Recipient) []byte {
	dst = append(dst, recordV1, byte(r.Notify))
	dst = binary.AppendUvarint(dst, uint64(r.Attempts))
	dst = appendTime(dst, r.NextAttempt)
	for _, s := range [...]string{r.Addr, r.ORCPT, r.LastReply} {
		dst = appendString(dst, s)
	}
	return dst
}

// reader decodes a record; the first malformed field sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte1() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uvarint reads a minimal uvarint (a longer one, ending in a zero byte, is
// not what encoding writes: rejecting it keeps records canonical).
func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n > 1 && r.b[n-1] == 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) time() time.Time {
	ns := r.uvarint()
	if ns > 1<<63-1 {
		r.bad = true // appendTime writes no such value
	}
	if ns == 0 || r.bad {
		return time.Time{}
	}
	return time.Unix(0, int64(ns))
}

// decodeMeta fills m from a meta record; m.Recipients is left empty with
// capacity for the count recorded.
func decodeMeta(b []byte, m *Message) error {
	r := reader{b: b}
	if r.byte1() != recordV1 {
		return ErrCorrupt
	}
	flags := r.byte1()
	m.SMTPUTF8 = flags&1 != 0
	m.Ret = Ret(r.byte1())
	m.Body = BodyType(r.byte1())
	m.Received = r.time()
	m.Size = int64(r.uvarint())
	n := r.uvarint()
	m.From, m.EnvID, m.Job, m.VMTA, m.Origin = r.str(), r.str(), r.str(), r.str(), r.str()
	if r.bad || len(r.b) != 0 || n > 1<<16 || flags&^1 != 0 || m.Ret > RetHdrs || m.Body > BodyBinaryMIME {
		return ErrCorrupt
	}
	m.Recipients = make([]Recipient, 0, n)
	return nil
}

// decodeRcpt fills rc from a recipient record.
func decodeRcpt(b []byte, rc *Recipient) error {
	r := reader{b: b}
	if r.byte1() != recordV1 {
		return ErrCorrupt
	}
	rc.Notify = Notify(r.byte1())
	attempts := r.uvarint()
	rc.NextAttempt = r.time()
	rc.Addr, rc.ORCPT, rc.LastReply = r.str(), r.str(), r.str()
	if r.bad || len(r.b) != 0 || attempts > 1<<32-1 {
		return ErrCorrupt
	}
	rc.Attempts = uint32(attempts)
	return nil
}
