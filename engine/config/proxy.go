package config

// <proxy NAME> (PowerMTA §10.2): an HAProxy that opens delivery
// connections from its own addresses. Volley connects to the proxy's
// server and sends a PROXY v1 header naming the source (the vMTA's
// smtp-source-host, one of the proxy's client addresses) and the
// receiver; HAProxy (`source 0.0.0.0 usesrc clientip`, `server mx
// 0.0.0.0:0`) then connects from that source to that receiver. A vMTA
// sends through the proxies of its use-proxy line, else of the global one,
// in order: the next is used only while the one before cannot be reached.

import (
	"net/netip"
	"strings"
)

// Proxy is one <proxy NAME> block.
type Proxy struct {
	Name string
	Pos  Pos
	// Server is where the proxy listens for Volley (server IP:PORT).
	Server netip.AddrPort
	// Clients are the addresses the proxy can send from (client IP[:PORT]
	// [HOSTNAME]); none: any address the vMTA names.
	Clients []ProxyClient
}

// ProxyClient is one client line: an address on the proxy host, the
// source port to ask for (0: the proxy's choice) and the host name the
// address answers to, which becomes the EHLO name ("" keeps the vMTA's).
type ProxyClient struct {
	IP   netip.Addr
	Port uint16
	Host string
}

// Client returns the client line for ip; a proxy without client lines
// sends from any address.
func (p *Proxy) Client(ip netip.Addr) (ProxyClient, bool) {
	if len(p.Clients) == 0 {
		return ProxyClient{IP: ip}, ip.IsValid()
	}
	for _, c := range p.Clients {
		if c.IP == ip.Unmap() {
			return c, true
		}
	}
	return ProxyClient{}, false
}

// FirstClient returns the proxy's first client address of a family, for
// a vMTA without a source address of that family.
func (p *Proxy) FirstClient(v4 bool) (ProxyClient, bool) {
	for _, c := range p.Clients {
		if c.IP.Is4() == v4 {
			return c, true
		}
	}
	return ProxyClient{}, false
}

// Proxy returns the named <proxy>, or nil.
func (c *Config) Proxy(name string) *Proxy { return c.proxyByName[name] }

// cServerAddr is an IP:PORT a proxy listens on. A host name is refused:
// it would be resolved once here and never again.
var cServerAddr = codec[netip.AddrPort]{
	parse: func(s string) (netip.AddrPort, error) {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 {
			return netip.AddrPort{}, errExpected("IP:PORT like 192.0.2.1:2500 or [2001:db8::1]:2500 (an address, not a host name)", s)
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	},
	format: func(a netip.AddrPort) string {
		if !a.IsValid() {
			return ""
		}
		return a.String()
	},
}

// cProxyClient parses `IP[:PORT] [HOSTNAME]` ([v6]:PORT with a port).
var cProxyClient = codec[ProxyClient]{
	parse: func(s string) (ProxyClient, error) {
		f := strings.Fields(s)
		bad := errExpected("IP[:PORT] [HOSTNAME] like 192.0.2.10 mta1.example.net", s)
		if len(f) == 0 || len(f) > 2 {
			return ProxyClient{}, bad
		}
		var c ProxyClient
		if ap, err := netip.ParseAddrPort(f[0]); err == nil {
			c.IP, c.Port = ap.Addr().Unmap(), ap.Port()
		} else if ip, err := netip.ParseAddr(f[0]); err == nil && ip.Zone() == "" {
			c.IP = ip.Unmap()
		} else {
			return ProxyClient{}, bad
		}
		if len(f) == 2 {
			c.Host = strings.ToLower(f[1])
		}
		return c, nil
	},
	format: func(c ProxyClient) string {
		s := c.IP.String()
		if c.Port != 0 {
			s = netip.AddrPortFrom(c.IP, c.Port).String()
		}
		if c.Host != "" {
			s += " " + c.Host
		}
		return s
	},
}

func (b *modelBuilder) proxy(blk *Block) {
	if !b.listBlock(blk, b.c.proxyByName[blk.Arg] != nil) {
		return
	}
	p := &Proxy{Name: blk.Arg, Pos: blk.Pos}
	b.applyAll(blk, bProxy, &target{proxy: p})
	if !p.Server.IsValid() && !hasDirective(blk, "server") { // a bad one is reported at its line
		b.problem(blk.Pos, "<proxy "+p.Name+">: expected a server IP:PORT line")
	}
	b.c.Proxies = append(b.c.Proxies, p)
	b.c.proxyByName[p.Name] = p
}

// linkProxies resolves use-proxy names, and checks that each vMTA's
// source addresses are ones at least one of its proxies can send from.
func (b *modelBuilder) linkProxies() {
	resolve := func(names []string, pos Pos, who string) []*Proxy {
		var out []*Proxy
		for _, n := range names {
			if p := b.c.proxyByName[n]; p != nil {
				out = append(out, p)
			} else {
				b.problem(pos, who+"use-proxy: unknown proxy "+quoted(n)+"; define <proxy "+n+">")
			}
		}
		return out
	}
	b.c.DefaultProxies = resolve(b.c.Global.UseProxy, b.c.Global.useProxyPos, "")
	for _, vm := range b.c.VMTAs {
		vm.Proxies = b.c.DefaultProxies
		if len(vm.UseProxy) > 0 {
			vm.Proxies = resolve(vm.UseProxy, vm.Pos, "virtual-mta "+vm.Name+": ")
		}
		for _, sh := range vm.SourceHosts {
			if len(vm.Proxies) > 0 && !anyClient(vm.Proxies, sh.IP) {
				names := make([]string, len(vm.Proxies))
				for i, p := range vm.Proxies {
					names[i] = p.Name
				}
				b.problem(vm.Pos, "virtual-mta "+vm.Name+": smtp-source-host "+sh.IP.String()+
					" is not a client of its proxies ("+strings.Join(names, ", ")+"); add `client "+
					sh.IP.String()+" "+sh.Host+"` to one of them")
			}
		}
	}
}

func anyClient(ps []*Proxy, ip netip.Addr) bool {
	for _, p := range ps {
		if _, ok := p.Client(ip); ok {
			return true
		}
	}
	return false
}

func hasDirective(blk *Block, name string) bool {
	for _, d := range blk.Directives {
		if d.Name == name {
			return true
		}
	}
	return false
}
