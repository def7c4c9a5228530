package queue

import (
	"strings"
)

// Key names a queue the way PowerMTA shows it, domain/vmta.
type Key struct {
	// Domain is the routing domain: the recipient's domain, lower case.
	Domain string
	// VMTA is the virtual MTA or pool the message was injected for ("" for
	// the default).
	VMTA string
}

// String returns "domain/vmta", PowerMTA's queue name.
func (k Key) String() string { return k.Domain + "/" + k.VMTA }

// KeyFor returns the queue key of recipient addr for a message injected
// for vmta. It allocates only when the domain has upper-case letters.
func KeyFor(addr, vmta string) Key {
	domain := ""
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		domain = strings.ToLower(addr[at+1:])
	}
	return Key{Domain: domain, VMTA: vmta}
}

// Owner returns the shard, 0 to shards-1, that owns key's queue: FNV-1a of
// domain and vMTA, so every producer agrees without talking to the others.
func Owner(k Key, shards int) int {
	if shards <= 1 {
		return 0
	}
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(k.Domain); i++ {
		h = (h ^ uint64(k.Domain[i])) * prime
	}
	h = (h ^ '/') * prime
	for i := 0; i < len(k.VMTA); i++ {
		h = (h ^ uint64(k.VMTA[i])) * prime
	}
	return int(h % uint64(shards))
}
