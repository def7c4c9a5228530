package suppress

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// List is one named suppression list. Check is safe from any goroutine at
// any time and takes no lock; Add and Remove take a writers' mutex and
// publish a new snapshot (see tiers).
type List struct {
	name      string
	journaled bool       // set by OpenStore: Add and Remove go through the Store
	mu        sync.Mutex // serialises writers; readers never take it
	cur       atomic.Pointer[snapshot]
}

// snapshot is one immutable state of a List.
type snapshot struct {
	kinds [kindCount]tiers
	n     [kindCount]int // present entries per kind
}

// NewList returns an empty list.
func NewList(name string) *List {
	l := &List{name: name}
	l.cur.Store(&snapshot{})
	return l
}

// Name returns the list's name.
func (l *List) Name() string { return l.name }

// Len returns the number of entries.
func (l *List) Len() int {
	s := l.cur.Load()
	n := 0
	for _, c := range s.n {
		n += c
	}
	return n
}

// LenKind returns the number of entries of kind k.
func (l *List) LenKind(k Kind) int {
	if k >= kindCount {
		return 0
	}
	return l.cur.Load().n[k]
}

// Match says why an address is suppressed: the list and the kind of entry
// that matched it.
type Match struct {
	List string
	Kind Kind
}

func (m Match) String() string { return m.List + " (" + m.Kind.String() + ")" }

// Check reports whether addr is on the list. addr is trimmed, stripped of
// angle brackets and lower-cased first. When several entries match, the
// first kind in Kind's order is reported. Check does not allocate for an
// ASCII address of up to 256 bytes.
func (l *List) Check(addr string) (Match, bool) {
	var p probe
	p.init(addr)
	if k, ok := l.check(&p); ok {
		return Match{List: l.name, Kind: k}, true
	}
	return Match{}, false
}

// Has reports whether the list holds e itself (not whether e's address
// would match through another entry).
func (l *List) Has(e Entry) bool {
	e, err := NewEntry(e.Kind, e.Value)
	if err != nil {
		return false
	}
	return l.cur.Load().kinds[e.Kind].has([]byte(keyOf(e)))
}

// keyOf returns e's key in its tiers: the value, or a digest's raw bytes.
// e is valid.
func keyOf(e Entry) string {
	if e.Kind == KindSHA256 || e.Kind == KindMD5 {
		d, _ := hex.DecodeString(e.Value)
		return string(d)
	}
	return e.Value
}

// check looks p up in the current snapshot, cheapest kinds first; digests
// are computed only when the list holds entries of their kind.
func (l *List) check(p *probe) (Kind, bool) {
	s := l.cur.Load()
	a := p.addr()
	if len(a) == 0 {
		return 0, false
	}
	if s.n[KindAddress] > 0 && s.kinds[KindAddress].has(a) {
		return KindAddress, true
	}
	if p.at >= 0 {
		if s.n[KindLocalPart] > 0 && s.kinds[KindLocalPart].has(a[:p.at]) {
			return KindLocalPart, true
		}
		dom := a[p.at+1:]
		if s.n[KindDomain] > 0 && s.kinds[KindDomain].has(dom) {
			return KindDomain, true
		}
		if s.n[KindSubdomain] > 0 {
			for i, c := range dom {
				if c == '.' && s.kinds[KindSubdomain].has(dom[i+1:]) {
					return KindSubdomain, true
				}
			}
		}
	}
	if s.n[KindSHA256] > 0 {
		sum := p.sha256()
		if s.kinds[KindSHA256].has(sum[:]) {
			return KindSHA256, true
		}
	}
	if s.n[KindMD5] > 0 {
		sum := p.md5()
		if s.kinds[KindMD5].has(sum[:]) {
			return KindMD5, true
		}
	}
	return 0, false
}

// probeBuf is the stack buffer probe lower-cases into; longer addresses
// take the allocating path.
const probeBuf = 256

// probe is an address normalised once for checks against several lists,
// with its digests computed on first use. It lives on the caller's stack;
// it keeps a length rather than a slice of its own buffer, since a
// pointer into itself would move it to the heap.
type probe struct {
	buf    [probeBuf]byte
	n      int    // length of the address in buf
	long   []byte // the address instead, when not ASCII or longer than buf
	at     int    // index of the last '@', or -1
	sum256 [sha256.Size]byte
	sumMD5 [md5.Size]byte
	has256 bool
	hasMD5 bool
}

