package engine

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/config"
)

// reloader loads the config again (SIGHUP, `volley reload`) and applies
// live vMTA changes (PUT/DELETE /api/v1/vmtas/NAME). Each change builds a
// whole new Config from the file plus the live vMTAs; only a config
// without problems is put in force, else the one running stays and the
// problems are returned (PowerMTA's reload does the same). Live vMTAs
// outlive reloads; they are not written to the file, so a restart drops
// them (write them into the file to keep them).
type reloader struct {
	mu sync.Mutex
	// path is the config file ("" for the embedded default).
	path     string
	loaded   time.Time
	reloads  int
	problems []string
	// live are the vMTAs created or replaced through the API, as config
	// blocks, by name; removed names the file's vMTAs deleted through it.
	live    map[string]*config.Block
	removed map[string]bool
	// apply puts a built config in force everywhere.
	apply func(*config.Config) error
}

// build parses the file, swaps in the live vMTAs, builds the model and
// loads its DKIM keys.
func (rl *reloader) build() (*config.Config, []config.Problem) {
	var root *config.Block
	var probs []config.Problem
	if rl.path == "" {
		root, probs = config.Parse("default.conf", []byte(config.DefaultText))
	} else {
		root, probs = config.ParseFile(rl.path)
	}
	if len(probs) > 0 || root == nil {
		return nil, probs
	}
	root.Blocks = slices.DeleteFunc(root.Blocks, func(b *config.Block) bool {
		name := strings.ToLower(b.Arg)
		return b.Kind == "virtual-mta" && (rl.live[name] != nil || rl.removed[name])
	})
	for _, b := range rl.live {
		root.Blocks = append(root.Blocks, b)
	}
	cfg, probs := config.Build(root)
	if cfg != nil {
		if probs = cfg.LoadKeys(); len(probs) > 0 {
			return nil, probs
		}
	}
	return cfg, probs
}

// reload builds and applies the config; it answers what happened.
func (rl *reloader) reload(old *config.Config) api.Reload {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.rebuild(old)
}

// rebuild is reload with mu held.
func (rl *reloader) rebuild(old *config.Config) api.Reload {
	cfg, probs := rl.build()
	if len(probs) > 0 {
		r := api.Reload{}
		for _, p := range probs {
			r.Problems = append(r.Problems, p.Error())
		}
		rl.problems = r.Problems
		return r
	}
	if err := rl.apply(cfg); err != nil {
		rl.problems = []string{err.Error()}
		return api.Reload{Problems: rl.problems}
	}
	rl.loaded, rl.problems = time.Now(), nil
	rl.reloads++
	return api.Reload{OK: true, Restart: needsRestart(old, cfg)}
}

