package config

// The Transmissions API's own listeners (PowerMTA §3.3.20-21, §10.19):
// HTTPS addresses that serve only POST /api/v1/transmissions, to clients
// that send one of the <transmissions-api> block's keys in their
// Authorization header; the management port serves it too, under its own
// http-access rules and http-api-keys.
//
//	<transmissions-api>
//	    api-key 8c6a0f3e2b1d4c5a9e7f6b3a2d1c0e9f
//	</transmissions-api>
//	<transmissions-api-listener 0/0:8443>
//	    tls-certificate /etc/volley/api.pem
//	</transmissions-api-listener>

import (
	"net/netip"
	"strings"
)

// TransmissionsAPI is the <transmissions-api> block.
type TransmissionsAPI struct {
	APIKeys     []string // api-key (repeatable)
	LogRequests bool     // a log line for each request, refused ones too
}

// TransmissionsListener is one <transmissions-api-listener IP:PORT> block.
type TransmissionsListener struct {
	Addr netip.AddrPort
	// TLSCertificate holds the PEM certificate chain and key (required),
	// encrypted with TLSPassword when one is given.
	TLSCertificate, TLSPassword string
	Pos                         Pos
}

// cLogRefusingYes is log-data / log-tls: Volley logs requests, not their
// bodies nor their handshakes.
var cLogRefusingYes = boolRefusing(true, "Volley logs the Transmissions API's requests (log-requests), not their data or TLS handshakes")

func setListenerCert(t *target, v string) error {
	return setCertLine(v, &t.tl.TLSCertificate, &t.tl.TLSPassword)
}

func getListenerCert(t *target) []string { return certLine(t.tl.TLSCertificate, t.tl.TLSPassword) }

// setCertLine parses a certificate line, FILE [PASSWORD].
func setCertLine(v string, file, password *string) error {
	f := strings.Fields(v)
	if len(f) < 1 || len(f) > 2 {
		return errExpected("FILE [PASSWORD]", v)
	}
	*file, *password = f[0], ""
	if len(f) == 2 {
		*password = f[1]
	}
	return nil
}

func certLine(file, password string) []string {
	if password != "" {
		return []string{file + " " + password}
	}
	return []string{file}
}

func (b *modelBuilder) transmissionsAPI(blk *Block) {
	b.noNested(blk)
	if blk.Arg != "" {
		b.problem(blk.Pos, "<transmissions-api> takes no argument, got "+quoted(blk.Arg))
	}
	b.applyAll(blk, bTransAPI, &target{ta: &b.c.TransmissionsAPI})
}

func (b *modelBuilder) transmissionsListener(blk *Block) {
	addr, ok := b.addrBlock(blk)
	if !ok {
		return
	}
	l := TransmissionsListener{Addr: addr, Pos: blk.Pos}
	b.applyAll(blk, bTransListener, &target{tl: &l})
	if l.TLSCertificate == "" {
		b.problem(blk.Pos, "<transmissions-api-listener "+blk.Arg+">: expected a tls-certificate line (the API is served over HTTPS only)")
	}
	b.c.TransmissionsListeners = append(b.c.TransmissionsListeners, l)
}

// checkTransmissions wants a key for clients of the listeners.
func (b *modelBuilder) checkTransmissions() {
	if ls := b.c.TransmissionsListeners; len(ls) > 0 && len(b.c.TransmissionsAPI.APIKeys) == 0 {
		b.problem(ls[0].Pos, "<transmissions-api-listener>: no client could use it: give <transmissions-api> an api-key line")
	}
}