// init normalises addr as NewEntry does: trimmed, one pair of angle
// brackets removed, lower-cased (ASCII in place on the stack, anything
// else through strings.ToLower, which allocates).
func (p *probe) init(addr string) {
	s := trimAddress(addr)
	ascii := len(s) <= probeBuf
	for i := 0; i < len(s) && ascii; i++ {
		c := s[i]
		if c >= 0x80 {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		p.buf[i] = c
	}
	if ascii {
		p.n = len(s)
	} else {
		p.long = []byte(strings.ToLower(s))
	}
	a := p.addr()
	p.at = -1
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == '@' {
			p.at = i
			break
		}
	}
}

// addr returns the normalised address; it points into p.
func (p *probe) addr() []byte {
	if p.long != nil {
		return p.long
	}
	return p.buf[:p.n]
}

func (p *probe) sha256() [sha256.Size]byte {
	if !p.has256 {
		p.sum256, p.has256 = sha256.Sum256(p.addr()), true
	}
	return p.sum256
}

func (p *probe) md5() [md5.Size]byte {
	if !p.hasMD5 {
		p.sumMD5, p.hasMD5 = md5.Sum(p.addr()), true
	}
	return p.sumMD5
}

// Add adds entries, normalising each as NewEntry does, and returns how
// many were not yet on the list. If any entry is invalid nothing is added.
// Add is for lists without a Store; a Store's list changes through the
// Store only, so that every change is in its journal.
func (l *List) Add(entries ...Entry) (int, error) {
	return l.change(entries, true)
}

// Remove removes entries and returns how many were on the list. If any
// entry is invalid nothing is removed.
func (l *List) Remove(entries ...Entry) (int, error) {
	return l.change(entries, false)
}

// newBatch validates entries and returns their changes by kind.
func newBatch(entries []Entry, add bool) (*[kindCount][]change, error) {
	b := new([kindCount][]change)
	for _, e := range entries {
		e, err := NewEntry(e.Kind, e.Value)
		if err != nil {
			return nil, err
		}
		b[e.Kind] = append(b[e.Kind], change{keyOf(e), add})
	}
	return b, nil
}

// ErrJournaled is returned by Add and Remove on a Store's list, which
// changes through Store.Add and Store.Remove only.
var ErrJournaled = errors.New("suppress: the list changes through its Store")

func (l *List) change(entries []Entry, add bool) (int, error) {
	if l.journaled {
		return 0, ErrJournaled
	}
	return l.changeUnjournaled(entries, add)
}

func (l *List) changeUnjournaled(entries []Entry, add bool) (int, error) {
	b, err := newBatch(entries, add)
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.applyLocked(b, add), nil
}

// applyLocked publishes a snapshot with b applied; l.mu is held.
func (l *List) applyLocked(b *[kindCount][]change, add bool) int {
	s := *l.cur.Load()
	total := 0
	for k, cs := range b {
		if len(cs) == 0 {
			continue
		}
		var n int
		s.kinds[k], n = s.kinds[k].apply(cs)
		if add {
			s.n[k] += n
		} else {
			s.n[k] -= n
		}
		total += n
	}
	l.cur.Store(&s)
	return total
}

// All returns every entry in a stable order: by kind, then by value.
// It sorts a copy of the snapshot taken when called, so it costs a slice
// of all entries.
func (l *List) All() iter.Seq[Entry] {
	s := l.cur.Load()
	return func(yield func(Entry) bool) {
		for k := range s.kinds {
			keys := make([]string, 0, s.n[k])
			s.kinds[k].each(func(v string) { keys = append(keys, v) })
			slices.Sort(keys) // raw digests sort as their hex does
			for _, v := range keys {
				if Kind(k) == KindSHA256 || Kind(k) == KindMD5 {
					v = hex.EncodeToString([]byte(v))
				}
				if !yield(Entry{Kind: Kind(k), Value: v}) {
					return
				}
			}
		}
	}
}
