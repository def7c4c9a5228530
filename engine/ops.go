package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/volleymta/volley/engine/api"
	"github.com/volleymta/volley/engine/queue"
	"github.com/volleymta/volley/spool"
)

// Inject stores one message given through the API and hands its
// recipients to their queues; it returns once the message is durable
// (fsynced), as an SMTP 250 would. origin says who sent it ("api
// 127.0.0.1"), for accounting and Received-less provenance.
func (rn *Running) Inject(ctx context.Context, in api.Inject, origin string) (api.Injected, error) {
	if len(in.To) == 0 {
		return api.Injected{}, errors.New("inject: at least one recipient (to) is required")
	}
	if in.From != "" {
		if _, err := mail.ParseAddress("<" + in.From + ">"); err != nil {
			return api.Injected{}, fmt.Errorf("inject: bad from address %q", in.From)
		}
	}
	m := &spool.Message{From: in.From, Job: in.Job, VMTA: in.VMTA, Origin: origin}
	if in.VMTA != "" {
		cfg := rn.snap.Current()
		if cfg.VMTA(in.VMTA) == nil && cfg.Pool(in.VMTA) == nil {
			return api.Injected{}, fmt.Errorf("inject: no virtual-mta or pool %q", in.VMTA)
		}
	}
	for _, to := range in.To {
		a, err := mail.ParseAddress("<" + strings.TrimSpace(to) + ">")
		if err != nil || !strings.Contains(a.Address, "@") {
			return api.Injected{}, fmt.Errorf("inject: bad recipient %q", to)
		}
		m.Recipients = append(m.Recipients, spool.Recipient{Addr: a.Address})
	}
	if len(m.Recipients) > 1<<16 {
		return api.Injected{}, errors.New("inject: more than 65,536 recipients")
	}
	body := crlf([]byte(in.Data))
	if !bytes.Contains(body, []byte("\r\n\r\n")) && !bytes.HasPrefix(body, []byte("\r\n")) {
		return api.Injected{}, errors.New("inject: data has no header section (a blank line must end the headers)")
	}
	if cfg := rn.snap.Current(); !bytes.HasPrefix(bytes.ToLower(body), []byte("received:")) {
		stamp := "Received: from " + origin + " by " + cfg.HostName() + " (Volley) with HTTP; " +
			time.Now().Format(time.RFC1123Z) + "\r\n"
		body = append([]byte(stamp), body...)
	}
	id, err := rn.appender.Append(ctx, m, body)
	if errors.Is(err, spool.ErrFull) {
		return api.Injected{}, fmt.Errorf("%w: %w", api.ErrTryLater, err)
	}
	if err != nil {
		return api.Injected{}, err
	}
	return api.Injected{ID: id.String(), Recipients: len(m.Recipients)}, nil
}

// crlf makes every line end in CRLF and the message end with one.
func crlf(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/40+2)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\r' && i+1 < len(b) && b[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case c == '\n' || c == '\r':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// Resolve looks a domain's mail route up as delivery would (`resolve`).
func (rn *Running) Resolve(ctx context.Context, domain string) api.Resolved {
	out := api.Resolved{Domain: strings.ToLower(strings.TrimSuffix(domain, "."))}
	if rn.resolver.dns == nil {
		out.Error = "no DNS resolver"
		return out
	}
	r, err := rn.resolver.dns.LookupMX(ctx, domain)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.NullMX, out.Implicit = r.NullMX, r.Implicit
	for _, h := range r.Hosts {
		rh := api.ResolvedHost{Name: h.Name, Pref: int(h.Pref), Addrs: []string{}}
		for _, a := range h.Addrs {
			rh.Addrs = append(rh.Addrs, a.String())
		}
		out.Hosts = append(out.Hosts, rh)
	}
	return out
}

// Precache returns the precached domains as their last refresh left them.
func (rn *Running) Precache() []api.Precached { return rn.precache.results() }

