package msgauth

import (
	"context"
	"net"
	"strings"
)

// mapResolver answers from maps, as a zone would: TXT by name (no trailing
// dot), NXDOMAIN for the rest.
type mapResolver struct {
	txt map[string][]string
	ip  map[string][]net.IPAddr
	ptr map[string][]string // by address; "!temp" answers SERVFAIL
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r mapResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r.txt[strings.TrimSuffix(name, ".")]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (r mapResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, notFound(name)
}

func (r mapResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if v, ok := r.ip[strings.TrimSuffix(host, ".")]; ok {
		return v, nil
	}
	return nil, notFound(host)
}

func (r mapResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	v, ok := r.ptr[addr]
	switch {
	case !ok:
		return nil, notFound(addr)
	case len(v) == 1 && v[0] == "!temp":
		return nil, &net.DNSError{Err: "server misbehaving", Name: addr, IsTemporary: true}
	}
	return v, nil
}
