// Package dns resolves delivery routes: a recipient domain's MX hosts and
// their addresses, cached by TTL, for outbound delivery (DESIGN.md, step 5).
//
// Responsibility: LookupMX turns a domain into a Route: MX hosts ordered
// by preference with their A and AAAA addresses, the implicit MX of a
// domain without MX records, a null MX, or an error that says whether the
// failure is permanent (ErrNoSuchDomain, ErrNoAddress) or temporary
// (ErrTemporary). LookupAddrs resolves hosts named directly (smtp-hosts);
// ParseLiteral reads IP literals, which need no DNS. Answers are cached
// until their TTL runs out, failures briefly, and concurrent lookups of a
// name share one set of queries. Queries go over UDP with EDNS0, retried
// over TCP when truncated, to each configured name server in turn.
//
// Not responsible for: recursion (the name servers are recursive
// resolvers: unbound, the system's); DNSSEC validation and DANE (use-dane
// will need the AD bit or a validating resolver; not done yet); IDNA
// (callers pass A-labels); MX rollups and the choice of host, address
// family or source IP (engine/queue and engine/outbound decide, from
// Route); SPF, DKIM and DMARC TXT lookups (engine/msgauth); reading the
// configuration (the caller turns name-server directives into Options).
//
// Concurrency: a Resolver is safe for concurrent use by any number of
// goroutines, and starts none of its own. Lookups block on the network
// for up to Options.Timeout per server and attempt, bounded by the
// caller's context, so they run on helper goroutines that post results
// back to the shard's inbox, never on a shard loop (STYLE.md §4). The
// cache is a map behind an RWMutex (hits take only the read lock and do
// not allocate); in-flight lookups are coalesced under a mutex. Routes,
// host lists and address slices are shared by the cache and all callers,
// and are read-only.
//
// Standards: RFC 1035 (messages; TC and TCP retry), RFC 2181 §8 (TTLs),
// RFC 2308 (negative caching from the SOA), RFC 4343 (case), RFC 5321
// §5.1 (MX order, implicit MX) and §4.1.3 (address literals), RFC 5452
// (ID and question matching), RFC 6604 (rcode after CNAMEs), RFC 6891
// (EDNS0, 1232-byte payload as DNS Flag Day 2020), RFC 7505 (null MX),
// RFC 7766 (TCP).
//
// Failure behaviour: a server that times out, refuses the connection or
// answers SERVFAIL, REFUSED, NOTIMP or a referral is skipped for the next
// one; when none answers, the lookup fails with ErrTemporary and that
// failure is cached for 5 s so a broken domain does not storm the
// servers. NXDOMAIN is ErrNoSuchDomain; it and NODATA are cached for the
// SOA's negative TTL, kept between 5 s and 5 min. Positive answers are
// cached for their TTL, capped at a day; a TTL of 0 is honoured (asked
// again next time, though concurrent lookups still share one query). MX hosts without
// addresses are skipped; if none has one, the lookup fails with
// ErrTemporary when any host's lookup failed temporarily, else with
// ErrNoAddress (every host gave a definite NXDOMAIN or NODATA; the
// caller's bounce-upon-no-mx policy decides between bouncing and waiting).
// A lookup cut short by its caller's context returns ErrTemporary wrapping
// the context's error and is not cached; callers that were waiting on it
// ask again. The cache holds at most Options.MaxCacheEntries and evicts
// the oldest insertion.
package dns