// ClearDNSCache forgets a domain's cached answers, or all with "*".
func (rn *Running) ClearDNSCache(domain string) {
	if rn.resolver.dns == nil {
		return
	}
	if domain == "*" || domain == "" {
		rn.resolver.dns.Flush()
	} else {
		rn.resolver.dns.Forget(domain)
	}
	rn.logf("volleyd: DNS cache cleared for %s", domain)
}

// Settings prints the config in force (`show settings`).
func (rn *Running) Settings() string { return rn.snap.Current().Dump() }

// QueueSettings prints the delivery settings of queue domain/vmta: its
// <domain> blocks merged (`show settings DOMAIN/VMTA`).
func (rn *Running) QueueSettings(domain, vmta string) string {
	return rn.snap.Current().Effective(strings.ToLower(domain), vmta).Dump()
}

// TransmissionsKeys returns the <transmissions-api> keys in force, for
// the Transmissions API's own listeners.
func (rn *Running) TransmissionsKeys() ([]string, bool) {
	ta := rn.snap.Current().TransmissionsAPI
	return ta.APIKeys, ta.LogRequests
}

// HTTPAccess returns the http-access rules and API keys in force, for the
// management server to check each request against the latest config.
func (rn *Running) HTTPAccess() (rules []api.AccessRule, keys []string) {
	cfg := rn.snap.Current()
	for _, a := range cfg.Global.HTTPAccess {
		rules = append(rules, api.AccessRule{Prefix: a.Prefix, Level: a.Level})
	}
	return rules, cfg.Global.HTTPAPIKeys
}

// ListRecipients lists queued recipients (PowerMTA's /listqueue), up to
// f.MaxItems (default 1,000) over all shards. Envelope filters (orig,
// jobId, envId) skip recipients whose envelope is not in memory.
func (rn *Running) ListRecipients(ctx context.Context, f api.ListFilter) ([]api.Recipient, error) {
	pat, err := parseQueuePattern(f.Queue)
	if err != nil {
		return nil, err
	}
	max := f.MaxItems
	if max <= 0 {
		max = 1000
	}
	rcpt, orig := strings.ToLower(f.Rcpt), strings.ToLower(f.Orig)
	per, err := onShards(ctx, rn.group, func(i int) []api.Recipient {
		var out []api.Recipient
		rn.parts[i].table.Each(func(q *queue.Queue) {
			if !pat.match(q.Key) || len(out) >= max {
				return
			}
			q.Each(func(e *queue.Entry) bool {
				m := e.Msg
				if rcpt != "" && strings.ToLower(e.Addr) != rcpt {
					return true
				}
				if (orig != "" || f.JobID != "" || f.EnvID != "") && (m == nil || orig != "" && strings.ToLower(m.From) != orig ||
					f.JobID != "" && m.Job != f.JobID || f.EnvID != "" && m.EnvID != f.EnvID) {
					return true
				}
				r := api.Recipient{Queue: q.Key.String(), ID: e.ID.String(), Rcpt: e.Addr, Attempts: e.Attempts}
				if m != nil {
					r.Orig, r.JobID, r.EnvID = m.From, m.Job, m.EnvID
				}
				if !e.Next.IsZero() {
					next := e.Next
					r.Next = &next
				}
				out = append(out, r)
				return len(out) < max
			})
		})
		return out
	})
	if err != nil {
		return nil, err
	}
	var all []api.Recipient
	for _, rs := range per {
		all = append(all, rs...)
	}
	if len(all) > max {
		all = all[:max]
	}
	return all, nil
}

// Complaints counts the feedback-loop complaints by job, vMTA and domain.
func (rn *Running) Complaints() api.Complaints { return rn.stats.complaintCounts() }

// Clients lists the injecting client IPs with their rate use, by address.
func (rn *Running) Clients() []api.Client {
	out := []api.Client{}
	for _, c := range rn.svc.Clients(time.Now()) {
		a := api.Client{IP: c.Addr.String(), Connections: c.Connections, MaxSMTPIn: c.MaxSMTPIn, AheadSeconds: c.Ahead.Seconds()}
		if !c.MaxMsgRate.Unlimited() {
			a.MaxMsgRate = c.MaxMsgRate.String()
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP < out[j].IP })
	return out
}
