package suppress

import (
	"maps"
)

// Overlay levels. An Add copies level 0; every levelMax(0) adds copy
// level 1, and so on down to the base, so one add costs about
// levelMax(0) + Σ levelMax(i+1)/levelMax(i) + base/levelMax(last) map
// slots: with a million entries, a few microseconds (BenchmarkAdd). Each
// level costs a reader one lookup in a small, cache-warm map.
const (
	levels          = 3
	level0Max       = 64
	levelGrowthLog2 = 5
)

// levelMax returns how many keys level i holds before it folds: 64, 2048,
// 65536.
func levelMax(i int) int { return level0Max << (levelGrowthLog2 * i) }

// tiers is one kind's entries as immutable parts: overlay levels, newest
// first, mapping a key to true (added) or false (removed, hiding an older
// level or the base), and a frozen base holding the rest. A reader looks
// through them in order; the first that has the key decides. Keys are
// the entry's value, or for a digest its raw bytes.
//
// Writers never change a published part. They clone level 0 (small) for
// each change and fold a level into a clone of the next when it outgrows
// levelMax, the last one into a new base. A reader therefore sees whole
// snapshots without a lock, and a million-entry base is rebuilt once per
// 65,536 adds. The rejected alternatives: one map copied on every write
// costs milliseconds per add at a million entries; a mutable map behind
// a read lock puts a shared cache line under every shard's check.
type tiers struct {
	level [levels]map[string]bool
	base  *frozen
}

// has reports whether key is present. The m[string(key)] form looks up
// without allocating.
func (t *tiers) has(key []byte) bool {
	for _, m := range t.level {
		if len(m) > 0 {
			if v, ok := m[string(key)]; ok {
				return v
			}
		}
	}
	return t.base.has(key)
}

// hasFrom reports whether k is present in the levels from on and the base.
func (t *tiers) hasFrom(from int, k string) bool {
	for _, m := range t.level[from:] {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return t.base.has([]byte(k))
}

// change is one key to add (add true) or remove.
type change struct {
	key string
	add bool
}

// apply returns t with changes made (t itself is not modified) and the
// number of keys whose presence changed. A batch as large as the last
// level goes straight into a new base.
func (t tiers) apply(changes []change) (tiers, int) {
	if len(changes) >= levelMax(levels-1) {
		return t.rebuild(changes)
	}
	top := maps.Clone(t.level[0])
	if top == nil {
		top = make(map[string]bool, len(changes))
	}
	n := 0
	for _, c := range changes {
		below := t.hasFrom(1, c.key)
		cur, inTop := top[c.key]
		if !inTop {
			cur = below
		}
		if cur == c.add {
			continue
		}
		n++
		if c.add == below {
			delete(top, c.key) // the older levels already say so
		} else {
			top[c.key] = c.add
		}
	}
	t.level[0] = top
	for i := range levels {
		if len(t.level[i]) > levelMax(i) {
			t.fold(i)
		}
	}
	return t, n
}

// fold moves level i into a copy of level i+1, or into a new base for the
// last level, and empties it.
func (t *tiers) fold(i int) {
	src := t.level[i]
	t.level[i] = nil
	if i+1 == levels {
		t.base = t.base.merge(src, 0, 0)
		return
	}
	dst := maps.Clone(t.level[i+1])
	if dst == nil {
		dst = make(map[string]bool, len(src))
	}
	for k, v := range src {
		if v || t.hasFrom(i+2, k) {
			dst[k] = v
		} else {
			delete(dst, k) // nothing older to hide
		}
	}
	t.level[i+1] = dst
}

// rebuild merges every level and the changes, which all add or all
// remove (as newBatch makes them), into a new base.
func (t tiers) rebuild(changes []change) (tiers, int) {
	over := map[string]bool{}
	for i := levels - 1; i >= 0; i-- {
		for k, v := range t.level[i] {
			over[k] = v
		}
		t.level[i] = nil
	}
	n := 0
	if !changes[0].add {
		for _, c := range changes {
			cur, ok := over[c.key]
			if !ok {
				cur = t.base.has([]byte(c.key))
			}
			if cur {
				n++
				over[c.key] = false
			}
		}
		t.base = t.base.merge(over, 0, 0)
		return t, n
	}
	// Adds go straight into the new base, which answers has while built.
	size := 0
	for _, c := range changes {
		size += 2 + len(c.key)
	}
	base := t.base.merge(over, len(changes), size)
	for _, c := range changes {
		if k := []byte(c.key); !base.has(k) {
			base.add(k)
			n++
		}
	}
	t.base = base
	return t, n
}

// each calls fn for every present key, in no order.
func (t *tiers) each(fn func(string)) {
	// A key counts in the newest part that has it.
	shadowed := func(upto int, k string) bool {
		for _, m := range t.level[:upto] {
			if _, ok := m[k]; ok {
				return true
			}
		}
		return false
	}
	for i, m := range t.level {
		for k, v := range m {
			if v && !shadowed(i, k) {
				fn(k)
			}
		}
	}
	t.base.each(func(k []byte) {
		if !shadowed(levels, string(k)) {
			fn(string(k))
		}
	})
}
