// Package suppress holds Volley's suppression lists: addresses, local
// parts, domains, subdomain wildcards and digests of addresses that mail
// must not go to.
//
// Responsibility: answer "is this recipient suppressed, and by which list"
// in well under a microsecond with a million entries and without
// allocating (List.Check, Set.Check); read and write lists one entry a
// line (Import, Export, LoadList for config's <address-list> blocks,
// including PowerMTA-style MD5 and Volley's SHA-256 hashed files); keep the
// list changed at run time durable in a journal (Store), compacted as it
// grows. Addresses are compared lower-cased, and digests are of the
// lower-cased address.
//
// Not responsible for: deciding when to check (injection drops a
// suppressed recipient with a b record of category suppressed; delivery
// checks again before each attempt), adding hard bounces and complaints
// (the outcome stage calls Store.Add), /RE/ patterns of an <address-list>
// (the caller keeps them), sharing lists between nodes.
//
// Concurrency: Check on a List or Set is safe from any goroutine, takes
// no lock and never waits for a writer: a List publishes immutable
// snapshots through an atomic pointer (see tiers). Writers (List.Add,
// Remove, Import, and the Store's) serialise on a mutex. A Set is
// immutable. Store methods block on fsync and belong on helper
// goroutines, never on a shard's loop.
//
// Failure behaviour: a bad line in an imported file is counted and
// reported with its number, and the other lines are imported. A Store
// acknowledges a change only once its journal record is fsynced; a failed
// write is cut back so the journal stays whole, and a journal that cannot
// be cut refuses further changes (Unhealthy says why). A crash may leave
// an incomplete last record, which OpenStore drops with a Note. A
// malformed complete record is an error at open, since dropping it could
// deliver to an address that was suppressed.
package suppress
