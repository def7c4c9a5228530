package suppress

import (
	"bytes"
	"hash/maphash"
)

// frozen is an immutable set of byte strings, the base of a kind's tiers.
// Keys sit back to back in one arena, each after a two-byte length; an
// open-addressing table (linear probing) holds, per used slot, a 24-bit
// fingerprint of the key's hash and its arena offset plus one (0 marks an
// empty slot). Neither slice holds pointers, so the garbage collector
// never scans a million keys, and the set takes about 40 bytes per
// address where a map[string]struct{} with its strings takes 90.
type frozen struct {
	seed  maphash.Seed // per set, so lookups cannot be aimed at one chain
	slots []uint64     // fingerprint<<offsetBits | (offset+1); len a power of two
	arena []byte
	n     int
}

const (
	offsetBits = 40 // arenas up to 1 TiB
	offsetMask = 1<<offsetBits - 1
	// maxLoad is the highest share of used slots, as num/den: linear
	// probing stays at a few probes, mostly within one cache line.
	maxLoadNum, maxLoadDen = 7, 10
)

// has reports whether key is in f (nil is empty).
func (f *frozen) has(key []byte) bool {
	if f == nil || f.n == 0 {
		return false
	}
	h := maphash.Bytes(f.seed, key)
	fp := h >> offsetBits
	mask := uint64(len(f.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := f.slots[i]
		if s == 0 {
			return false
		}
		if s>>offsetBits == fp && bytes.Equal(f.key(s&offsetMask-1), key) {
			return true
		}
	}
}

// key returns the key stored at arena offset off; it points into the arena.
func (f *frozen) key(off uint64) []byte {
	n := uint64(f.arena[off])<<8 | uint64(f.arena[off+1])
	return f.arena[off+2 : off+2+n]
}

// each calls fn for every key in insertion order; the slice points into
// the arena.
func (f *frozen) each(fn func(key []byte)) {
	if f == nil {
		return
	}
	for off := uint64(0); off < uint64(len(f.arena)); {
		k := f.key(off)
		fn(k)
		off += 2 + uint64(len(k))
	}
}

// merge returns a new set: f's keys except those over maps to false,
// plus those it maps to true, with room to add up to extraN keys of
// extraBytes in all.
func (f *frozen) merge(over map[string]bool, extraN, extraBytes int) *frozen {
	maxN, arena := extraN, extraBytes
	if f != nil {
		maxN, arena = maxN+f.n, arena+len(f.arena)
	}
	for k, v := range over {
		if v {
			maxN++
			arena += 2 + len(k)
		}
	}
	out := newFrozen(maxN, arena)
	f.each(func(k []byte) {
		if v, ok := over[string(k)]; !ok || v {
			out.add(k)
		}
	})
	for k, v := range over {
		if v && !f.has([]byte(k)) {
			out.add([]byte(k))
		}
	}
	return out
}

// newFrozen returns an empty set sized for up to n keys in arena bytes.
func newFrozen(n, arena int) *frozen {
	size := 8
	for size*maxLoadNum < n*maxLoadDen {
		size *= 2
	}
	return &frozen{
		seed:  maphash.MakeSeed(),
		slots: make([]uint64, size),
		arena: make([]byte, 0, arena),
	}
}

// add inserts key, which must be absent and at most 65535 bytes long,
// into a set being built (has works meanwhile); the table must have room
// for it.
func (f *frozen) add(key []byte) {
	off := uint64(len(f.arena))
	f.arena = append(f.arena, byte(len(key)>>8), byte(len(key)))
	f.arena = append(f.arena, key...)
	h := maphash.Bytes(f.seed, key)
	mask := uint64(len(f.slots) - 1)
	i := h & mask
	for f.slots[i] != 0 {
		i = (i + 1) & mask
	}
	f.slots[i] = h>>offsetBits<<offsetBits | (off + 1)
	f.n++
}
