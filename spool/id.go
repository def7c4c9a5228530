package spool

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"time"
)

// ID identifies a spooled message: 16 bytes, big-endian, time-ordered.
// Bytes 0-7 are the Unix time in nanoseconds of its creation, made strictly
// increasing within a process; bytes 8-15 are a random tag chosen when the
// spool opens, so IDs of different runs or nodes never collide even if the
// clock steps back. Ordered by bytes, IDs are ordered by arrival.
type ID [16]byte

// String returns the ID as 32 lowercase hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Append appends the ID as String writes it, without a string of its own.
func (id ID) Append(b []byte) []byte { return hex.AppendEncode(b, id[:]) }

// Time returns when the ID was made.
func (id ID) Time() time.Time { return time.Unix(0, int64(binary.BigEndian.Uint64(id[:8]))) }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses the String form.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 32 {
		return id, errors.New("spool: message id must be 32 hex digits")
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, errors.New("spool: message id must be 32 hex digits")
	}
	return id, nil
}

// idGen makes IDs; safe for concurrent use.
type idGen struct {
	last atomic.Int64
	tag  [8]byte
}

func newIDGen() *idGen {
	g := &idGen{}
	_, _ = rand.Read(g.tag[:])
	return g
}

// next returns a fresh ID for time now.
func (g *idGen) next(now time.Time) ID {
	t := now.UnixNano()
	for {
		last := g.last.Load()
		if t <= last {
			t = last + 1
		}
		if g.last.CompareAndSwap(last, t) {
			break
		}
	}
	var id ID
	binary.BigEndian.PutUint64(id[:8], uint64(t))
	copy(id[8:], g.tag[:])
	return id
}

// MadeHere reports whether id was made by this Spool since it opened (it
// carries this run's random tag). The scan at start skips such messages:
// whoever appended them in this run has routed them already, and routing
// them twice would deliver them twice.
func (s *Spool) MadeHere(id ID) bool { return [8]byte(id[8:]) == s.ids.tag }