// putVMTA creates or replaces a live vMTA from its directives, checked as
// the config file is; on problems nothing changes.
func (rl *reloader) putVMTA(old *config.Config, name string, directives []string) api.Reload {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || strings.ContainsAny(name, " \t<>/") {
		return api.Reload{Problems: []string{fmt.Sprintf("bad virtual-mta name %q", name)}}
	}
	text := "<virtual-mta " + name + ">\n" + strings.Join(directives, "\n") + "\n</virtual-mta>\n"
	for _, d := range directives {
		if strings.ContainsAny(d, "<>\n\r") {
			return api.Reload{Problems: []string{fmt.Sprintf("directive %q: one directive per entry, no blocks", d)}}
		}
	}
	blk, probs := config.Parse("api:virtual-mta "+name, []byte(text))
	if len(probs) > 0 {
		r := api.Reload{}
		for _, p := range probs {
			r.Problems = append(r.Problems, p.Error())
		}
		return r
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	prevLive, prevRemoved := rl.live[name], rl.removed[name]
	rl.live[name] = blk.Blocks[0]
	delete(rl.removed, name)
	r := rl.rebuild(old)
	if !r.OK {
		rl.restore(name, prevLive, prevRemoved)
	}
	return r
}

// deleteVMTA removes a vMTA (live or from the file); a pool or domain
// that still names it makes the change fail with the config's problems.
func (rl *reloader) deleteVMTA(old *config.Config, name string) api.Reload {
	name = strings.ToLower(strings.TrimSpace(name))
	if old.VMTA(name) == nil {
		return api.Reload{Problems: []string{fmt.Sprintf("no virtual-mta %q", name)}}
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	prevLive, prevRemoved := rl.live[name], rl.removed[name]
	delete(rl.live, name)
	rl.removed[name] = true
	r := rl.rebuild(old)
	if !r.OK {
		rl.restore(name, prevLive, prevRemoved)
	}
	return r
}

func (rl *reloader) restore(name string, live *config.Block, removed bool) {
	if live != nil {
		rl.live[name] = live
	} else {
		delete(rl.live, name)
	}
	if removed {
		rl.removed[name] = true
	} else {
		delete(rl.removed, name)
	}
}

func (rl *reloader) isLive(name string) bool {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.live[strings.ToLower(name)] != nil
}

func (rl *reloader) info() api.ConfigInfo {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return api.ConfigInfo{File: rl.path, Loaded: rl.loaded, Reloads: rl.reloads, Problems: rl.problems}
}

// needsRestart names the settings that changed but are read only at
// start: the listeners and sockets, the spool, the shards, accounting
// files, the pickup directory and the name servers.
func needsRestart(old, cfg *config.Config) []string {
	var out []string
	o, n := &old.Global, &cfg.Global
	listeners := func(g *config.Global) []string {
		var s []string
		for _, l := range g.Listeners {
			s = append(s, l.Addr.String()+" "+l.Source)
		}
		return s
	}
	spools := func(c *config.Config) []string {
		var s []string
		for _, sp := range c.Spools {
			s = append(s, sp.Dir)
		}
		return s
	}
	accts := func(c *config.Config) []string {
		var s []string
		for _, a := range c.AcctFiles {
			s = append(s, fmt.Sprintf("%+v", *a))
		}
		return s
	}
	addrs := func(a []netip.AddrPort) []string {
		var s []string
		for _, x := range a {
			s = append(s, x.String())
		}
		return s
	}
	check := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	check("smtp-listener", !slices.Equal(listeners(o), listeners(n)))
	check("spool", !slices.Equal(spools(old), spools(cfg)))
	check("shards", o.Shards != n.Shards)
	check("io-engine", o.IOEngine != n.IOEngine)
	check("http-mgmt-port", o.HTTPMgmtPort != n.HTTPMgmtPort || o.HTTPMgmtListen != n.HTTPMgmtListen)
	check("acct-file", !slices.Equal(accts(old), accts(cfg)))
	check("pickup", o.Pickup != n.Pickup)
	check("name-server", !slices.Equal(addrs(o.NameServers), addrs(n.NameServers)))
	check("total-max-smtp-out", o.TotalMaxSMTPOut != n.TotalMaxSMTPOut)
	return out
}

// Reload loads the config file again and puts it in force (SIGHUP,
// `volley reload`): new connections and the queues' next decisions use
// it; open connections finish on the old one. A config with problems is
// refused and the old one keeps running.
func (rn *Running) Reload(ctx context.Context) api.Reload {
	r := rn.reloader.reload(rn.snap.Current())
	rn.logReload("reload", r)
	return r
}

// PutVMTA creates or replaces a virtual MTA live (the 6.0 management API).
func (rn *Running) PutVMTA(name string, spec api.VMTASpec) api.Reload {
	r := rn.reloader.putVMTA(rn.snap.Current(), name, spec.Directives)
	rn.logReload("virtual-mta "+name+" set", r)
	return r
}

// DeleteVMTA removes a virtual MTA live.
func (rn *Running) DeleteVMTA(name string) api.Reload {
	r := rn.reloader.deleteVMTA(rn.snap.Current(), name)
	rn.logReload("virtual-mta "+name+" deleted", r)
	return r
}

func (rn *Running) logReload(what string, r api.Reload) {
	switch {
	case !r.OK:
		rn.logf("volleyd: %s refused, the config in force stays: %s", what, strings.Join(r.Problems, "; "))
	case len(r.Restart) > 0:
		rn.logf("volleyd: %s done; these changes take effect at the next restart: %s", what, strings.Join(r.Restart, ", "))
	default:
		rn.logf("volleyd: %s done", what)
	}
}

func (rn *Running) configInfo() api.ConfigInfo { return rn.reloader.info() }

// VMTAs lists the virtual MTAs and pools with their queues' sums.
func (rn *Running) VMTAs(ctx context.Context) ([]api.VMTA, error) {
	qs, err := rn.Queues(ctx, api.QueueFilter{})
	if err != nil {
		return nil, err
	}
	cfg := rn.snap.Current()
	var out []api.VMTA
	index := map[string]int{}
	for _, v := range cfg.VMTAs {
		a := api.VMTA{Name: v.Name, MaxSMTPOut: v.MaxSMTPOut, Live: rn.reloader.isLive(v.Name)}
		if !v.MaxSMTPMsgRate.Unlimited() {
			a.MaxSMTPMsgRate = v.MaxSMTPMsgRate.String()
		}
		for _, h := range v.SourceHosts {
			a.Sources = append(a.Sources, api.Source{IP: h.IP.String(), Host: h.Host})
		}
		index[strings.ToLower(v.Name)] = len(out)
		out = append(out, a)
	}
	for _, p := range cfg.Pools {
		a := api.VMTA{Name: p.Name, Pool: true, MaxSMTPOut: p.MaxSMTPOut}
		for _, m := range p.Members {
			a.Members = append(a.Members, m.Name)
		}
		index[strings.ToLower(p.Name)] = len(out)
		out = append(out, a)
	}
	for _, q := range qs {
		i, ok := index[strings.ToLower(q.VMTA)]
		if !ok {
			continue
		}
		out[i].Queues++
		out[i].Recipients += q.Recipients
		out[i].Connections += q.Connections
	}
	return out, nil
}

// VMTA returns one virtual MTA or pool.
func (rn *Running) VMTA(ctx context.Context, name string) (api.VMTA, bool, error) {
	all, err := rn.VMTAs(ctx)
	if err != nil {
		return api.VMTA{}, false, err
	}
	for _, v := range all {
		if strings.EqualFold(v.Name, name) {
			return v, true, nil
		}
	}
	return api.VMTA{}, false, nil
}
