package config

// <dns> (PowerMTA §10.13): domains whose mail exchangers are kept resolved
// ahead of need, so that the first message to each after a start or an
// expiry does not wait for DNS.
//
//	<dns>
//	    precached-domains-file /etc/volley/precache.txt   # one domain a line
//	    precached-max-domains 500
//	    precached-refresh-interval 5m
//	</dns>

import "time"

// DNS is the <dns> block.
type DNS struct {
	PrecachedDomainsFile     string
	PrecachedMaxDomains      int           // default 500
	PrecachedRefreshInterval time.Duration // default 5m
}

func defaultDNS() DNS {
	return DNS{PrecachedMaxDomains: 500, PrecachedRefreshInterval: 5 * time.Minute}
}

func (b *modelBuilder) dnsBlock(blk *Block) {
	b.noNested(blk)
	if blk.Arg != "" {
		b.problem(blk.Pos, "<dns> takes no argument, got "+quoted(blk.Arg))
	}
	b.applyAll(blk, bDNS, &target{dns: &b.c.DNS})
	if b.c.DNS.PrecachedMaxDomains <= 0 || b.c.DNS.PrecachedRefreshInterval <= 0 {
		b.problem(blk.Pos, "<dns>: precached-max-domains and precached-refresh-interval must be above 0")
	}
}
