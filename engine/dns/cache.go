package dns

import (
	"net/netip"
	"sync"
	"time"
)

// kind says what a cache entry holds for its name.
type kind uint8

const (
	kindMX   kind = iota // a Route (LookupMX)
	kindAddr             // a host's addresses (LookupAddrs, and each MX host)
	kindCount
)

func (k kind) String() string {
	switch k {
	case kindMX:
		return "MX"
	case kindAddr:
		return "A/AAAA"
	}
	return "kind?"
}

// key identifies a cache entry: a canonical name and what was asked.
type key struct {
	name string
	kind kind
}

// entry is the outcome of one lookup: a route, addresses or an error, and
// when it expires. Once published (to the cache or to the callers waiting
// on a flight) it is immutable and shared, except prev and next, which
// belong to the cache and are guarded by cache.mu.
type entry struct {
	key     key
	route   Route        // kindMX, when err is nil
	addrs   []netip.Addr // kindAddr, when err is nil
	err     error        // an *Error, or nil
	expires time.Time

	// local marks an outcome that the leader's context cut short: it is
	// returned to that caller only, never cached, and whoever waited on it
	// asks again.
	local bool

	prev, next *entry // insertion order in the cache; guarded by cache.mu
}

// cache maps keys to entries that have not expired. It holds at most max
// entries; inserting beyond that evicts the oldest insertion. Expired
// entries are not swept: a later put replaces them or eviction reaps them,
// and get ignores them.
//
// A plain map behind an RWMutex is enough here: hits take the read lock
// only, the resolver runs on helper goroutines rather than on shard loops,
// and misses cost a network round trip that dwarfs any locking. An LRU
// would keep hot domains longer under pressure, at the price of a write
// lock on every hit; oldest-first is what was asked for and is cheap.
type cache struct {
	mu   sync.RWMutex
	m    map[key]*entry // guarded by mu
	root entry          // sentinel of the insertion-order ring: root.next is the oldest; guarded by mu
	max  int            // set once by init
}

func (c *cache) init(max int) {
	c.max = max
	c.m = make(map[key]*entry)
	c.root.prev, c.root.next = &c.root, &c.root
}

// get returns the entry for k if it is still valid at now. It does not
// allocate.
func (c *cache) get(k key, now time.Time) (*entry, bool) {
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		return nil, false
	}
	return e, true
}

// put stores e under e.key, replacing an older entry and evicting the
// oldest when full.
func (c *cache) put(e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[e.key]; old != nil {
		c.unlink(old)
	} else if len(c.m) >= c.max {
		oldest := c.root.next
		c.unlink(oldest)
		delete(c.m, oldest.key)
	}
	c.m[e.key] = e
	e.prev, e.next = c.root.prev, &c.root
	c.root.prev.next = e
	c.root.prev = e
}

func (c *cache) unlink(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

// forget drops every entry for name.
func (c *cache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := kind(0); k < kindCount; k++ {
		if e := c.m[key{name, k}]; e != nil {
			c.unlink(e)
			delete(c.m, e.key)
		}
	}
}

// flush drops every entry.
func (c *cache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.root.prev, c.root.next = &c.root, &c.root
}

// len reports the number of entries, expired ones included.
func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
