// Package msgauth authenticates mail the way receivers will judge it: it
// signs outgoing messages with DKIM (RFC 6376, RSA-SHA256 and Ed25519-SHA256
// of RFC 8463), checks incoming ones (DKIM, SPF of RFC 7208, DMARC of RFC
// 7489) into an Authentication-Results header (RFC 8601), and, through its
// arc sub-package, validates and extends ARC chains (RFC 8617).
//
// Signing and sealing happen once per message, before the spool commit, off
// the shard loops (an RSA-2048 signature costs about a millisecond): the
// engine runs this package on its preparation workers. DKIM uses
// github.com/emersion/go-msgauth, SPF blitiri.com.ar/go/spf; both take their
// DNS through a Resolver the engine points at the configured name servers.
package msgauth
